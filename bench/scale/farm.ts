/**
 * The bench host farm: ONE process, an ssh2 Server per loopback address (127.x.y.z; on Linux all of 127/8 routes to
 * lo, so no root is needed to bind them), each address with its own host key. It speaks exactly what genconf's
 * preflight and deploy send (src/stages, src/transport/exec.ts and sftp.ts) and answers with a cheap, fixed remote
 * "work" (a sleep and a fixed output), so that a many-host run measures the client, not the hosts. SFTP writes are
 * hashed and thrown away; `sha256sum` answers from that hash. An unknown command exits 127 with a message: the farm
 * is strict on purpose, so that a protocol change in the stages shows up as a failing bench or test.
 *
 * Real sshd hosts (the lab) stay the truth for behaviour; this is a measuring instrument and lives in bench/ only.
 *
 * usage: node dist/bench/scale/farm.js --hosts=N --port=P --authorized=KEY.pub --known-hosts=OUT
 *          [--net=127.201] [--work-ms=0] [--checks=30] [--keys=DIR]
 * Prints `ready <N>` on stdout when every address listens; on SIGTERM prints one JSON line of its own counters.
 */
import { createHash, type Hash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ssh2 from 'ssh2';
import type { AuthContext, Connection, ParsedKey, ServerChannel, SFTPWrapper } from 'ssh2';
import { hostKeyPool, type PoolKey } from './keys.js';
import { INSTALLED_PROBE } from '../../src/stages/installed.js';

const { Server, utils } = ssh2;
const { STATUS_CODE } = utils.sftp;

/** The farm presents itself as OpenSSH: ssh2 clients size SFTP writes (256 KiB packets) by the server's name. */
const IDENT = 'OpenSSH_9.2p1 genconf-bench-farm';

export interface FarmOptions {
  /** Addresses to answer on, in order. */
  addresses: string[];
  /** One port for every address, or 0 for an ephemeral port per address (tests). */
  port: number;
  /** Public key blobs (SSH wire format) allowed to log in, as any user. */
  authorized: Buffer[];
  /** A host key per address (same length as `addresses`). */
  hostKeys: PoolKey[];
  /** Remote work of the preflight and the install: a fixed sleep. */
  workMs?: number;
  /** Remote work: check lines printed by the preflight (fixed output). */
  checks?: number;
}

export interface FarmHost {
  address: string;
  port: number;
  /** base64 public key blob of this address's host key. */
  publicB64: string;
}

export interface FarmCounters {
  connections: number;
  /** Connections between TCP accept and the end of authentication, now and at most. */
  handshaking: number;
  maxHandshaking: number;
  commands: number;
  unknownCommands: number;
  uploads: number;
  /** Files open for writing (uploads between SFTP OPEN and CLOSE), now and at most. */
  uploading: number;
  maxUploading: number;
  bytesReceived: number;
}

export interface Farm {
  hosts: FarmHost[];
  counters: FarmCounters;
  /** known_hosts text mapping every address (as `[addr]:port`) to its own key. */
  knownHosts(): string;
  close(): Promise<void>;
}

/** Host i of the farm: 127.<net>.<i / 250>.<i % 250 + 1>. */
export function farmAddress(net: string, i: number): string {
  return `${net}.${Math.floor(i / 250)}.${(i % 250) + 1}`;
}

/** Split a POSIX shell word list as src/transport/quote.ts writes it ('…' quoting, backslash escapes, bare words). */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error('unterminated quote');
      cur += line.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i]!;
      inWord = true;
    } else if (c === ' ' || c === '\t' || c === '\n') {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

const WRAPPED = /^exec env GENCONF_RUN=[0-9a-f]+ "\$\{SHELL:-\/bin\/sh\}" -c (.*)$/s;

/** The command inside genconf's wrapper (exec.ts wrapCommand), as an argv; undefined for an unwrapped command. */
export function innerArgv(command: string): string[] | undefined {
  const m = WRAPPED.exec(command);
  if (!m) return undefined;
  const [inner] = shellWords(m[1]!);
  return inner === undefined ? undefined : shellWords(inner);
}

interface Reply {
  stdout?: string;
  stderr?: string;
  code: number;
  /** Read stdin to its end before answering (the command consumes it, as `bash -s` does). */
  readsStdin?: boolean;
  /** The fixed remote work applies (sleep). */
  work?: boolean;
}

export function fixedChecks(n: number): string {
  let s = '';
  for (let i = 1; i <= n; i++) s += `farm check ${String(i).padStart(2, '0')} is fine: PASS\n`;
  return s;
}

/** What a farm host prints for the preflight (templates/remote/preflight.sh's framing): its address, then the checks. */
export function preflightReply(address: string, checks: string): string {
  return (
    `@@genconf ip-detect exit=0\n${address}\n\n@@genconf ip-detect stderr\n\n@@genconf preflight\n` +
    `${checks}@@genconf preflight exit=0\n`
  );
}

export async function startFarm(o: FarmOptions): Promise<Farm> {
  if (o.hostKeys.length < o.addresses.length) throw new Error('a host key per address is needed');
  const workMs = o.workMs ?? 0;
  const checks = fixedChecks(o.checks ?? 30);
  const counters: FarmCounters = {
    connections: 0,
    handshaking: 0,
    maxHandshaking: 0,
    commands: 0,
    unknownCommands: 0,
    uploads: 0,
    uploading: 0,
    maxUploading: 0,
    bytesReceived: 0,
  };
  const authorized: ParsedKey[] = o.authorized.map((b) => {
    const type = b.subarray(4, 4 + b.readUInt32BE(0)).toString('latin1');
    const parsed = utils.parseKey(`${type} ${b.toString('base64')}`);
    if (parsed instanceof Error || Array.isArray(parsed)) throw new Error(`cannot read an authorized key (${type})`);
    return parsed;
  });

  /** What each address holds: remote path → SHA-256 (hex) of what was written there. */
  const files = new Map<string, Map<string, string>>();

  function replyFor(address: string, user: string, argv: string[] | undefined, raw: string): Reply {
    if (!argv) {
      // exec.ts kills a timed-out command's session with an unwrapped script; nothing runs here, so nothing to kill.
      if (raw.startsWith('for f in $(grep -lzx')) return { code: 0 };
      return { code: 127, stderr: `farm: unsupported command (not wrapped by genconf): ${raw.slice(0, 200)}\n` };
    }
    const a = argv;
    const held = files.get(address);
    const is = (...want: string[]): boolean => want.every((w, i) => a[i] === w);
    if (a.length === 7 && is('sudo', '-n', 'bash', '-s', '--')) {
      return { code: 0, stdout: preflightReply(address, checks), readsStdin: true, work: true };
    }
    // deploy's first step looks for an earlier install: a farm host never holds one.
    if (a.length === 3 && is('sh', '-c') && a[2] === INSTALLED_PROBE)
      return { code: 0, stdout: 'roles=\nconfig=\nopt=no\nunits=no\n' };
    if (a.length === 5 && is('sudo', '-n', 'bash') && a[3]!.endsWith('/dcos_install.sh'))
      return { code: 0, stdout: `farm: installed DC/OS as ${a[4]}\n`, work: true };
    if (a.length === 9 && is('sudo', '-n', 'install', '-d', '-o', user, '-m', '0755')) return { code: 0 };
    if (a.length === 6 && is('sudo', '-n', 'rm', '-rf', '--one-file-system')) {
      const dir = a[5]!.replace(/\/+$/, '') + '/';
      for (const p of [...(held?.keys() ?? [])]) if (p.startsWith(dir)) held!.delete(p);
      return { code: 0 };
    }
    if (a.length === 2 && a[0] === 'sha256sum') {
      const sum = held?.get(a[1]!);
      return sum
        ? { code: 0, stdout: `${sum}  ${a[1]}\n` }
        : { code: 1, stderr: `sha256sum: ${a[1]}: No such file or directory\n` };
    }
    if (a.length === 5 && is('tar', '-xf') && a[3] === '-C')
      return held?.has(a[2]!)
        ? { code: 0 }
        : { code: 2, stderr: `tar: ${a[2]}: Cannot open: No such file or directory\n` };
    counters.unknownCommands++;
    return { code: 127, stderr: `farm: unsupported command: ${a.join(' ').slice(0, 200)}\n` };
  }

  function answer(ch: ServerChannel, r: Reply): void {
    const send = (): void => {
      if (r.stdout) ch.write(r.stdout);
      if (r.stderr) ch.stderr.write(r.stderr);
      ch.exit(r.code);
      ch.end();
    };
    const afterWork = (): void => {
      if (r.work && workMs > 0) setTimeout(send, workMs);
      else send();
    };
    if (!r.readsStdin) {
      ch.on('data', () => undefined);
      return afterWork();
    }
    ch.on('data', (d: Buffer) => (counters.bytesReceived += d.length));
    ch.once('end', afterWork);
  }

  function serveSftp(address: string, sftp: SFTPWrapper): void {
    interface Open {
      path: string;
      hash: Hash;
      next: number;
      pending: Map<number, Buffer>;
    }
    const handles = new Map<number, Open>();
    let nextHandle = 1;
    const held = (): Map<string, string> => {
      let m = files.get(address);
      if (!m) files.set(address, (m = new Map<string, string>()));
      return m;
    };
    const handleOf = (h: Buffer): Open | undefined => (h.length === 4 ? handles.get(h.readUInt32BE(0)) : undefined);
    sftp.on('OPEN', (id: number, filename: string) => {
      const n = nextHandle++;
      handles.set(n, { path: filename, hash: createHash('sha256'), next: 0, pending: new Map() });
      counters.maxUploading = Math.max(counters.maxUploading, ++counters.uploading);
      const h = Buffer.alloc(4);
      h.writeUInt32BE(n, 0);
      sftp.handle(id, h);
    });
    sftp.on('WRITE', (id: number, handle: Buffer, offset: number, data: Buffer) => {
      const f = handleOf(handle);
      if (!f) return sftp.status(id, STATUS_CODE.FAILURE, 'bad handle');
      counters.bytesReceived += data.length;
      // Writes in flight may arrive out of order: hash in offset order, holding early ones back.
      if (offset !== f.next) f.pending.set(offset, Buffer.from(data));
      else {
        f.hash.update(data);
        f.next += data.length;
        for (let b = f.pending.get(f.next); b; b = f.pending.get(f.next)) {
          f.pending.delete(f.next);
          f.hash.update(b);
          f.next += b.length;
        }
      }
      sftp.status(id, STATUS_CODE.OK);
    });
    sftp.on('CLOSE', (id: number, handle: Buffer) => {
      const f = handleOf(handle);
      if (!f) return sftp.status(id, STATUS_CODE.FAILURE, 'bad handle');
      handles.delete(handle.readUInt32BE(0));
      counters.uploading--;
      if (f.pending.size > 0) return sftp.status(id, STATUS_CODE.FAILURE, 'a hole in the written file');
      held().set(f.path, f.hash.digest('hex'));
      counters.uploads++;
      sftp.status(id, STATUS_CODE.OK);
    });
    const ok = (id: number): void => void sftp.status(id, STATUS_CODE.OK);
    sftp.on('FSETSTAT', ok);
    sftp.on('SETSTAT', ok);
    sftp.on('REMOVE', (id: number, p: string) =>
      held().delete(p) ? ok(id) : sftp.status(id, STATUS_CODE.NO_SUCH_FILE),
    );
    sftp.on('RENAME', (id: number, from: string, to: string) => {
      const m = held();
      const sum = m.get(from);
      if (sum === undefined) return sftp.status(id, STATUS_CODE.NO_SUCH_FILE);
      if (m.has(to)) return sftp.status(id, STATUS_CODE.FAILURE, 'target exists');
      m.delete(from);
      m.set(to, sum);
      ok(id);
    });
    for (const ev of ['OPENDIR', 'READ', 'READDIR', 'MKDIR', 'RMDIR', 'READLINK', 'SYMLINK', 'EXTENDED'] as const)
      sftp.on(ev as 'OPENDIR', (id: number) => void sftp.status(id, STATUS_CODE.OP_UNSUPPORTED));
    for (const ev of ['STAT', 'LSTAT', 'FSTAT'] as const)
      sftp.on(ev as 'STAT', (id: number) => void sftp.status(id, STATUS_CODE.NO_SUCH_FILE));
  }

  function onConnection(address: string, conn: Connection): void {
    counters.connections++;
    counters.maxHandshaking = Math.max(counters.maxHandshaking, ++counters.handshaking);
    let handshaking = true;
    const handshakeOver = (): void => {
      if (handshaking) counters.handshaking--;
      handshaking = false;
    };
    conn.once('close', handshakeOver);
    let user = '';
    conn.on('error', () => undefined);
    conn.on('authentication', (ctx: AuthContext) => {
      if (ctx.method !== 'publickey') return ctx.reject(['publickey']);
      const key = authorized.find((k) => k.getPublicSSH().equals(ctx.key.data));
      if (!key) return ctx.reject(['publickey']);
      // Without a signature the client only asks whether the key would do; with one, check it as sshd does.
      if (ctx.signature && ctx.blob && key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true)
        return ctx.reject(['publickey']);
      user = ctx.username;
      ctx.accept();
    });
    conn.on('ready', () => {
      handshakeOver();
      conn.on('session', (acceptSession) => {
        const session = acceptSession();
        session.on('exec', (accept, _reject, info) => {
          counters.commands++;
          const ch = accept();
          let argv: string[] | undefined;
          try {
            argv = innerArgv(info.command);
          } catch {
            argv = undefined;
          }
          answer(ch, replyFor(address, user, argv, info.command));
        });
        session.on('sftp', (accept) => serveSftp(address, accept()));
      });
    });
  }

  const servers: InstanceType<typeof Server>[] = [];
  const hosts: FarmHost[] = [];
  try {
    for (let i = 0; i < o.addresses.length; i++) {
      const address = o.addresses[i]!;
      const key = o.hostKeys[i]!;
      const srv = new Server({ hostKeys: [key.private], ident: IDENT }, (c: Connection) => onConnection(address, c));
      servers.push(srv);
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(o.port, address, () => {
          srv.off('error', reject);
          resolve();
        });
      });
      hosts.push({ address, port: (srv.address() as AddressInfo).port, publicB64: key.publicB64 });
    }
  } catch (err) {
    for (const s of servers) s.close();
    throw err;
  }
  return {
    hosts,
    counters,
    knownHosts: () => hosts.map((h) => `[${h.address}]:${h.port} ssh-ed25519 ${h.publicB64}\n`).join(''),
    close: async () => {
      await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}

function flag(argv: readonly string[], name: string, dflt?: string): string {
  const hit = argv.find((a) => a.startsWith(`--${name}=`));
  const v = hit?.slice(name.length + 3) ?? dflt;
  if (v === undefined) throw new Error(`farm: --${name}= is required`);
  return v;
}

async function main(argv: readonly string[]): Promise<void> {
  const n = Number(flag(argv, 'hosts'));
  const net = flag(argv, 'net', '127.201');
  const pub = readFileSync(flag(argv, 'authorized'), 'utf8').trim().split(/\s+/)[1] ?? '';
  const hostKeys = hostKeyPool(n, argv.some((a) => a.startsWith('--keys=')) ? flag(argv, 'keys') : undefined);
  const farm = await startFarm({
    addresses: Array.from({ length: n }, (_, i) => farmAddress(net, i)),
    port: Number(flag(argv, 'port')),
    authorized: [Buffer.from(pub, 'base64')],
    hostKeys,
    workMs: Number(flag(argv, 'work-ms', '0')),
    checks: Number(flag(argv, 'checks', '30')),
  });
  writeFileSync(flag(argv, 'known-hosts'), farm.knownHosts());
  const cpu0 = process.cpuUsage();
  process.stdout.write(`ready ${farm.hosts.length}\n`);
  process.once('SIGTERM', () => {
    const cpu = process.cpuUsage(cpu0);
    process.stdout.write(
      JSON.stringify({ ...farm.counters, cpuMs: Math.round((cpu.user + cpu.system) / 1000) }) + '\n',
      () => process.exit(0),
    );
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((err: Error) => {
    process.stderr.write(`farm: ${err.stack ?? err.message}\n`);
    process.exit(1);
  });
}
