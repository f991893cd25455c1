/**
 * `npm run lab -- up N` / `npm run lab -- down`: N local test hosts to try the SSH stages on, without machines.
 * Each host is a real sshd on a loopback address (127.x.y.z) with its own filesystem view and the node stand-ins
 * (docker, systemctl, … that answer as a DC/OS node would), from the project's lab harness. Root only, loopback
 * only. `up` also writes a ready project directory (default `./lab`):
 *
 *   lab/genconf/config.yaml    the hosts as masters, agents and a public agent; ssh_user centos (sudo)
 *   lab/genconf/ip-detect      prints the host's own address
 *   lab/genconf/ssh_key        the lab's client key;  lab/genconf/known_hosts  every host's key
 *   lab/artifacts/             the small example artifacts set, so `--genconf` works
 *   lab/lab.json               which process holds the lab (read by `down` and `status`)
 *
 * The harness stops its hosts when its process exits, so `up` starts a detached holder process and returns once
 * the hosts answer; `down` stops that process. The harness is a development tool under test/lab/harness: this
 * script loads its compiled copy from dist/ and is not part of the installed CLI.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, copyFile, cp, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ssh2 from 'ssh2';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** The repository root: two levels above dist/scripts/. */
const ROOT = path.resolve(HERE, '../..');
const DIST = path.join(ROOT, 'dist');
const MAX_HOSTS = 50;
const READY_TIMEOUT_MS = 180_000;

interface LabRecord {
  pid: number;
  block: number;
  hosts: Array<{ address: string; role: string }>;
  dir: string;
}

function usage(): never {
  process.stderr.write(
    'usage: npm run lab -- up N [--dir DIR]   start N local test hosts (1..50) and write DIR/genconf (default ./lab)\n' +
      '       npm run lab -- down [--dir DIR]   stop them\n' +
      '       npm run lab -- status [--dir DIR]\n',
  );
  process.exit(2);
}

function fail(message: string, code = 1): never {
  process.stderr.write(`lab: ${message}\n`);
  process.exit(code);
}

/** Masters 1, 3 or 5 (1.11 takes odd counts), one public agent from 3 hosts up, the rest private agents. */
export function roles(count: number): string[] {
  const masters = count >= 7 ? 5 : count >= 5 ? 3 : 1;
  const publics = count >= 3 ? 1 : 0;
  return Array.from({ length: count }, (_, i) =>
    i < masters ? 'master' : i < count - publics ? 'agent' : 'public_agent',
  );
}

export function labConfig(hosts: ReadonlyArray<{ address: string; role: string }>, sudoUser: string): string {
  const list = (role: string): string =>
    `[${hosts
      .filter((h) => h.role === role)
      .map((h) => h.address)
      .join(', ')}]`;
  return [
    '# Written by `npm run lab -- up`: local test hosts on loopback addresses (see README, "Try it on local test hosts").',
    'cluster_name: lab',
    'bootstrap_url: file:///opt/dcos_install_tmp',
    'exhibitor_storage_backend: static',
    'master_discovery: static',
    `master_list: ${list('master')}`,
    `agent_list: ${list('agent')}`,
    `public_agent_list: ${list('public_agent')}`,
    'resolvers: [8.8.8.8]',
    `ssh_user: ${sudoUser}`,
    'ssh_key_path: genconf/ssh_key',
    'process_timeout: 120',
    '',
  ].join('\n');
}

const IP_DETECT =
  "#!/bin/sh\n# A lab host's own address, from the identity file the lab harness writes on every host.\ncat /etc/genconf-lab/ip\n";

