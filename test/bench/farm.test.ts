/**
 * The bench host farm (bench/scale/farm.ts) speaks what the stages send: the real runner and SshTransport, with
 * strict host-key checking, pass preflight and deploy against a few farm addresses, each with its own host key. No
 * root and no sshd: the farm is one in-process ssh2 server per loopback address.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes, createHash } from 'node:crypto';
import ssh2 from 'ssh2';
import type { ParsedKey } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { farmAddress, fixedChecks, innerArgv, shellWords, startFarm, type Farm } from '../../bench/scale/farm.js';
import type { ScaleFloorPlan } from '../../bench/scale/floor-client.js';
import { instantTransport, transportPart } from '../../bench/scale/parts.js';
import { newKey } from '../../bench/scale/keys.js';
import type { ClusterPlan, PlannedHost } from '../../src/derive/plan.js';
import { runStage } from '../../src/orchestrate/run-stage.js';
import { deploy } from '../../src/stages/deploy.js';
import { preflight } from '../../src/stages/preflight.js';
import { wrapCommand } from '../../src/transport/exec.js';
import { command } from '../../src/transport/quote.js';
import { MAX_HANDSHAKES, MAX_UPLOADS, SshTransport } from '../../src/transport/ssh.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const HOSTS = 4;

let dir: string;
let farm: Farm;
let clientKey: ParsedKey;
let clientKeyFile: string;
let knownHosts: string;

/** The farm's hosts as the floor's plan lists them (the first a master). */
function farmHosts(): ScaleFloorPlan['hosts'] {
  return farm.hosts.map((h, i) => ({ address: h.address, port: h.port, role: i === 0 ? 'master' : 'slave' }));
}

/** The floor's preflight plan for `hosts` (scale/floor-client.ts), its ip-detect and install script written. */
function preflightPlan(hosts: ScaleFloorPlan['hosts'], parallelism: number): ScaleFloorPlan {
  const p: ScaleFloorPlan = {
    stage: 'preflight',
    hosts,
    user: 'centos',
    keyPath: clientKeyFile,
    knownHostsFile: knownHosts,
    parallelism,
    stagingDir: '/opt/dcos_install_tmp',
    preflightScript: path.join(ROOT, 'templates', 'remote', 'preflight.sh'),
    ipDetect: path.join(dir, 'ip-detect'),
    installScript: path.join(dir, 'dcos_install.sh'),
  };
  writeFileSync(p.ipDetect!, '#!/bin/sh\necho 127.0.0.1\n');
  writeFileSync(p.installScript!, '#!/bin/bash\necho install\n');
  return p;
}

function plan(files: ClusterPlan['files']): ClusterPlan {
  const hosts: PlannedHost[] = farm.hosts.map((h, i) => ({
    address: h.address,
    port: h.port,
    user: 'centos',
    label: `${h.address}:${h.port}`,
    role: i === 0 ? 'master' : 'agent',
    installRole: i === 0 ? 'master' : 'slave',
    index: i,
  }));
  return {
    hosts,
    allHosts: hosts,
    firstMaster: hosts[0]!,
    parallelism: 2,
    processTimeoutMs: 30_000,
    postflightTimeoutMs: 30_000,
    stagingDir: '/opt/dcos_install_tmp',
    files,
  };
}

function transport(knownHostsFile = knownHosts): SshTransport {
  return new SshTransport({
    connectTimeoutMs: 60_000, // the machine may be shared: nothing here measures time
    keepaliveIntervalMs: 5000,
    keepaliveCountMax: 3,
    hostKeyChecking: 'strict',
    knownHostsFile,
    privateKey: clientKey,
    env: {},
  });
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'genconf-farm-'));
  const pem = newKey().private;
  const k = ssh2.utils.parseKey(pem);
  if (k instanceof Error || Array.isArray(k)) throw new Error('bad client key');
  clientKey = k;
  clientKeyFile = path.join(dir, 'id_ed25519');
  writeFileSync(clientKeyFile, pem, { mode: 0o600 });
  // A /16 of its own per run (127.150–249.x.y, ephemeral ports): parallel test files never collide.
  const net = `127.${150 + Math.floor(Math.random() * 100)}`;
  farm = await startFarm({
    addresses: Array.from({ length: HOSTS }, (_, i) => farmAddress(net, i * 251)),
    port: 0,
    authorized: [clientKey.getPublicSSH()],
    hostKeys: Array.from({ length: HOSTS }, () => newKey()),
    checks: 5,
  });
  knownHosts = path.join(dir, 'known_hosts');
  writeFileSync(knownHosts, farm.knownHosts());
});

