/**
 * A private mount-namespace sandbox for running node scripts "as a node", as root, without touching the machine.
 *
 * Each command runs under `unshare --mount --propagation private`, with private directories of the sandbox
 * bind-mounted over the paths a DC/OS node writes (/opt, /etc/mesosphere, /etc/systemd, /var/lib/dcos,
 * /etc/profile.d, /etc/rexray, /usr/local/bin, /tmp). /usr/local/bin holds the stand-ins of test/support/stubs
 * (systemctl, docker, …) and comes first on PATH, so `systemctl start dcos-setup` runs the stub, which runs the units
 * the script wrote into the sandbox's /etc/systemd/system. The sandbox's files persist between commands (they live in
 * `root` on the host), so a test can run several commands and then inspect `hostPath('/opt/mesosphere')`.
 *
 * Mount points the machine lacks (e.g. /etc/mesosphere) have to exist on the host for a bind mount. They are created
 * as empty directories and removed again by the last sandbox to be disposed (a small lock-protected registry shared
 * by test processes running in parallel).
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PRIVATE_DIRS = [
  '/opt',
  '/etc/mesosphere',
  '/etc/systemd',
  '/var/lib/dcos',
  '/etc/profile.d',
  '/etc/rexray',
  '/usr/local/bin',
  // Last: the sandbox root itself is under the host's /tmp, hidden once /tmp is replaced.
  '/tmp',
] as const;

export const STUBS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'stubs');
const REGISTRY = path.join(os.tmpdir(), '.dcos-genconf-sandbox-registry');
const SANDBOX_PATH = '/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Why sandboxes cannot run here, or undefined when they can (root and a working `unshare --mount`). */
export function sandboxUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'the sandbox needs root (mount namespaces and bind mounts)';
  const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'true'], { encoding: 'utf8' });
  if (r.error) return `unshare is not available: ${r.error.message}`;
  if (r.status !== 0) return `unshare --mount fails here: ${r.stderr.trim()}`;
  return undefined;
}

export interface RunResult {
  /** The exit status; 128 + the signal number when the command was killed (e.g. by the timeout). */
  status: number;
  signal?: string;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string>;
  input?: string;
  timeoutMs?: number;
}

/** Inside the namespace: bind every private directory, then run the command with a clean, node-like environment. */
const ENTER = `set -euo pipefail
root=$1; shift
dirs=$1; shift
for d in $dirs; do mount --bind "$root$d" "$d"; done
cd /
exec "$@"`;

/**
 * The command was SIGKILLed from outside: our own timeout sends SIGTERM, so a SIGKILL comes from another process on
 * the machine (an OOM kill, a lab tearing down the namespaces it owns). Not a result of the script under test;
 * withSandbox() runs the test body again once in a fresh sandbox when it happens.
 */
export class SandboxKilled extends Error {
  constructor(
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(`the sandboxed command was killed by SIGKILL from outside the test\n${stdout}\n${stderr}`);
    this.name = 'SandboxKilled';
  }
}

