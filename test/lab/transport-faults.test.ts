/**
 * SshTransport when hosts misbehave: refused, blackholed, killed or cut off mid-command, slow, stalled uploads,
 * command timeouts and interruption. Every case must END with a classified result; none may hang (the suite's
 * timeouts are the hang detector; no test asserts durations).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { ConnectError, TransferError } from '../../src/transport/errors.js';
import { SshTransport, type SshTransportOptions } from '../../src/transport/ssh.js';
import type { HostTarget } from '../../src/transport/transport.js';
import { describeLab } from './harness/gate.js';
import { startLab, type Lab, type LabHost } from './harness/index.js';

let lab: Lab;
let work: string;
const touched = new Set<number>();

function target(h: LabHost, user = 'root'): HostTarget {
  return { address: h.address, port: h.port, user, label: `${h.address}:${h.port}` };
}

function transport(over: Partial<SshTransportOptions> = {}): SshTransport {
  return new SshTransport({
    connectTimeoutMs: 10_000,
    keepaliveIntervalMs: 500,
    keepaliveCountMax: 2,
    hostKeyChecking: 'strict',
    knownHostsFile: lab.knownHostsFile,
    privateKeyPath: lab.keys.ed25519,
    env: {},
    ...over,
  });
}

function host(i: number): LabHost {
  touched.add(i);
  return lab.hosts[i - 1]!;
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: Error) => e,
  );
}

/** Resolve once `cmd` is seen running inside host i (so a fault hits a command that really runs). */
async function waitRunning(i: number, pattern: string): Promise<void> {
  for (let k = 0; k < 500; k++) {
    if (await isRunning(i, pattern)) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${pattern} never started on host ${i}`);
}

/** Is a process whose command line matches `pattern` (a regexp, e.g. 'sleep 7771') running in host i? */
async function isRunning(i: number, pattern: string): Promise<boolean> {
  // '[s]leep 7771' matches the sleep but not the shell that runs pgrep.
  return (await lab.exec(i, `pgrep -f '[${pattern[0]}]${pattern.slice(1)}'`)).code === 0;
}

describeLab('SshTransport against failing hosts', () => {
  beforeAll(async () => {
    lab = await startLab({ count: 5 });
    work = mkdtempSync(path.join(tmpdir(), 'genconf-faults-'));
  });
  afterEach(async () => {
    for (const i of touched) await lab.heal(i);
    touched.clear();
  });
  afterAll(async () => {
    await lab?.down();
  });

  it('a killed host is refused and classified as such; the others still work', async () => {
    const dead = host(1);
    await lab.kill(1);
    const t = transport();
    const err = await rejection(t.connect(target(dead)));
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).kind).toBe('refused');
    expect(err.message).toContain(dead.address);
    expect((err as ConnectError).hint).toMatch(/sshd/);
    const ok = await t.connect(target(lab.hosts[1]!));
    expect((await ok.exec('true')).exitCode).toBe(0);
    await ok.close();
    // heal brings it back
    await lab.heal(1);
    const back = await t.connect(target(dead));
    expect((await back.exec('cat /etc/genconf-lab/ip')).stdout).toBe(`${dead.address}\n`);
    await back.close();
  });

  it('a blackholed host fails with kind timeout, naming --connect-timeout', async () => {
    const h = host(2);
    await lab.drop(2);
    const err = await rejection(transport({ connectTimeoutMs: 1500 }).connect(target(h)));
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).kind).toBe('timeout');
    expect(err.message).toContain(h.address);
    expect((err as ConnectError).hint).toContain('--connect-timeout');
  });

  it('a host killed mid-command ends the command with exitCode null and a clear error', async () => {
    const h = host(3);
    const c = await transport().connect(target(h));
    const running = c.exec('sleep 7771; echo never');
    await waitRunning(3, 'sleep 7771');
    await lab.kill(3);
    const r = await running;
    expect(r.exitCode).toBeNull();
    expect(r.timedOut).toBe(false);
    expect(r.stdout).not.toContain('never');
    expect(r.error).toContain(h.address);
    expect(r.error).toMatch(/connection lost/);
    // Later commands on the dead connection fail at once, they do not hang.
    const after = await c.exec('true');
    expect(after.exitCode).toBeNull();
    expect(after.error).toMatch(/connection lost/);
    await c.close();
  });

  it('a host blackholed mid-command is detected by keepalive: exitCode null, never a hang', async () => {
    const h = host(4);
    const c = await transport({ keepaliveIntervalMs: 300, keepaliveCountMax: 2 }).connect(target(h));
    const running = c.exec('sleep 7772');
    await waitRunning(4, 'sleep 7772');
    await lab.drop(4);
    const r = await running;
    expect(r.exitCode).toBeNull();
    expect(r.error).toContain(h.address);
    expect(r.error).toMatch(/keepalive/);
    await c.close();
  });

  it('an upload to a host that stops answering fails as stalled (or lost), not a hang', async () => {
    const h = host(5);
    const big = path.join(work, 'big.bin');
    writeFileSync(big, randomBytes(48 * 1024 * 1024));
    // Keepalive far away so the stall detector is what ends it.
    const c = await transport({ keepaliveIntervalMs: 30_000, keepaliveCountMax: 3 }).connect(target(h));
    let dropped = false;
    const err = await rejection(
      c.putFile(big, '/opt/big.bin', {
        stallTimeoutMs: 700,
        onProgress: (n) => {
          if (!dropped && n > 1024 * 1024) {
            dropped = true;
            void lab.drop(5);
          }
        },
      }),
    );
    expect(dropped).toBe(true);
    expect(err).toBeInstanceOf(TransferError);
    expect((err as TransferError).stalled).toBe(true);
    expect(err.message).toContain(h.address);
    expect(err.message).toContain('/opt/big.bin');
    await c.close();
  });

  it('a slowed host still works (commands and uploads)', async () => {
    const h = host(1);
    await lab.slow(1, 60);
    const c = await transport().connect(target(h));
    expect((await c.exec('cat /etc/genconf-lab/ip')).stdout).toBe(`${h.address}\n`);
    const f = path.join(work, 'small.bin');
    const data = randomBytes(200 * 1024);
    writeFileSync(f, data);
    await c.putFile(f, '/opt/small.bin', { mode: 0o640 });
    expect((await c.exec('sha256sum < /opt/small.bin | cut -c1-64; stat -c %a /opt/small.bin')).stdout).toBe(
      `${(await import('node:crypto')).createHash('sha256').update(data).digest('hex')}\n640\n`,
    );
    await c.close();
  });

  it('a command timeout kills the channel, reports timedOut and frees the remote process', async () => {
    const h = host(2);
    const c = await transport().connect(target(h));
    const r = await c.exec('echo started; sleep 7773', { timeoutMs: 400 });
    expect(r).toMatchObject({ exitCode: null, timedOut: true });
    expect(r.stdout).toBe('started\n');
    expect(r.error).toContain('timed out');
    let gone = false;
    for (let k = 0; k < 300 && !gone; k++) {
      gone = !(await isRunning(2, 'sleep 7773'));
      if (!gone) await new Promise((res) => setTimeout(res, 10));
    }
    expect(gone).toBe(true);
    // The connection is still usable afterwards.
    expect((await c.exec('echo still')).stdout).toBe('still\n');
    await c.close();
  });

  it('an AbortSignal stops a running command, a queued one and a connect', async () => {
    const h = host(3);
    const t = transport({ maxChannels: 1 });
    const c = await t.connect(target(h));
    const ac = new AbortController();
    const running = c.exec('sleep 7774', { signal: ac.signal });
    const queued = c.exec('echo queued', { signal: ac.signal });
    await waitRunning(3, 'sleep 7774');
    ac.abort();
    const [r1, r2] = await Promise.all([running, queued]);
    expect(r1.exitCode).toBeNull();
    expect(r1.error).toMatch(/interrupted/);
    expect(r2.exitCode).toBeNull();
    expect(r2.stdout).toBe('');
    expect((await c.exec('echo next')).stdout).toBe('next\n');
    await c.close();
    const pre = new AbortController();
    pre.abort();
    await expect(t.connect(target(h), { signal: pre.signal })).rejects.toThrow();
  });
});
