/**
 * The project's own multi-host SSH test lab: N real `/usr/sbin/sshd` hosts on loopback addresses, each in a private
 * mount + UTS namespace. Needs root, openssh-server, util-linux (unshare, nsenter, mount), iptables and sudo.
 *
 * Usage (from a vitest file; see gate.ts for the skip/fail rule when prerequisites are missing):
 *
 * ```ts
 * import { startLab, type Lab } from '../lab/harness/index.js';
 * let lab: Lab;
 * beforeAll(async () => { lab = await startLab({ count: 5, nodeStubs: true }); });
 * afterAll(async () => { await lab?.down(); });
 * // lab.hosts[0] = { index: 1, address: '127.120.1.1', port: 22, hostname: 'lab100-1', fsRoot: '/tmp/genconf-lab/b100/hosts/1/fs' }
 * // ssh root@127.120.1.1 or centos@… (passwordless sudo) with lab.keys.ed25519 | lab.keys.rsa (PEM) |
 * //   lab.keys.encrypted (+ lab.keys.passphrase); every host key is in lab.knownHostsFile.
 * // lab.exec(1, 'cat /etc/genconf-lab/ip')  runs inside host 1 without SSH (hosts are 1-based everywhere).
 * // lab.kill(i) refuse | lab.drop(i) blackhole | lab.slow(i, ms) delay | lab.heal(i) | lab.rotateHostKey(i)
 * ```
 *
 * Addresses: lab block b uses 127.<20+b>.x.y: host i is 127.<20+b>.<1+⌊(i-1)/254⌋>.<1+(i-1)%254>, so each block
 * holds thousands of hosts and labs in different blocks (parallel test files, benchmarks) never collide. Leave `block`
 * out and startLab claims the first free one from 100 up (atomic mkdir of /tmp/genconf-lab/b<block>; a block whose
 * owner process died is cleaned up and reused). Fixed blocks (0..99) are for callers that want stable addresses
 * (in use: stages.test.ts 5, bench 10 and 11); passing a block that a live process owns is an error.
 *
 * Inside host i: hostname `lab<b>-<i>`; /etc/genconf-lab/{ip,hostname,index} say who it is (for a fake ip-detect);
 * private /opt, /etc/mesosphere, /var/lib/dcos, /etc/systemd (with an empty system/), /etc/profile.d, /etc/rexray,
 * /usr/local/bin, /root, /home/centos, /tmp and /etc/genconf-lab; a lab-wide /etc/hosts naming every host. Outside,
 * host i's `/opt/x` is `${host.fsRoot}/opt/x`. With `nodeStubs: true` the files of test/support/stubs/ are copied into
 * each host's /usr/local/bin (sudo's secure_path searches it first). /usr, /etc/sudoers, PIDs and the network stack
 * are shared with the machine: a host is a filesystem view plus an sshd, not a container.
 *
 * Faults: kill = SIGKILL everything in the host (new connections are refused); drop = iptables DROP to/from the
 * address in the lab's own chain GENCONF-LAB-<b> (connections time out, open sessions hang until keepalive);
 * slow = a Node delay proxy on the host's port holding client→host bytes `ms` (sshd moves to port+10000); heal undoes
 * all three. rotateHostKey gives the host a new ed25519 key (sshd restarted, knownHostsFile NOT updated).
 * down() stops only what this lab started (recorded PIDs; processes inside its hosts, found by mount namespace and
 * checked by the host address they see), removes its iptables chain and its directory (renamed aside at once, deleted
 * by a detached rm). Empty mount points it had to create on the machine (/etc/mesosphere, …) stay. Idempotent; also
 * runs on process exit / SIGINT / SIGTERM / SIGHUP. Hosts share the machine's network stack: a port one host opens
 * on 0.0.0.0 is in use on every host of every lab.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import {
  constants as fsConstants,
  accessSync,
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { chmod, chown, copyFile, mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pLimit from 'p-limit';
import { generateEd25519 } from './hostkey.js';

const execFileP = promisify(execFile);

export interface LabHost {
  /** 1-based, as in every Lab method. */
  index: number;
  address: string;
  port: number;
  /** The host's UTS hostname, `lab<block>-<index>`. */
  hostname: string;
  /** Outside path of the host's private directories: host path `/opt/x` is `${fsRoot}/opt/x`. */
  fsRoot: string;
}

export interface LabKeys {
  /** OpenSSH-format ed25519 private key, no passphrase. */
  ed25519: string;
  /** RSA 2048 private key in PEM (`BEGIN RSA PRIVATE KEY`) format, no passphrase. */
  rsa: string;
  /** OpenSSH-format ed25519 private key encrypted with `passphrase`. */
  encrypted: string;
  passphrase: string;
}