function record(dir: string): LabRecord | undefined {
  const file = path.join(dir, 'lab.json');
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as LabRecord;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The compiled harness, with the node stand-ins and its delay proxy beside it (it finds them by relative path). */
async function loadHarness(): Promise<typeof import('../test/lab/harness/index.js')> {
  const stubs = path.join(ROOT, 'test', 'support', 'stubs');
  if (!existsSync(path.join(DIST, 'test', 'lab', 'harness', 'index.js')) || !existsSync(stubs)) {
    fail('the lab needs a clone of the repository, built (npm ci or npm run build)');
  }
  await cp(stubs, path.join(DIST, 'test', 'support', 'stubs'), { recursive: true, preserveTimestamps: true });
  await copyFile(
    path.join(ROOT, 'test', 'lab', 'harness', 'delay-proxy.mjs'),
    path.join(DIST, 'test', 'lab', 'harness', 'delay-proxy.mjs'),
  );
  return import('../test/lab/harness/index.js');
}

/** The detached holder: start the hosts, write the project directory and lab.json, then keep the hosts up. */
async function hold(count: number, dir: string): Promise<void> {
  const { startLab } = await loadHarness();
  const lab = await startLab({ count, nodeStubs: true });
  const genconf = path.join(dir, 'genconf');
  await mkdir(genconf, { recursive: true });
  const hosts = lab.hosts.map((h, i) => ({ address: h.address, role: roles(count)[i]! }));
  await writeFile(path.join(genconf, 'config.yaml'), labConfig(hosts, lab.sudoUser));
  await writeFile(path.join(genconf, 'ip-detect'), IP_DETECT, { mode: 0o755 });
  await copyFile(lab.keys.ed25519, path.join(genconf, 'ssh_key'));
  await chmod(path.join(genconf, 'ssh_key'), 0o600);
  await copyFile(lab.knownHostsFile, path.join(genconf, 'known_hosts'));
  await chmod(path.join(genconf, 'known_hosts'), 0o600);
  if (!existsSync(path.join(dir, 'artifacts'))) {
    const { writeExampleArtifacts } = await import('./example-artifacts.js');
    await writeExampleArtifacts(path.join(dir, 'artifacts'));
  }
  const rec: LabRecord = { pid: process.pid, block: lab.block, hosts, dir };
  await writeFile(path.join(dir, 'lab.json'), JSON.stringify(rec, null, 2) + '\n');
  const stop = (): void => {
    void lab.down().finally(() => {
      void rm(path.join(dir, 'lab.json'), { force: true }).finally(() => process.exit(0));
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGHUP', stop);
  setInterval(() => undefined, 1 << 30);
}

async function up(count: number, dir: string): Promise<void> {
  if (process.getuid?.() !== 0)
    fail('the lab needs root (it starts sshd hosts in private mount namespaces); run it with sudo');
  const { labPrerequisites } = await loadHarness();
  const pre = labPrerequisites();
  if (!pre.ok)
    fail(`missing: ${pre.missing.join(', ')} (Debian 12: apt-get install -y openssh-server sudo iptables xz-utils)`);
  const old = record(dir);
  if (old && alive(old.pid))
    fail(`a lab is already up in ${dir} (process ${old.pid}); run \`npm run lab -- down\` first`);
  await mkdir(dir, { recursive: true });
  await rm(path.join(dir, 'lab.json'), { force: true });
  const logFile = path.join(dir, 'lab.log');
  const { openSync } = await import('node:fs');
  const log = openSync(logFile, 'w');
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '__hold', String(count), dir], {
    detached: true,
    stdio: ['ignore', log, log],
  });
  child.unref();
  const started = Date.now();
  process.stderr.write(
    `Starting ${count} local test host${count === 1 ? '' : 's'} (sshd on 127.x.y.z loopback addresses)...\n`,
  );
  for (;;) {
    const rec = record(dir);
    if (rec && rec.pid === child.pid) {
      const rel = path.relative(process.cwd(), dir) || '.';
      const lines = rec.hosts.map((h) => `  ${h.address.padEnd(16)} ${h.role}`);
      process.stdout.write(
        `Lab up in ${((Date.now() - started) / 1000).toFixed(1)} s: ${count} host${count === 1 ? '' : 's'}\n${lines.join('\n')}\n` +
          `Wrote ${rel}/genconf (config.yaml, ip-detect, ssh_key, known_hosts) and ${rel}/artifacts. Next:\n` +
          `  cd ${rel} && npx genconf --genconf && npx genconf --preflight && npx genconf --deploy && npx genconf --postflight\n` +
          `  npx genconf --uninstall --yes; cd - && sudo npm run lab -- down\n`,
      );
      return;
    }
    if (child.pid === undefined || !alive(child.pid))
      fail(`the lab did not start; see ${logFile}:\n${readFileSync(logFile, 'utf8').slice(-2000)}`);
    if (Date.now() - started > READY_TIMEOUT_MS) {
      process.kill(child.pid, 'SIGTERM');
      fail(`the lab did not come up within ${READY_TIMEOUT_MS / 1000} s; see ${logFile}`);
    }
    await sleep(200);
  }
}

async function down(dir: string): Promise<void> {
  const rec = record(dir);
  if (!rec || !alive(rec.pid)) {
    await rm(path.join(dir, 'lab.json'), { force: true });
    process.stdout.write(`No lab is up in ${dir}.\n`);
    return;
  }
  process.kill(rec.pid, 'SIGTERM');
  const started = Date.now();
  while (alive(rec.pid) && Date.now() - started < 60_000) await sleep(200);
  if (alive(rec.pid)) fail(`process ${rec.pid} did not stop within 60 s`);
  process.stdout.write(
    `Lab down: ${rec.hosts.length} host${rec.hosts.length === 1 ? '' : 's'} stopped. ${dir} is kept (logs, bundle); remove it when done.\n`,
  );
}

function status(dir: string): void {
  const rec = record(dir);
  if (!rec || !alive(rec.pid)) {
    process.stdout.write(`No lab is up in ${dir}.\n`);
    return;
  }
  process.stdout.write(
    `Lab up (process ${rec.pid}, block ${rec.block}):\n${rec.hosts.map((h) => `  ${h.address.padEnd(16)} ${h.role}`).join('\n')}\n`,
  );
}

/** A throwaway ed25519 key in OpenSSH format (the demo's genconf/ssh_key). */
async function keygen(file: string): Promise<void> {
  const pair = ssh2.utils.generateKeyPairSync('ed25519');
  await writeFile(file, pair.private, { mode: 0o600 });
  await writeFile(`${file}.pub`, `${pair.public}\n`);
}

async function mainLab(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  let dir = path.resolve('lab');
  const pos: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '--dir') dir = path.resolve(rest[++i] ?? usage());
    else pos.push(rest[i]!);
  }
  switch (cmd) {
    case 'up': {
      const n = Number(pos[0] ?? '5');
      if (!Number.isInteger(n) || n < 1 || n > MAX_HOSTS) fail(`N must be a whole number from 1 to ${MAX_HOSTS}`, 2);
      return up(n, dir);
    }
    case 'down':
      return down(dir);
    case 'status':
      return status(dir);
    case 'keygen':
      return keygen(pos[0] ?? usage());
    case '__hold':
      return hold(Number(pos[0]), pos[1] ?? usage());
    default:
      usage();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  mainLab(process.argv.slice(2)).catch((err: unknown) =>
    fail(err instanceof Error ? (err.stack ?? err.message) : String(err)),
  );
}