afterAll(async () => {
  await farm?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('bench host farm', () => {
  it('answers on distinct loopback addresses, each with its own host key', () => {
    expect(new Set(farm.hosts.map((h) => h.address)).size).toBe(HOSTS);
    expect(new Set(farm.hosts.map((h) => h.publicB64)).size).toBe(HOSTS);
    expect(farm.hosts[1]!.address).toMatch(/^127\.\d+\.1\.2$/);
  });

  it('reads the commands exactly as the transport wraps and quotes them', () => {
    const argv = ['sudo', '-n', 'bash', '-s', '--', "/opt/it's here", 'master'];
    expect(innerArgv(wrapCommand(command(argv), 'abc123'))).toEqual(argv);
    expect(innerArgv('true')).toBeUndefined();
    expect(shellWords("a 'b c' d\\ e")).toEqual(['a', 'b c', 'd e']);
  });

  it('the real client passes preflight against it with strict host-key checking', async () => {
    const ipDetect = path.join(dir, 'ip-detect');
    const install = path.join(dir, 'dcos_install.sh');
    writeFileSync(ipDetect, '#!/bin/sh\necho 127.0.0.1\n');
    writeFileSync(install, '#!/bin/bash\necho install\n');
    const t = transport();
    const before = farm.counters.bytesReceived;
    const r = await runStage(
      preflight,
      plan({
        preflightScript: path.join(ROOT, 'templates', 'remote', 'preflight.sh'),
        ipDetect,
        installScript: install,
      }),
      { transport: t },
    );
    await t.closeAll();
    expect(r.hosts.map((h) => [h.host.address, h.status, h.reason])).toEqual(
      farm.hosts.map((h) => [h.address, 'ok', undefined]),
    );
    // ip-detect answered each host's own address; the checks were parsed; the scripts went over stdin.
    for (const h of r.hosts) {
      expect(h.facts.detectedIp).toBe(h.host.address);
      expect(h.checks.filter((c) => c.status === 'pass')).toHaveLength(6);
    }
    expect(farm.counters.bytesReceived - before).toBeGreaterThan(HOSTS * 100);
    expect(farm.counters.unknownCommands).toBe(0);
  });

  it('the real client passes deploy: the bundle is hashed on arrival and sha256sum answers from it', async () => {
    const tar = path.join(dir, 'dcos-install.tar');
    const bytes = randomBytes(300_000);
    writeFileSync(tar, bytes);
    const sha = createHash('sha256').update(bytes).digest('hex');
    const t = transport();
    const r = await runStage(deploy, plan({ bundleTar: tar, bundleSha256: sha }), { transport: t });
    await t.closeAll();
    expect(r.hosts.map((h) => h.status)).toEqual(Array(HOSTS).fill('ok'));
    expect(r.hosts[0]!.steps.map((s) => s.id)).toEqual([
      'mkdir-staging',
      'put-bundle',
      'verify-bundle',
      'unpack-bundle',
      'install',
      'cleanup',
    ]);
    // As the CLI runs it: with the bundle's config_id, deploy first looks for an earlier install, which the farm answers.
    const t3 = transport();
    const withId = await runStage(deploy, plan({ bundleTar: tar, bundleSha256: sha, bundleConfigId: 'a'.repeat(40) }), {
      transport: t3,
    });
    await t3.closeAll();
    expect(withId.hosts.map((h) => h.status)).toEqual(Array(HOSTS).fill('ok'));
    expect(withId.hosts[0]!.steps[0]!.id).toBe('check-installed');
    expect(farm.counters.unknownCommands).toBe(0);
    // A different expected checksum fails the verify step: the farm really reports what arrived.
    const t2 = transport();
    const bad = await runStage(deploy, plan({ bundleTar: tar, bundleSha256: '0'.repeat(64) }), { transport: t2 });
    await t2.closeAll();
    expect(bad.hosts[0]!.failedStepId).toBe('verify-bundle');
    expect(bad.hosts[0]!.reason).toContain(sha);
  });

  it('keeps host-key checking meaningful: a host missing from known_hosts is refused', async () => {
    const partial = path.join(dir, 'known_hosts.partial');
    writeFileSync(partial, farm.knownHosts().split('\n').slice(1).join('\n'));
    const t = transport(partial);
    const r = await runStage(
      preflight,
      plan({
        preflightScript: path.join(ROOT, 'templates', 'remote', 'preflight.sh'),
        ipDetect: path.join(dir, 'ip-detect'),
        installScript: path.join(dir, 'dcos_install.sh'),
      }),
      { transport: t },
    );
    await t.closeAll();
    expect(r.hosts.map((h) => h.status)).toEqual(['unreachable', 'ok', 'ok', 'ok']);
    expect(r.hosts[0]!.reason).toContain('not in');
  });

  /** A farm of `n` addresses (each its own host key) and one transport connected to every one of them. */
  async function connectToManyHosts(n: number, knownHostsName: string) {
    const many = await startFarm({
      addresses: Array.from({ length: n }, (_, i) => farmAddress(`127.${150 + Math.floor(Math.random() * 100)}`, i)),
      port: 0,
      authorized: [clientKey.getPublicSSH()],
      hostKeys: Array.from({ length: n }, () => newKey()),
    });
    try {
      const kh = path.join(dir, knownHostsName);
      writeFileSync(kh, many.knownHosts());
      const t = transport(kh);
      const conns = await Promise.all(
        many.hosts.map((h) => t.connect({ address: h.address, port: h.port, user: 'centos', label: h.address })),
      );
      return { many, conns };
    } catch (err) {
      await many.close();
      throw err;
    }
  }

  it('the client queues handshakes: never more than MAX_HANDSHAKES at once, however many hosts start together', async () => {
    const n = MAX_HANDSHAKES + 36;
    const { many, conns } = await connectToManyHosts(n, 'known_hosts.many');
    try {
      await Promise.all(conns.map((c) => c.close()));
      expect(many.counters.connections).toBe(n);
      expect(many.counters.maxHandshaking).toBeLessThanOrEqual(MAX_HANDSHAKES);
      expect(many.counters.maxHandshaking).toBeGreaterThan(1);
    } finally {
      await many.close();
    }
  });

  it('the client queues uploads: never more than MAX_UPLOADS at once, however many hosts upload together', async () => {
    const n = MAX_UPLOADS + 12;
    const { many, conns } = await connectToManyHosts(n, 'known_hosts.uploads');
    try {
      const file = path.join(dir, 'upload.bin');
      writeFileSync(file, Buffer.alloc(512 * 1024, 7));
      await Promise.all(conns.map((c) => c.putFile(file, '/opt/dcos_install_tmp/upload.bin')));
      await Promise.all(conns.map((c) => c.close()));
      expect(many.counters.uploads).toBe(n);
      expect(many.counters.maxUploading).toBeLessThanOrEqual(MAX_UPLOADS);
      expect(many.counters.maxUploading).toBeGreaterThan(1);
    } finally {
      await many.close();
    }
  });

  it("the scale bench's instant transport (parts.ts) answers the preflight exactly as a farm host does", async () => {
    const files = {
      preflightScript: path.join(ROOT, 'templates', 'remote', 'preflight.sh'),
      ipDetect: path.join(dir, 'ip-detect'),
      installScript: path.join(dir, 'dcos_install.sh'),
    };
    writeFileSync(files.ipDetect, '#!/bin/sh\necho 127.0.0.1\n');
    writeFileSync(files.installScript, '#!/bin/bash\necho install\n');
    const viaFarm = await runStage(preflight, plan(files), { transport: transport() });
    const instant = await runStage(preflight, plan(files), { transport: instantTransport(fixedChecks(5)) });
    const seen = (r: typeof instant): unknown =>
      r.hosts.map((h) => ({ status: h.status, checks: h.checks, facts: h.facts, steps: h.steps.map((s) => s.id) }));
    expect(seen(instant)).toEqual(seen(viaFarm));
    expect(instant.hosts.every((h) => h.status === 'ok' && h.checks.length === 6)).toBe(true);
    // Anything else fails, as on the farm: the runner half cannot pass by answering what the farm would not.
    const c = await instantTransport().connect(plan(files).hosts[0]!);
    const r = await c.exec('uname -a');
    expect([r.exitCode, r.stderr]).toEqual([127, 'instant transport: unsupported command: uname -a\n']);
    await expect(c.putFile('/etc/hosts', '/tmp/x')).rejects.toThrow(/no uploads/);
  });

  it("the scale bench's transport half (parts.ts) runs the floor's preflight plan through SshTransport", async () => {
    const floorPlan = preflightPlan(farmHosts(), 2);
    const before = farm.counters.commands;
    const r = await transportPart(floorPlan);
    expect([r.part, r.hosts, r.ok]).toEqual(['transport', HOSTS, HOSTS]);
    expect(r.cpuMs).toBeGreaterThan(0);
    expect(farm.counters.commands - before).toBe(HOSTS);
    // Host keys are checked: with an empty known_hosts no host gets through.
    const empty = path.join(dir, 'known_hosts.none');
    writeFileSync(empty, '');
    expect((await transportPart({ ...floorPlan, knownHostsFile: empty })).ok).toBe(0);
  });

  it('the transport half holds more hosts in flight than EventTarget warns about, with no warning', async () => {
    // Each host in flight relays the run's signal (as the runner does): 12 at once is past Node's default of 10.
    const hosts = [0, 1, 2].flatMap(() => farmHosts());
    const floorPlan = preflightPlan(hosts, hosts.length);
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      const r = await transportPart(floorPlan);
      expect([r.hosts, r.ok]).toEqual([hosts.length, hosts.length]);
      // 'warning' is emitted on a later tick than the listener that caused it.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([]);
  });

  it('an unknown command exits 127 and says so', async () => {
    const t = transport();
    const c = await t.connect({ ...plan({}).hosts[0]! });
    const r = await c.exec('uname -a');
    await c.close();
    expect(r.exitCode).toBe(127);
    expect(r.stderr).toContain('farm: unsupported command: uname -a');
  });
});
