/**
 * The floor: the least a Node client can do for the same remote work. A bare ssh2 Client per host (TCP_NODELAY,
 * host key checked against known_hosts, ssh2's default curve25519 + AES-GCM), a sliding window of `parallelism`
 * hosts, the remote work as one exec (plus SFTP fastPut for files, and one exec before it when the upload needs a
 * directory made with sudo). No logging, no reports, no per-step bookkeeping.
 *
 * usage: node dist/bench/floor.js PLAN.json      (exit 0 when every host succeeded)
 */
import { readFileSync } from 'node:fs';
import { Client, type SFTPWrapper } from 'ssh2';
import { pool, readPlan, withRole, type FloorPlan, type PlanHost } from './lib/plan.js';

/** address → base64 key blobs, from a known_hosts file of plain `addr[,addr] type base64` or `[addr]:port` lines. */
function loadKnownHosts(file: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (parts.length < 3 || parts[0]!.startsWith('#') || parts[0]!.startsWith('|')) continue;
    for (const name of parts[0]!.split(',')) {
      const list = map.get(name) ?? [];
      list.push(parts[2]!);
      map.set(name, list);
    }
  }
  return map;
}

function exec(conn: Client, command: string, stdin?: Buffer): Promise<number | null> {
  return new Promise((resolve, reject) => {
    conn.exec(command, (err, stream) => {
      if (err) return reject(err);
      stream.on('data', () => undefined);
      stream.stderr.on('data', () => undefined);
      stream.on('close', (code: number | null) => resolve(code));
      stream.end(stdin);
    });
  });
}

function sftpOf(conn: Client): Promise<SFTPWrapper> {
  return new Promise((resolve, reject) => conn.sftp((err, sftp) => (err ? reject(err) : resolve(sftp))));
}

function fastPut(sftp: SFTPWrapper, local: string, remote: string): Promise<void> {
  return new Promise((resolve, reject) =>
    sftp.fastPut(local, remote, { concurrency: 64, chunkSize: 32768 }, (err) => (err ? reject(err) : resolve())),
  );
}

async function runHost(
  plan: FloorPlan,
  host: PlanHost,
  privateKey: Buffer,
  known: Map<string, string[]> | undefined,
  stdin: Buffer | undefined,
): Promise<string | null> {
  const conn = new Client();
  const ready = new Promise<void>((resolve, reject) => {
    conn.once('ready', resolve);
    conn.once('error', reject);
  });
  const hostName = host.port === 22 ? host.address : `[${host.address}]:${host.port}`;
  conn.connect({
    host: host.address,
    port: host.port,
    username: plan.user,
    privateKey,
    readyTimeout: 10_000,
    hostVerifier: known ? (key: Buffer) => (known.get(hostName) ?? []).includes(key.toString('base64')) : undefined,
  });
  conn.setNoDelay(true);
  try {
    await ready;
    if (plan.before) {
      const code = await exec(conn, withRole(plan.before, host));
      if (code !== 0) return `before: exit ${code}`;
    }
    if (plan.uploads.length > 0) {
      const sftp = await sftpOf(conn);
      for (const u of plan.uploads) await fastPut(sftp, u.local, u.remote);
      sftp.end();
    }
    const code = await exec(conn, withRole(plan.command, host), stdin);
    return code === 0 ? null : `exit ${code}`;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    conn.end();
  }
}

async function main(): Promise<number> {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: floor.js PLAN.json\n');
    return 2;
  }
  const plan = readPlan<FloorPlan>(file);
  const privateKey = readFileSync(plan.keyPath);
  const known = plan.knownHostsFile ? loadKnownHosts(plan.knownHostsFile) : undefined;
  const stdin = plan.stdinFile ? readFileSync(plan.stdinFile) : undefined;
  const one = async (h: PlanHost): Promise<{ host: string; err: string | null }> => ({
    host: h.address,
    err: await runHost(plan, h, privateKey, known, stdin),
  });
  const phases = plan.mastersFirst
    ? [plan.hosts.filter((h) => h.role === 'master'), plan.hosts.filter((h) => h.role !== 'master')]
    : [plan.hosts];
  const results: { host: string; err: string | null }[] = [];
  for (const hosts of phases) results.push(...(await pool(hosts, plan.parallelism, one)));
  const failed = results.filter((r) => r.err !== null);
  for (const f of failed.slice(0, 5)) process.stderr.write(`FAIL ${f.host}: ${f.err}\n`);
  process.stdout.write(`${results.length - failed.length} of ${results.length} hosts ok\n`);
  return failed.length === 0 ? 0 : 1;
}

process.exitCode = await main();