export interface ExecOutput {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Lab {
  hosts: LabHost[];
  block: number;
  keys: LabKeys;
  /** Every host's current key at lab start, one `address key` line per host (`[address]:port key` for port ≠ 22). */
  knownHostsFile: string;
  /** The lab's state directory (outside view). */
  dir: string;
  /** The non-root sudo user that exists on every host. */
  sudoUser: string;
  /** Run `cmd` with /bin/sh inside host i (its mount + UTS namespaces) as root, without SSH. */
  exec(i: number, cmd: string): Promise<ExecOutput>;
  /** SIGKILL every process of host i (and its delay proxy): new connections are refused. */
  kill(i: number): Promise<void>;
  /** Blackhole host i with iptables: new connections time out, open ones hang until keepalive gives up. */
  drop(i: number): Promise<void>;
  /** Delay client→host bytes of host i by `ms` (0 removes the delay). */
  slow(i: number, ms: number): Promise<void>;
  /** Undo kill/drop/slow: remove the blackhole, stop the proxy, (re)start sshd on the normal port. */
  heal(i: number): Promise<void>;
  /** Give host i a new ed25519 host key and restart its sshd listener; knownHostsFile keeps the old key. */
  rotateHostKey(i: number): Promise<void>;
  /** Host i's current public host key, `ssh-ed25519 AAAA…`. */
  hostPublicKey(i: number): string;
  /** Stop everything this lab started and remove its state. Safe to call twice. */
  down(): Promise<void>;
}

export interface StartLabOptions {
  count: number;
  /** Address block (0..235): hosts get 127.<20+block>.x.y. Default: the first free block from 100 up. */
  block?: number;
  /** Copy test/support/stubs/* into each host's /usr/local/bin. */
  nodeStubs?: boolean;
  /** sshd port on every host address, default 22. */
  port?: number;
  /**
   * Extra sshd_config lines for a host (e.g. `MaxStartups 2:100:2`, or more `ListenAddress` lines so that one sshd
   * answers on several addresses of the lab's block). The lab's own settings come first.
   */
  sshdConfig?: (host: LabHost) => string[];
}

export const LAB_ROOT = '/tmp/genconf-lab';
export const LAB_PASSPHRASE = 'genconf lab passphrase';
const SSHD = '/usr/sbin/sshd';
const SUDO_USER = 'centos';
const MAX_BLOCK = 235;
const AUTO_BLOCK_START = 100;
/** sshd's port while a delay proxy holds the real one. */
const INNER_PORT_OFFSET = 10000;
/** Private directories of every host, as seen inside it. /tmp is mounted last: the sources live under /tmp. */
const PRIVATE_DIRS = [
  '/opt',
  '/etc/mesosphere',
  '/var/lib/dcos',
  '/etc/systemd',
  '/etc/profile.d',
  '/etc/rexray',
  '/usr/local/bin',
  '/root',
  `/home/${SUDO_USER}`,
  '/etc/genconf-lab',
  '/tmp',
];
const HARNESS_DIR = path.dirname(fileURLToPath(import.meta.url));
const STUBS_DIR = path.resolve(HARNESS_DIR, '../../support/stubs');
const PROXY_SCRIPT = path.join(HARNESS_DIR, 'delay-proxy.mjs');

// ------------------------------------------------------------------ prerequisites

function onPath(bin: string): boolean {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  return dirs.some((d) => {
    try {
      accessSync(path.join(d, bin), fsConstants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** What the lab needs and this machine lacks (`ok` when nothing). */
export function labPrerequisites(): { ok: boolean; missing: string[] } {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('root (run the lab tier as root)');
  if (process.platform !== 'linux') missing.push('Linux');
  try {
    accessSync(SSHD, fsConstants.X_OK);
  } catch {
    missing.push(`${SSHD} (apt-get install openssh-server)`);
  }
  for (const [bin, pkg] of [
    ['unshare', 'util-linux'],
    ['nsenter', 'util-linux'],
    ['mount', 'mount'],
    ['iptables', 'iptables'],
    ['sudo', 'sudo'],
    ['ssh-keygen', 'openssh-client'],
  ] as const) {
    if (!onPath(bin)) missing.push(`${bin} (apt-get install ${pkg})`);
  }
  return { ok: missing.length === 0, missing };
}

// ------------------------------------------------------------------ addresses

export function labAddress(block: number, index: number): string {
  return `127.${20 + block}.${1 + Math.floor((index - 1) / 254)}.${1 + ((index - 1) % 254)}`;
}

function chainName(block: number): string {
  return `GENCONF-LAB-${block}`;
}

// ------------------------------------------------------------------ processes (all synchronous: also used on exit)

/** Alive = exists and not a zombie (a sandbox PID 1 may reap late). */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Mount-namespace inodes recorded for a host (one line per listener start: a healed host gets a new namespace). */
function recordedInodes(hostDir: string): number[] {
  try {
    return readFileSync(path.join(hostDir, 'ns-inodes'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function mntInode(pid: number): number | undefined {
  try {
    const m = /^mnt:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/ns/mnt`));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

function isSshd(pid: number): boolean {
  try {
    return readlinkSync(`/proc/${pid}/exe`) === SSHD;
  } catch {
    return false;
  }
}

/** Live PIDs by mount-namespace inode, from one pass over /proc. */
function pidsByMntNs(): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const ino = mntInode(Number(name));
    if (ino === undefined) continue;
    const list = out.get(ino);
    if (list) list.push(Number(name));
    else out.set(ino, [Number(name)]);
  }
  return out;
}

/**
 * Which lab host's mount namespace a process lives in: the address in the harness's own marker file as the process
 * sees it (not /etc/genconf-lab/ip, which a test may rewrite to fake a broken ip-detect).
 */
function seenAddress(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/root/etc/genconf-lab/sshd/host-address`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * Every live process inside a lab host. A recorded namespace inode alone is not proof — the kernel reuses the
 * numbers of dead namespaces, possibly for another lab's host — so each candidate must also see this host's
 * address in the harness's marker file.
 */
function hostPids(byNs: Map<number, number[]>, inodes: number[], address: string): number[] {
  const pids = new Set<number>();
  for (const ino of inodes) {
    for (const pid of byNs.get(ino) ?? []) {
      if (isAlive(pid) && seenAddress(pid) === address) pids.add(pid);
    }
  }
  return [...pids];
}

/** An sshd listener of this host (its title keeps the ListenAddress argument), not a reused PID. */
function isListenerOf(pid: number, address: string): boolean {
  try {
    return (
      isAlive(pid) && isSshd(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(`ListenAddress=${address}:`)
    );
  } catch {
    return false;
  }
}

function killAndWait(pids: number[], signal: NodeJS.Signals = 'SIGKILL', waitMs = 3000): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
  const deadline = Date.now() + waitMs;
  let alive = pids.filter(isAlive);
  while (alive.length > 0 && Date.now() < deadline) {
    sleepSync(10);
    alive = alive.filter(isAlive);
  }
  for (const pid of alive) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

function readPid(file: string): number | undefined {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

function isDelayProxy(pid: number, address: string): boolean {
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return args.some((a) => a.endsWith('delay-proxy.mjs')) && args.includes(address);
  } catch {
    return false;
  }
}

function iptables(args: string[]): boolean {
  try {
    execFileSync('iptables', ['-w', ...args], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function removeChainSync(block: number): void {
  if (!onPath('iptables')) return;
  const chain = chainName(block);
  if (!iptables(['-n', '-L', chain])) return;
  while (iptables(['-D', 'INPUT', '-j', chain])) {
    /* remove every jump */
  }
  iptables(['-F', chain]);
  iptables(['-X', chain]);
}

/**
 * Tear down a lab directory from what is recorded on disk alone (so it also cleans up after a crashed process):
 * delay proxies by PID, every process inside the lab's namespaces, sshd listeners by PID, the iptables chain, the directory.
 */
function teardownDirSync(dir: string): void {
  if (!existsSync(dir)) return;
  const block = Number(readFileSync(path.join(dir, 'block'), 'utf8').trim());
  const hostsDir = path.join(dir, 'hosts');
  const hosts = (existsSync(hostsDir) ? readdirSync(hostsDir) : [])
    .filter((h) => /^\d+$/.test(h))
    .map((h) => ({ dir: path.join(hostsDir, h), address: labAddress(block, Number(h)) }));
  killAndWait(
    hosts
      .map((h) => ({ pid: readPid(path.join(h.dir, 'proxy.pid')), address: h.address }))
      .filter(
        (x): x is { pid: number; address: string } =>
          x.pid !== undefined && isAlive(x.pid) && isDelayProxy(x.pid, x.address),
      )
      .map((x) => x.pid),
  );
  // Namespaces are held by processes only (no persistent ns files): killing everything inside them ends them.
  // Recorded listener PIDs are killed too (a crash between spawn and recording its namespace leaves only the PID).
  const byNs = pidsByMntNs();
  const victims = new Set<number>();
  for (const h of hosts) {
    const listener = readPid(path.join(h.dir, 'sshd.pid'));
    if (listener !== undefined && isListenerOf(listener, h.address)) victims.add(listener);
    for (const pid of hostPids(byNs, recordedInodes(h.dir), h.address)) victims.add(pid);
  }
  killAndWait([...victims]);
  if (Number.isInteger(block)) removeChainSync(block);
  removeDirInBackground(dir);
}

/**
 * Deleting the host trees can take seconds: each of their directories was a mount point in a namespace that the
 * kernel is still tearing down (an RCU grace period per namespace, long on a busy machine). Nothing needs to wait
 * for that: rename the directory aside (instant; the block is free again) and let a detached `rm` finish, even
 * after this process exits.
 */
function removeDirInBackground(dir: string): void {
  const trash = path.join(LAB_ROOT, `.trash-${process.pid}-${Math.random().toString(36).slice(2)}`);
  let target = dir;
  try {
    renameSync(dir, trash);
    target = trash;
  } catch {
    /* keep the name; still delete it */
  }
  try {
    spawn('rm', ['-rf', '--one-file-system', target], { detached: true, stdio: 'ignore' }).unref();
  } catch {
    rmSync(target, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------ exit cleanup

const liveLabs = new Map<string, () => void>();
let exitHooked = false;

function cleanupAll(): void {
  for (const [dir, fn] of liveLabs) {
    try {
      fn();
    } catch (err) {
      process.stderr.write(`genconf-lab: cleanup of ${dir} failed: ${(err as Error).message}\n`);
    }
  }
  liveLabs.clear();
}

function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', cleanupAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      cleanupAll();
      process.off(sig, onSignal);
      // Nobody else handles it: restore the default action (terminate) by re-raising.
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
}

// ------------------------------------------------------------------ block claim

function ownerTag(): string {
  return `${process.pid} ${startTime(process.pid) ?? ''}`;
}

function ownerAlive(dir: string): boolean {
  let text: string;
  try {
    text = readFileSync(path.join(dir, 'owner'), 'utf8');
  } catch {
    // No owner: not a claim of ours (claims are made complete, see claimBlock). Dead unless brand new.
    try {
      return Date.now() - statSync(dir).mtimeMs < 60_000;
    } catch {
      return false;
    }
  }
  const [pid, start] = text.trim().split(' ');
  const n = Number(pid);
  if (!Number.isInteger(n) || n <= 0) return true; // unreadable: never tear down what we cannot judge
  return isAlive(n) && startTime(n) === start;
}

/**
 * Claim a block atomically: the directory is built complete (block + owner files) under a private name and renamed
 * into place, so nobody ever sees a half-made claim. A stale claim (owner process gone) is first renamed aside —
 * only one contender can win that rename — and torn down from there.
 */
async function claimBlock(requested: number | undefined): Promise<{ block: number; dir: string }> {
  await mkdir(LAB_ROOT, { recursive: true, mode: 0o755 });
  // Automatic blocks come from 100 up, so they never take a fixed block (0..99) another test file is about to ask for.
  const candidates =
    requested === undefined
      ? Array.from({ length: MAX_BLOCK - AUTO_BLOCK_START + 1 }, (_, b) => AUTO_BLOCK_START + b)
      : [requested];
  const unique = (): string => `${process.pid}-${Math.random().toString(36).slice(2)}`;
  // Leftovers of an interrupted delete or claim (a crash, a killed rm): gone after ten minutes.
  for (const name of readdirSync(LAB_ROOT)) {
    if (!/^\.(trash|claim)-/.test(name)) continue;
    try {
      if (Date.now() - statSync(path.join(LAB_ROOT, name)).mtimeMs > 600_000) {
        spawn('rm', ['-rf', '--one-file-system', path.join(LAB_ROOT, name)], {
          detached: true,
          stdio: 'ignore',
        }).unref();
      }
    } catch {
      /* someone else removed it */
    }
  }
  for (const block of candidates) {
    const dir = path.join(LAB_ROOT, `b${block}`);
    for (let attempt = 0; attempt < 3; attempt++) {
      const tmp = path.join(LAB_ROOT, `.claim-${unique()}`);
      await mkdir(tmp);
      await writeFile(path.join(tmp, 'block'), `${block}\n`);
      await writeFile(path.join(tmp, 'owner'), `${ownerTag()}\n`);
      try {
        await rename(tmp, dir);
        return { block, dir };
      } catch (err) {
        await rm(tmp, { recursive: true, force: true });
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw err;
      }
      if (ownerAlive(dir)) break;
      const trash = path.join(LAB_ROOT, `.stale-${unique()}`);
      try {
        await rename(dir, trash);
      } catch {
        continue; // another process moved it first
      }
      if (!existsSync(path.join(trash, 'block'))) await writeFile(path.join(trash, 'block'), `${block}\n`);
      teardownDirSync(trash);
    }
    if (requested !== undefined) {
      const owner = readFileSync(path.join(dir, 'owner'), 'utf8').trim().split(' ')[0];
      throw new Error(
        `lab block ${block} (${dir}) is in use by live process ${owner}; pick another block or leave it out`,
      );
    }
  }
  throw new Error(`no free lab block under ${LAB_ROOT} (${AUTO_BLOCK_START}..${MAX_BLOCK} all in use)`);
}

// ------------------------------------------------------------------ machine setup (idempotent, shared by labs)

async function run(cmd: string, args: string[]): Promise<ExecOutput> {
  try {
    const { stdout, stderr } = await execFileP(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string; message: string };
    return { code: typeof e.code === 'number' ? e.code : 127, stdout: e.stdout ?? '', stderr: e.stderr ?? e.message };
  }
}

async function mustRun(cmd: string, args: string[]): Promise<string> {
  const r = await run(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

async function ensureSudoUser(): Promise<{ uid: number; gid: number }> {
  for (let attempt = 0; ; attempt++) {
    const id = await run('id', ['-u', SUDO_USER]);
    if (id.code === 0) break;
    // Parallel labs race on /etc/passwd's lock: retry, then re-check.
    const add = await run('useradd', ['-m', '-d', `/home/${SUDO_USER}`, '-s', '/bin/bash', SUDO_USER]);
    if (add.code === 0) break;
    if (attempt >= 20) throw new Error(`useradd ${SUDO_USER} failed: ${add.stderr.trim()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  // '*' = no password but not locked: sshd without PAM refuses locked ('!') accounts.
  const shadow = (await run('getent', ['shadow', SUDO_USER])).stdout.split(':')[1];
  if (shadow !== '*') await mustRun('usermod', ['-p', '*', SUDO_USER]);
  const sudoers = '/etc/sudoers.d/genconf-lab';
  if (!existsSync(sudoers)) {
    const tmp = `${sudoers}.${process.pid}.tmp`;
    await writeFile(tmp, `${SUDO_USER} ALL=(ALL) NOPASSWD:ALL\n`, { mode: 0o440 });
    await mustRun('visudo', ['-cq', '-f', tmp]);
    await rename(tmp, sudoers);
  }
  const uid = Number((await mustRun('id', ['-u', SUDO_USER])).trim());
  const gid = Number((await mustRun('id', ['-g', SUDO_USER])).trim());
  return { uid, gid };
}

async function ensureMountPoints(): Promise<void> {
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  for (const d of PRIVATE_DIRS) {
    if (!existsSync(d)) {
      // Left in place on down: another lab (of this or another process) may have a host mounted on it, and
      // removing a directory that is a mount point in another namespace detaches that mount.
      await mkdir(d, { recursive: true });
    }
  }
}

async function makeClientKeys(keysDir: string): Promise<LabKeys> {
  await mkdir(keysDir, { recursive: true, mode: 0o700 });
  const k = (name: string): string => path.join(keysDir, name);
  await Promise.all([
    mustRun('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'genconf-lab', '-f', k('id_ed25519')]),
    mustRun('ssh-keygen', [
      '-q',
      '-t',
      'rsa',
      '-b',
      '2048',
      '-m',
      'PEM',
      '-N',
      '',
      '-C',
      'genconf-lab-rsa',
      '-f',
      k('id_rsa'),
    ]),
    mustRun('ssh-keygen', [
      '-q',
      '-t',
      'ed25519',
      '-N',
      LAB_PASSPHRASE,
      '-C',
      'genconf-lab-enc',
      '-f',
      k('id_ed25519_enc'),
    ]),
  ]);
  return { ed25519: k('id_ed25519'), rsa: k('id_rsa'), encrypted: k('id_ed25519_enc'), passphrase: LAB_PASSPHRASE };
}

function sshdConfig(port: number, extra: readonly string[] = []): string {
  // Paths are as seen inside the host. sshd's defaults (MaxStartups 10:30:100, MaxSessions 10) are kept on purpose:
  // the installer must live with them on real hosts.
  return [
    '# written by the genconf test lab',
    `Port ${port}`,
    'HostKey /etc/genconf-lab/sshd/ssh_host_ed25519_key',
    'PidFile /etc/genconf-lab/sshd/sshd.pid',
    'AuthorizedKeysFile /etc/genconf-lab/sshd/authorized_keys/%u',
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'UseDNS no',
    'PrintMotd no',
    'PrintLastLog no',
    'X11Forwarding no',
    'Subsystem sftp internal-sftp',
    'LogLevel INFO',
    ...extra,
    '',
  ].join('\n');
}

// ------------------------------------------------------------------ the lab

interface HostState {
  host: LabHost;
  dir: string;
  /** Our fstab for the host's bind mounts (outside path). */
  fstab: string;
  /** Port sshd currently listens on (port + 10000 while slowed). */
  sshdPort: number;
}

class LabImpl implements Lab {
  hosts: LabHost[] = [];
  keys!: LabKeys;
  knownHostsFile: string;
  sudoUser = SUDO_USER;
  private readonly state = new Map<number, HostState>();
  private extraSshd?: (host: LabHost) => string[];
  private downed = false;

  constructor(
    readonly block: number,
    readonly dir: string,
    private readonly port: number,
  ) {
    this.knownHostsFile = path.join(dir, 'known_hosts');
  }

  host(i: number): HostState {
    const s = this.state.get(i);
    if (!s) throw new Error(`lab host ${i} does not exist (hosts are 1..${this.hosts.length})`);
    if (this.downed) throw new Error('the lab is down');
    return s;
  }

  async build(count: number, nodeStubs: boolean, extraSshd?: (host: LabHost) => string[]): Promise<void> {
    this.extraSshd = extraSshd;
    if (nodeStubs && !existsSync(STUBS_DIR)) {
      throw new Error(`nodeStubs: ${STUBS_DIR} does not exist (the node stand-ins: systemctl, docker, …)`);
    }
    const [owner, keys] = await Promise.all([ensureSudoUser(), this.makeKeys(), ensureMountPoints()]);
    this.keys = keys;
    const authorized = (
      await Promise.all([keys.ed25519, keys.rsa, keys.encrypted].map((k) => readFile(`${k}.pub`, 'utf8')))
    ).join('');
    const systemHosts = (await readFile('/etc/hosts', 'utf8').catch(() => '127.0.0.1 localhost\n')).trimEnd();
    for (let i = 1; i <= count; i++) {
      const address = labAddress(this.block, i);
      const dir = path.join(this.dir, 'hosts', String(i));
      const host: LabHost = {
        index: i,
        address,
        port: this.port,
        hostname: `lab${this.block}-${i}`,
        fsRoot: path.join(dir, 'fs'),
      };
      this.hosts.push(host);
      this.state.set(i, { host, dir, fstab: path.join(dir, 'fstab'), sshdPort: this.port });
    }
    // Names resolve from files inside the hosts, so sudo never waits on DNS.
    await writeFile(
      path.join(this.dir, 'etc-hosts'),
      `${systemHosts}\n${this.hosts.map((h) => `${h.address} ${h.hostname}`).join('\n')}\n`,
    );
    const stubs = nodeStubs ? await readdir(STUBS_DIR) : [];
    const limit = pLimit(Math.max(4, os.availableParallelism() * 4));
    await Promise.all(this.hosts.map((h) => limit(() => this.createHost(h.index, authorized, owner, stubs))));
    await writeFile(
      this.knownHostsFile,
      this.hosts
        .map((h) => `${this.port === 22 ? h.address : `[${h.address}]:${this.port}`} ${this.hostPublicKey(h.index)}\n`)
        .join(''),
      { mode: 0o600 },
    );
  }

  private async makeKeys(): Promise<LabKeys> {
    return makeClientKeys(path.join(this.dir, 'keys'));
  }

  private async createHost(
    i: number,
    authorized: string,
    owner: { uid: number; gid: number },
    stubs: string[],
  ): Promise<void> {
    const s = this.state.get(i)!;
    const fs = s.host.fsRoot;
    const ident = path.join(fs, 'etc/genconf-lab');
    await Promise.all(PRIVATE_DIRS.map((d) => mkdir(path.join(fs, d), { recursive: true })));
    await Promise.all([
      mkdir(path.join(ident, 'sshd/authorized_keys'), { recursive: true }),
      mkdir(path.join(fs, 'etc/systemd/system'), { recursive: true }),
      chmod(path.join(fs, 'tmp'), 0o1777),
      chmod(path.join(fs, 'root'), 0o700),
      chown(path.join(fs, 'home', SUDO_USER), owner.uid, owner.gid),
      writeFile(path.join(ident, 'ip'), `${s.host.address}\n`),
      writeFile(path.join(ident, 'hostname'), `${s.host.hostname}\n`),
      writeFile(path.join(ident, 'index'), `${i}\n`),
      ...stubs.map(async (f) => {
        const dst = path.join(fs, 'usr/local/bin', f);
        await copyFile(path.join(STUBS_DIR, f), dst);
        await chmod(dst, 0o755);
      }),
    ]);
    await Promise.all([
      writeFile(path.join(ident, 'sshd/sshd_config'), sshdConfig(this.port, this.extraSshd?.(s.host))),
      writeFile(path.join(ident, 'sshd/host-address'), `${s.host.address}\n`),
      writeFile(path.join(ident, 'sshd/authorized_keys/root'), authorized, { mode: 0o644 }),
      writeFile(path.join(ident, `sshd/authorized_keys/${SUDO_USER}`), authorized, { mode: 0o644 }),
      this.writeHostKey(i),
    ]);
    const binds = PRIVATE_DIRS.filter((d) => d !== '/tmp').map((d) => `${path.join(fs, d)} ${d} none bind 0 0`);
    binds.push(`${path.join(this.dir, 'etc-hosts')} /etc/hosts none bind 0 0`);
    binds.push(`${path.join(fs, 'tmp')} /tmp none bind 0 0`);
    await writeFile(s.fstab, `${binds.join('\n')}\n`);
    await this.startListener(i, this.port);
  }

  private async writeHostKey(i: number): Promise<void> {
    const s = this.state.get(i)!;
    const key = generateEd25519(s.host.hostname);
    const base = path.join(s.host.fsRoot, 'etc/genconf-lab/sshd/ssh_host_ed25519_key');
    await writeFile(`${base}.tmp`, key.privateKey, { mode: 0o600 });
    await rename(`${base}.tmp`, base);
    await writeFile(`${base}.pub`, `${key.publicKey}\n`);
  }

  /**
   * Start host i's sshd listener in a NEW mount + UTS namespace: one process sets the hostname, does every bind mount
   * (`mount -a` on the host's own fstab) and then execs sshd -D, so the spawned PID is sshd's and the namespace lives
   * exactly as long as something runs in it. No persistent namespace files: with them, every later namespace would
   * copy every earlier one's ns mount (quadratic in hosts). A healed host simply gets a fresh namespace with the same
   * bind mounts. Resolves once sshd wrote its pid file, i.e. is listening.
   */
  private async startListener(i: number, port: number): Promise<void> {
    const s = this.state.get(i)!;
    s.sshdPort = port;
    const pidFile = path.join(s.host.fsRoot, 'etc/genconf-lab/sshd/sshd.pid');
    await rm(pidFile, { force: true });
    const init =
      'printf %s "$1" > /proc/sys/kernel/hostname && mount -a -T "$2" && cd / && ' +
      'exec "$3" -D -f /etc/genconf-lab/sshd/sshd_config -E /etc/genconf-lab/sshd/sshd.log -o "ListenAddress=$4"';
    const args = ['--mount', '--uts', '--propagation', 'private', '--', '/bin/sh', '-c', init, 'lab-init'];
    args.push(s.host.hostname, s.fstab, SSHD, `${s.host.address}:${port}`);
    const logFd = openSync(path.join(s.dir, 'up.log'), 'a');
    let exited: string | undefined;
    let pid: number | undefined;
    try {
      const child = spawn('unshare', args, { detached: true, stdio: ['ignore', logFd, logFd] });
      child.on('error', (err) => (exited = err.message));
      child.on('exit', (code, sig) => (exited = `exited with ${sig ?? code}`));
      child.unref();
      pid = child.pid;
      if (pid) await writeFile(path.join(s.dir, 'sshd.pid'), `${pid}\n`);
    } finally {
      closeSync(logFd);
    }
    const deadline = Date.now() + 20_000;
    while (!existsSync(pidFile)) {
      if (exited !== undefined || Date.now() > deadline) {
        const log = await readFile(path.join(s.dir, 'up.log'), 'utf8').catch(() => '');
        const sshdLog = await readFile(path.join(s.host.fsRoot, 'etc/genconf-lab/sshd/sshd.log'), 'utf8').catch(
          () => '',
        );
        throw new Error(
          `lab host ${i} (${s.host.address}): sshd ${exited ?? 'did not start within 20 s'}\n${log.slice(-2000)}${sshdLog.slice(-2000)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    const ino = pid === undefined ? undefined : mntInode(pid);
    if (ino !== undefined) await writeFile(path.join(s.dir, 'ns-inodes'), `${ino}\n`, { flag: 'a' });
  }

  hostPublicKey(i: number): string {
    const s = this.host(i);
    const line = readFileSync(path.join(s.host.fsRoot, 'etc/genconf-lab/sshd/ssh_host_ed25519_key.pub'), 'utf8');
    return line.split(' ').slice(0, 2).join(' ');
  }

  /** Every live process inside host i (any of its namespaces: old sessions may outlive a restarted listener). */
  private pids(i: number): number[] {
    const s = this.host(i);
    return hostPids(pidsByMntNs(), recordedInodes(s.dir), s.host.address);
  }

  /** The live listener PID of host i, if any (guarded against PID reuse: it must be an sshd inside the host). */
  private listenerPid(i: number): number | undefined {
    const s = this.host(i);
    const pid = readPid(path.join(s.dir, 'sshd.pid'));
    return pid !== undefined && isListenerOf(pid, s.host.address) && seenAddress(pid) === s.host.address
      ? pid
      : undefined;
  }

  /** SIGTERM only the listener of host i (running sessions continue). */
  private stopListener(i: number): void {
    const pid = this.listenerPid(i);
    if (pid !== undefined) killAndWait([pid], 'SIGTERM');
  }

  private stopProxy(i: number): void {
    const s = this.host(i);
    const file = path.join(s.dir, 'proxy.pid');
    const pid = readPid(file);
    if (pid !== undefined && isAlive(pid) && isDelayProxy(pid, s.host.address)) killAndWait([pid], 'SIGTERM');
    rmSync(file, { force: true });
  }

  async exec(i: number, cmd: string): Promise<ExecOutput> {
    const s = this.host(i);
    const pid = this.listenerPid(i);
    if (pid !== undefined)
      return run('nsenter', ['-t', String(pid), '--mount', '--uts', '--wd=/', '--', '/bin/sh', '-c', cmd]);
    // Nothing runs in the host (killed): build the same view in a throwaway namespace.
    const init = 'printf %s "$1" > /proc/sys/kernel/hostname && mount -a -T "$2" && cd / && exec /bin/sh -c "$3"';
    return run('unshare', [
      '--mount',
      '--uts',
      '--propagation',
      'private',
      '--',
      '/bin/sh',
      '-c',
      init,
      'lab-exec',
      s.host.hostname,
      s.fstab,
      cmd,
    ]);
  }

  async kill(i: number): Promise<void> {
    this.stopProxy(i);
    killAndWait(this.pids(i), 'SIGKILL');
  }

  async drop(i: number): Promise<void> {
    const s = this.host(i);
    const chain = chainName(this.block);
    if (!iptables(['-n', '-L', chain])) iptables(['-N', chain]);
    if (!iptables(['-C', 'INPUT', '-j', chain])) {
      if (!iptables(['-I', 'INPUT', '1', '-j', chain]))
        throw new Error(`iptables: cannot hook chain ${chain} into INPUT`);
    }
    for (const dir of ['-d', '-s']) {
      const rule = [chain, dir, `${s.host.address}/32`, '-j', 'DROP'];
      if (!iptables(['-C', ...rule]) && !iptables(['-A', ...rule]))
        throw new Error(`iptables -A ${rule.join(' ')} failed`);
    }
  }

  private undrop(i: number): void {
    const s = this.host(i);
    const chain = chainName(this.block);
    for (const dir of ['-d', '-s']) {
      while (iptables(['-D', chain, dir, `${s.host.address}/32`, '-j', 'DROP'])) {
        /* remove duplicates too */
      }
    }
  }

  async slow(i: number, ms: number): Promise<void> {
    if (!Number.isInteger(ms) || ms < 0) throw new Error(`slow: ms must be a non-negative integer, got ${ms}`);
    const s = this.host(i);
    this.stopProxy(i);
    this.stopListener(i);
    if (ms === 0) {
      await this.startListener(i, this.port);
      return;
    }
    const inner = this.port + INNER_PORT_OFFSET;
    await this.startListener(i, inner);
    const logFd = openSync(path.join(s.dir, 'proxy.log'), 'a');
    const child = spawn(
      process.execPath,
      [PROXY_SCRIPT, s.host.address, String(this.port), s.host.address, String(inner), String(ms)],
      {
        detached: true,
        stdio: ['ignore', 'pipe', logFd],
      },
    );
    closeSync(logFd);
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('ready')) resolve();
      });
      child.on('exit', (code) =>
        reject(new Error(`delay proxy for host ${i} exited (${code}); see ${path.join(s.dir, 'proxy.log')}`)),
      );
      child.on('error', reject);
    });
    child.stdout!.destroy();
    child.unref();
    await writeFile(path.join(s.dir, 'proxy.pid'), `${child.pid}\n`);
  }

  async heal(i: number): Promise<void> {
    const s = this.host(i);
    this.undrop(i);
    const proxied = existsSync(path.join(s.dir, 'proxy.pid')) || s.sshdPort !== this.port;
    this.stopProxy(i);
    if (proxied) this.stopListener(i);
    if (this.listenerPid(i) === undefined) await this.startListener(i, this.port);
  }

  async rotateHostKey(i: number): Promise<void> {
    const s = this.host(i);
    await this.writeHostKey(i);
    this.stopListener(i);
    await this.startListener(i, s.sshdPort);
  }

  async down(): Promise<void> {
    if (this.downed) return;
    this.downed = true;
    liveLabs.delete(this.dir);
    teardownDirSync(this.dir);
  }
}

/** Bring up `count` hosts (1..count). Rejects, after cleaning up, when any host fails to start. */
export async function startLab(opts: StartLabOptions): Promise<Lab> {
  const pre = labPrerequisites();
  if (!pre.ok) throw new Error(`the SSH test lab cannot run here; missing: ${pre.missing.join(', ')}`);
  if (!Number.isInteger(opts.count) || opts.count < 1 || opts.count > 5000)
    throw new Error(`lab count must be 1..5000, got ${opts.count}`);
  if (opts.block !== undefined && (!Number.isInteger(opts.block) || opts.block < 0 || opts.block > MAX_BLOCK)) {
    throw new Error(`lab block must be 0..${MAX_BLOCK}, got ${opts.block}`);
  }
  const port = opts.port ?? 22;
  if (!Number.isInteger(port) || port < 1 || port + INNER_PORT_OFFSET > 65535)
    throw new Error(`lab port must be 1..${65535 - INNER_PORT_OFFSET}`);
  const { block, dir } = await claimBlock(opts.block);
  const lab = new LabImpl(block, dir, port);
  hookExit();
  liveLabs.set(dir, () => teardownDirSync(dir));
  try {
    await lab.build(opts.count, opts.nodeStubs ?? false, opts.sshdConfig);
  } catch (err) {
    await lab.down();
    throw err;
  }
  return lab;
}
