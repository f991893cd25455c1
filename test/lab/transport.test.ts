/**
 * SshTransport against real sshd hosts of the lab harness: commands, uploads, channel limits, host keys, keys and
 * users. Faults (kill, blackhole, slow, drops mid-command) are in transport-faults.test.ts.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { ConnectError } from '../../src/transport/errors.js';
import { clearKeyCache } from '../../src/transport/keys.js';
import { command } from '../../src/transport/quote.js';
import { SshTransport, type SshTransportOptions } from '../../src/transport/ssh.js';
import type { HostTarget } from '../../src/transport/transport.js';
import { describeLab } from './harness/gate.js';
import { startLab, type Lab, type LabHost } from './harness/index.js';

let lab: Lab;
let work: string;

function target(h: LabHost, user = 'root'): HostTarget {
  return { address: h.address, port: h.port, user, label: `${h.address}:${h.port}` };
}

function transport(over: Partial<SshTransportOptions> = {}): SshTransport {
  return new SshTransport({
    connectTimeoutMs: 10_000,
    keepaliveIntervalMs: 1000,
    keepaliveCountMax: 3,
    hostKeyChecking: 'strict',
    knownHostsFile: lab.knownHostsFile,
    privateKeyPath: lab.keys.ed25519,
    env: {},
    ...over,
  });
}

async function connectErr(p: Promise<unknown>): Promise<ConnectError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConnectError);
  return err as ConnectError;
}

function acceptedLogins(h: LabHost): number {
  const log = readFileSync(path.join(h.fsRoot, 'etc/genconf-lab/sshd/sshd.log'), 'utf8');
  return log.split('\n').filter((l) => l.includes('Accepted publickey')).length;
}

describeLab('SshTransport on real sshd hosts', () => {
  beforeAll(async () => {
    lab = await startLab({ count: 5 });
    work = mkdtempSync(path.join(tmpdir(), 'genconf-transport-'));
  });
  afterAll(async () => {
    await lab?.down();
  });

  it('runs commands on every host in parallel, one connection per host', async () => {
    const t = transport();
    const before = lab.hosts.map(acceptedLogins);
    const results = await Promise.all(
      lab.hosts.map(async (h) => {
        const c = await t.connect(target(h));
        const ip = await c.exec('cat /etc/genconf-lab/ip');
        const name = await c.exec('hostname');
        const again = await c.exec(command(['cat', '/etc/genconf-lab/index']));
        await c.close();
        return { h, ip, name, again };
      }),
    );
    for (const { h, ip, name, again } of results) {
      expect(ip).toMatchObject({ exitCode: 0, stdout: `${h.address}\n`, stderr: '', timedOut: false });
      expect(name.stdout).toBe(`${h.hostname}\n`);
      expect(again.stdout).toBe(`${h.index}\n`);
    }
    // Three commands per host, one authenticated connection per host.
    expect(lab.hosts.map(acceptedLogins)).toEqual(before.map((n) => n + 1));
    expect(t.openConnections).toBe(0);
  });

  it('keeps stdout and stderr apart, reports exit codes, passes stdin and quoted arguments', async () => {
    const c = await transport().connect(target(lab.hosts[0]!));
    try {
      const r = await c.exec('echo out; echo err >&2; exit 3');
      expect(r).toMatchObject({ exitCode: 3, stdout: 'out\n', stderr: 'err\n', timedOut: false });
      expect(r.error).toBeUndefined();
      const tricky = ["it's", '$HOME', '`id`', 'a b', '"q"', '*', ';rm -rf /tmp/x', 'ünï\ncode'];
      const echoed = await c.exec(command(['printf', '%s\\0', ...tricky]));
      expect(echoed.stdout.split('\0').slice(0, -1)).toEqual(tricky);
      const cat = await c.exec('cat; echo', { stdin: 'from stdin' });
      expect(cat.stdout).toBe('from stdin\n');
      const streamed: string[] = [];
      const live = await c.exec('echo a; echo b >&2; echo c', {
        onStdout: (s) => streamed.push(s),
        onStderr: (s) => streamed.push(`E:${s}`),
      });
      expect(live.exitCode).toBe(0);
      expect(streamed.join('')).toContain('E:b\n');
      expect(streamed.filter((s) => !s.startsWith('E:')).join('')).toBe('a\nc\n');
      const sig = await c.exec('kill -TERM $$');
      expect(sig.exitCode).toBeNull();
      expect(sig.signal).toBe('SIGTERM');
    } finally {
      await c.close();
    }
  });

  it('uploads with SFTP: content, mode, no temporary leftovers; streams too', async () => {
    const h = lab.hosts[1]!;
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const local = path.join(work, 'bundle.bin');
    writeFileSync(local, data);
    const c = await transport().connect(target(h));
    try {
      expect((await c.exec('mkdir -p /opt/dcos_install_tmp')).exitCode).toBe(0);
      const progress: number[] = [];
      const totals = new Set<number>();
      await c.putFile(local, '/opt/dcos_install_tmp/bundle.bin', {
        mode: 0o750,
        onProgress: (n, total) => (progress.push(n), totals.add(total)),
      });
      const outside = path.join(h.fsRoot, 'opt/dcos_install_tmp/bundle.bin');
      expect(createHash('sha256').update(readFileSync(outside)).digest('hex')).toBe(
        createHash('sha256').update(data).digest('hex'),
      );
      expect(statSync(outside).mode & 0o777).toBe(0o750);
      expect(progress.at(-1)).toBe(data.length);
      // Every progress report carries the file's size.
      expect([...totals]).toEqual([data.length]);
      // Overwrite an existing file with another mode.
      await c.putFile(local, '/opt/dcos_install_tmp/bundle.bin', { mode: 0o600 });
      expect(statSync(outside).mode & 0o777).toBe(0o600);
      const empty = path.join(work, 'empty');
      writeFileSync(empty, '');
      await c.putFile(empty, '/opt/dcos_install_tmp/empty');
      expect(statSync(path.join(h.fsRoot, 'opt/dcos_install_tmp/empty')).size).toBe(0);
      await c.putStream!(Readable.from([Buffer.from('hello '), Buffer.from('stream')]), '/opt/dcos_install_tmp/s.txt', {
        mode: 0o644,
      });
      expect(readFileSync(path.join(h.fsRoot, 'opt/dcos_install_tmp/s.txt'), 'utf8')).toBe('hello stream');
      const ls = await lab.exec(h.index, 'ls -a /opt/dcos_install_tmp');
      expect(ls.stdout.split('\n').filter((f) => f.includes('genconf-part'))).toEqual([]);
      // A missing directory fails the upload with a message naming the host and path.
      const err = await c.putFile(local, '/nonexistent/dir/x').then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err?.message).toContain(h.address);
      expect(err?.message).toContain('/nonexistent/dir/x');
      // A local file that cannot be read fails with the local error, naming the local path, and leaves nothing.
      const gone = path.join(work, 'no-such-bundle.bin');
      const local404 = await c.putFile(gone, '/opt/dcos_install_tmp/gone.bin').then(
        () => undefined,
        (e: NodeJS.ErrnoException) => e,
      );
      expect(local404?.code).toBe('ENOENT');
      expect(local404?.message).toContain(gone);
      const after = await lab.exec(h.index, 'ls -a /opt/dcos_install_tmp');
      expect(after.stdout.split('\n').filter((f) => f.includes('genconf-part') || f === 'gone.bin')).toEqual([]);
    } finally {
      await c.close();
    }
  });

  it('queues channels beyond sshd MaxSessions on one connection: none fail, at most 8 run at once', async () => {
    const h = lab.hosts[2]!;
    const c = await transport().connect(target(h));
    try {
      await c.exec('rm -rf /tmp/slots; mkdir -p /tmp/slots');
      const n = 30;
      const results = await Promise.all(
        Array.from({ length: n }, (_, k) =>
          c.exec(`touch /tmp/slots/${k}; ls /tmp/slots | wc -l; sleep 0.5; rm /tmp/slots/${k}; echo done-${k}`),
        ),
      );
      for (const [k, r] of results.entries()) {
        expect(r.exitCode, r.stderr + (r.error ?? '')).toBe(0);
        expect(r.stdout).toContain(`done-${k}`);
      }
      const peak = Math.max(...results.map((r) => Number(r.stdout.split('\n')[0])));
      expect(peak).toBeLessThanOrEqual(8);
      expect(peak).toBeGreaterThan(1);
      // Uploads share the same limit.
      const local = path.join(work, 'small');
      writeFileSync(local, 'x');
      await Promise.all(Array.from({ length: 12 }, (_, k) => c.putFile(local, `/tmp/slots/f${k}`)));
      expect((await c.exec('ls /tmp/slots | wc -l')).stdout.trim()).toBe('12');
    } finally {
      await c.close();
    }
  });

  it('never opens more than one unauthenticated connection to a host at a time', async () => {
    const h = lab.hosts[3]!;
    const t = transport();
    // 25 connects to one sshd at once would trip MaxStartups (10) if they were not serialised.
    const conns = await Promise.all(Array.from({ length: 25 }, () => t.connect(target(h))));
    const outs = await Promise.all(conns.map((c) => c.exec('true')));
    expect(outs.filter((r) => r.exitCode !== 0)).toEqual([]);
    await t.closeAll();
  });

  it('authenticates with ed25519, RSA PEM and an encrypted key (passphrase from the environment or asked once)', async () => {
    const h = lab.hosts[0]!;
    for (const key of [lab.keys.ed25519, lab.keys.rsa]) {
      clearKeyCache();
      const c = await transport({ privateKeyPath: key }).connect(target(h));
      expect((await c.exec('whoami')).stdout).toBe('root\n');
      await c.close();
    }
    clearKeyCache();
    const enc = transport({
      privateKeyPath: lab.keys.encrypted,
      env: { GENCONF_SSH_KEY_PASSPHRASE: lab.keys.passphrase },
    });
    const c1 = await enc.connect(target(h));
    expect((await c1.exec('echo ok')).stdout).toBe('ok\n');
    await c1.close();

    clearKeyCache();
    const noPass = await transport({ privateKeyPath: lab.keys.encrypted })
      .connect(target(h))
      .catch((e: unknown) => e);
    expect(noPass).toBeInstanceOf(InputError);
    expect((noPass as Error).message).toContain(lab.keys.encrypted);
    expect((noPass as InputError).hint).toContain('GENCONF_SSH_KEY_PASSPHRASE');

    clearKeyCache();
    let asked = 0;
    const prompted = transport({
      privateKeyPath: lab.keys.encrypted,
      prompt: async () => {
        asked++;
        return lab.keys.passphrase;
      },
    });
    const conns = await Promise.all(lab.hosts.map((x) => prompted.connect(target(x))));
    expect(asked).toBe(1);
    await prompted.closeAll();
    expect(conns).toHaveLength(lab.hosts.length);
    clearKeyCache();
  });

  it('runs as the non-root sudo user', async () => {
    const c = await transport({ privateKeyPath: lab.keys.rsa }).connect(target(lab.hosts[4]!, lab.sudoUser));
    try {
      expect((await c.exec('whoami')).stdout).toBe(`${lab.sudoUser}\n`);
      expect((await c.exec('sudo -n true')).exitCode).toBe(0);
      expect((await c.exec(command(['sudo', '-n', 'cat', '/etc/genconf-lab/ip']))).stdout).toBe(
        `${lab.hosts[4]!.address}\n`,
      );
    } finally {
      await c.close();
    }
  });

  it('names the user and the methods tried when authentication fails', async () => {
    const stranger = path.join(work, 'stranger');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', stranger]);
    clearKeyCache();
    const err = await connectErr(transport({ privateKeyPath: stranger }).connect(target(lab.hosts[0]!, lab.sudoUser)));
    expect(err.kind).toBe('auth');
    expect(err.message).toContain(`'${lab.sudoUser}'`);
    expect(err.message).toContain('publickey');
    expect(err.message).toContain(stranger);
    expect(err.message).toMatch(/SHA256:/);
    clearKeyCache();
  });

  it('authenticates through ssh-agent', async () => {
    const sock = path.join(work, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 100 && !exists(sock); i++) await new Promise((r) => setTimeout(r, 20));
      execFileSync('ssh-add', ['-q', lab.keys.ed25519], {
        env: { ...process.env, SSH_AUTH_SOCK: sock },
        stdio: 'ignore',
      });
      const c = await transport({ privateKeyPath: undefined, agent: sock }).connect(target(lab.hosts[1]!));
      expect((await c.exec('echo agent')).stdout).toBe('agent\n');
      await c.close();
      // A key the host does not know plus the agent: both are tried and named.
      execFileSync('ssh-add', ['-q', '-D'], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
      const err = await connectErr(
        transport({ privateKeyPath: path.join(work, 'stranger'), agent: sock }).connect(target(lab.hosts[1]!)),
      );
      expect(err.kind).toBe('auth');
      expect(err.message).toContain('ssh-agent');
    } finally {
      agent.kill();
      clearKeyCache();
    }
  });

  it('accept-new records an unseen host (0600 file in a new directory); strict then accepts it', async () => {
    const file = path.join(work, 'new-dir', 'known_hosts');
    const h = lab.hosts[2]!;
    const c = await transport({ hostKeyChecking: 'accept-new', knownHostsFile: file }).connect(target(h));
    await c.close();
    expect(readFileSync(file, 'utf8')).toBe(`${h.address} ${lab.hostPublicKey(h.index)}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // Parallel first contacts all get recorded, once each.
    await Promise.all(
      lab.hosts.map(async (x) =>
        (await transport({ hostKeyChecking: 'accept-new', knownHostsFile: file }).connect(target(x))).close(),
      ),
    );
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines.sort()).toEqual(lab.hosts.map((x) => `${x.address} ${lab.hostPublicKey(x.index)}`).sort());
    const strict = await transport({ hostKeyChecking: 'strict', knownHostsFile: file }).connect(target(h));
    await strict.close();
  });

  it('strict refuses a host that is not in known_hosts', async () => {
    const file = path.join(work, 'empty_known_hosts');
    writeFileSync(file, '# nothing yet\n');
    const err = await connectErr(
      transport({ hostKeyChecking: 'strict', knownHostsFile: file }).connect(target(lab.hosts[3]!)),
    );
    expect(err.kind).toBe('host-key-unknown');
    expect(err.message).toContain(lab.hosts[3]!.address);
    expect(readFileSync(file, 'utf8')).toBe('# nothing yet\n');
  });

  it('fails loudly on a changed host key and leaves known_hosts untouched', async () => {
    const h = lab.hosts[4]!;
    const file = path.join(work, 'known_hosts_copy');
    writeFileSync(file, readFileSync(lab.knownHostsFile));
    const before = readFileSync(file);
    const oldKey = lab.hostPublicKey(h.index);
    await lab.rotateHostKey(h.index);
    for (const mode of ['accept-new', 'strict'] as const) {
      const err = await connectErr(transport({ hostKeyChecking: mode, knownHostsFile: file }).connect(target(h)));
      expect(err.kind).toBe('host-key-changed');
      expect(err.message).toContain(h.address);
      expect(err.message).toContain(`${file} line ${h.index}`);
      expect(err.message).toContain(sha256Fingerprint(oldKey));
      expect(err.message).toContain(sha256Fingerprint(lab.hostPublicKey(h.index)));
      expect(`${err.message} ${err.hint}`).toContain(`ssh-keygen -f '${file}' -R '${h.address}'`);
    }
    expect(readFileSync(file).equals(before)).toBe(true);
    // off: no check at all (and nothing written).
    const c = await transport({ hostKeyChecking: 'off', knownHostsFile: file }).connect(target(h));
    expect((await c.exec('hostname')).stdout).toBe(`${h.hostname}\n`);
    await c.close();
    expect(readFileSync(file).equals(before)).toBe(true);
    // After the operator removes the old line, accept-new records the new key.
    execFileSync('ssh-keygen', ['-q', '-f', file, '-R', h.address], { stdio: 'ignore' });
    await (await transport({ hostKeyChecking: 'accept-new', knownHostsFile: file }).connect(target(h))).close();
    expect(readFileSync(file, 'utf8')).toContain(`${h.address} ${lab.hostPublicKey(h.index)}`);
  });
});

describeLab('SshTransport on a non-standard SSH port', () => {
  let portLab: Lab;
  beforeAll(async () => {
    clearKeyCache(); // the lab may reuse the block (and so the key paths) of a lab that is gone
    portLab = await startLab({ count: 1, port: 2222 });
  });
  afterAll(async () => {
    await portLab?.down();
  });

  it('connects and records the host as [address]:port', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'genconf-port-'));
    const file = path.join(dir, 'known_hosts');
    const h = portLab.hosts[0]!;
    const t = new SshTransport({
      connectTimeoutMs: 10_000,
      keepaliveIntervalMs: 1000,
      keepaliveCountMax: 3,
      hostKeyChecking: 'accept-new',
      knownHostsFile: file,
      privateKeyPath: portLab.keys.ed25519,
      env: {},
    });
    const c = await t.connect({ address: h.address, port: 2222, user: 'root', label: `${h.address}:2222` });
    expect((await c.exec('cat /etc/genconf-lab/ip')).stdout).toBe(`${h.address}\n`);
    await c.close();
    expect(readFileSync(file, 'utf8')).toBe(`[${h.address}]:2222 ${portLab.hostPublicKey(1)}\n`);
    // The lab's own known_hosts uses the same form, and strict checking accepts it.
    const strict = new SshTransport({
      ...t.options,
      hostKeyChecking: 'strict',
      knownHostsFile: portLab.knownHostsFile,
    });
    await (await strict.connect({ address: h.address, port: 2222, user: 'root', label: `${h.address}:2222` })).close();
    clearKeyCache();
  });
});

function exists(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

function sha256Fingerprint(publicKeyLine: string): string {
  const blob = Buffer.from(publicKeyLine.split(' ')[1]!, 'base64');
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}