function result(status: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string): RunResult {
  if (status !== null) return { status, stdout, stderr };
  if (signal === 'SIGKILL') throw new SandboxKilled(stdout, stderr);
  const n = signal ? (os.constants.signals[signal] ?? 0) : 0;
  return { status: 128 + n, signal: signal ?? 'unknown', stdout, stderr: `${stderr}\n[sandbox: killed by ${signal}]` };
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Runs `fn` holding the registry lock (an atomic mkdir), so that creating and removing mount points never races. */
function withRegistryLock<T>(fn: () => T): T {
  fs.mkdirSync(REGISTRY, { recursive: true });
  const lock = path.join(REGISTRY, 'lock');
  for (let i = 0; ; i++) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // A lock older than 30 s belongs to a process that died holding it.
      if (i > 3000 || Date.now() - fs.statSync(lock).mtimeMs > 30_000)
        fs.rmSync(lock, { recursive: true, force: true });
      sleepMs(10);
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export class Sandbox {
  private disposed = false;

  private constructor(
    /** The sandbox's private tree on the host: `root + '/opt'` is the sandbox's /opt. */
    readonly root: string,
    private readonly userFile: string,
  ) {}

  /** Creates the private directories (stubs copied into /usr/local/bin) and registers the needed mount points. */
  static create(): Sandbox {
    const reason = sandboxUnavailable();
    if (reason) throw new Error(reason);
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dcos-genconf-sandbox-'));
    for (const d of PRIVATE_DIRS) fs.mkdirSync(path.join(root, d), { recursive: true, mode: 0o755 });
    fs.chmodSync(path.join(root, 'tmp'), 0o1777);
    fs.mkdirSync(path.join(root, 'etc/systemd/system'), { recursive: true });
    for (const stub of fs.readdirSync(STUBS_DIR)) {
      fs.copyFileSync(path.join(STUBS_DIR, stub), path.join(root, 'usr/local/bin', stub));
      fs.chmodSync(path.join(root, 'usr/local/bin', stub), 0o755);
    }
    const userFile = withRegistryLock(() => {
      fs.mkdirSync(path.join(REGISTRY, 'users'), { recursive: true });
      fs.mkdirSync(path.join(REGISTRY, 'created'), { recursive: true });
      for (const d of PRIVATE_DIRS) {
        if (!fs.existsSync(d)) {
          fs.mkdirSync(d, { recursive: true, mode: 0o755 });
          fs.writeFileSync(path.join(REGISTRY, 'created', encodeURIComponent(d)), '');
        }
      }
      const f = path.join(REGISTRY, 'users', `${process.pid}-${path.basename(root)}`);
      fs.writeFileSync(f, root);
      return f;
    });
    return new Sandbox(root, userFile);
  }

  /** The host path of a path inside the sandbox (only under one of the private directories). */
  hostPath(p: string): string {
    if (!PRIVATE_DIRS.some((d) => p === d || p.startsWith(`${d}/`))) {
      throw new Error(`${p} is not under a private directory of the sandbox`);
    }
    return path.join(this.root, p);
  }

  /** The unshare command line that enters the sandbox and runs argv, and its node-like environment. */
  private command(argv: readonly string[], opts: RunOptions): { args: string[]; env: Record<string, string> } {
    if (this.disposed) throw new Error('sandbox already disposed');
    return {
      args: [
        '--mount',
        '--propagation',
        'private',
        '--',
        'bash',
        '-c',
        ENTER,
        'sandbox',
        this.root,
        PRIVATE_DIRS.join(' '),
        ...argv,
      ],
      env: { PATH: SANDBOX_PATH, HOME: '/root', LANG: 'C.UTF-8', TERM: 'dumb', ...opts.env },
    };
  }

  /** Runs argv inside the sandbox as root, with PATH = the stubs first, then the system. */
  run(argv: readonly string[], opts: RunOptions = {}): RunResult {
    const { args, env } = this.command(argv, opts);
    // stdin /dev/null unless there is input: node's pipes are socketpairs, and bash with a socket on stdin thinks it
    // runs under sshd and sources ~/.bashrc, which is the machine's, not a node's.
    const r = spawnSync('unshare', args, {
      encoding: 'utf8',
      env,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      ...(opts.input === undefined ? {} : { input: opts.input }),
      timeout: opts.timeoutMs ?? 120_000,
      maxBuffer: 64 << 20,
    });
    if (r.error && !r.signal) throw r.error;
    return result(r.status, r.signal, r.stdout, r.stderr);
  }

  /**
   * Like run(), without blocking the event loop: for tests whose command talks to a server in the test process
   * (e.g. an HTTP bootstrap_url served by node:http).
   */
  runAsync(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    const { args, env } = this.command(argv, opts);
    const child = spawn('unshare', args, {
      env,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      timeout: opts.timeoutMs ?? 120_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => {
        try {
          resolve(result(code, signal, stdout, stderr));
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
    });
  }

  /** Runs a bash script inside the sandbox. */
  sh(script: string, opts: RunOptions = {}): RunResult {
    return this.run(['bash', '-c', script], opts);
  }

  /** Removes the private tree and this sandbox's registration. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    fs.rmSync(this.root, { recursive: true, force: true });
    withRegistryLock(() => {
      fs.rmSync(this.userFile, { force: true });
      const users = path.join(REGISTRY, 'users');
      // Forget registrations of sandboxes whose process is gone.
      for (const u of fs.readdirSync(users)) {
        if (!pidAlive(Number(u.split('-')[0]))) fs.rmSync(path.join(users, u), { force: true });
      }
      // The mount points this module created on the machine (/etc/mesosphere, /var/lib/dcos, …) stay: removing a
      // directory that is a mount point in another mount namespace (an SSH lab host) silently detaches that mount.
    });
  }
}

/**
 * Runs `fn` with a fresh sandbox (prepared by `prepare`) and disposes of it. If a command was killed from outside
 * (SandboxKilled), the whole body runs once more in a new sandbox; any other failure is the test's.
 */
export async function withSandbox<T>(
  fn: (sb: Sandbox) => T | Promise<T>,
  prepare: (sb: Sandbox) => void = () => {},
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const sb = Sandbox.create();
    try {
      prepare(sb);
      return await fn(sb);
    } catch (err) {
      if (!(err instanceof SandboxKilled) || attempt > 0) throw err;
      console.warn(`sandbox: ${err.message.split('\n')[0]}; running the test body again`);
    } finally {
      sb.dispose();
    }
  }
}
