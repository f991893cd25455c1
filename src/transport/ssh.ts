/**
 * Transport over ssh2: one SSH connection per host, reused for every command and upload of that host in a run.
 *
 * Why it is built this way (numbers from the loopback lab, see docs in README "Transport"):
 * - TCP_NODELAY: without it two Nagle/delayed-ACK stalls (~40 ms each) sit in every handshake and every small
 *   request/response; with it one host connects + runs `true` in ~50 ms instead of 100–145 ms.
 * - One unauthenticated connection per host at a time (a per-host mutex around connect): sshd's MaxStartups
 *   (10:30:100) starts dropping connections beyond 10 pending ones, at random.
 * - At most `maxChannels` (default 8) channels in flight per connection, SFTP counting as one: sshd's MaxSessions is
 *   10, and an 11th channel fails with "open failed" instead of waiting. Beyond the limit work queues here.
 * - Keepalive: a blackholed host otherwise hangs an open session for as long as TCP retransmits (many minutes).
 * - Key exchange curve25519-sha256 first: ~10 ms of client CPU per connection against ~58 ms for OpenSSH 9's default
 *   post-quantum hybrid, which ssh2 does not implement anyway; ECDH/DH groups follow for old servers. Ciphers are
 *   ssh2's CPU-aware default: AES-GCM first where the CPU has AES instructions, chacha20-poly1305 first where it has
 *   not — both AEAD, so no separate MAC pass. No compression: the bundle is already compressed.
 * - Commands run without a pty, so stdout and stderr stay apart and no terminal mangles the output.
 */
import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import net from 'node:net';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import ssh2 from 'ssh2';
import type { AnyAuthMethod, AuthenticationType, ClientChannel, ConnectConfig, ParsedKey, SFTPWrapper } from 'ssh2';
import { InputError, InterruptedError } from '../errors.js';
import { ConnectError, TransferError, kindOfSocketError } from './errors.js';
import { shellQuote } from './quote.js';
import { KnownHosts, fingerprint, type HostKeyChecking, type HostKeyVerdict } from './known-hosts.js';
import { PASSPHRASE_ENV, loadPrivateKey, type LoadedKey, type PassphrasePrompt } from './keys.js';
import type { Connection, ExecOptions, ExecResult, HostTarget, PutOptions, Transport } from './transport.js';

const { Client } = ssh2;

export interface SshTransportOptions {
  /** TCP connect + SSH handshake + authentication, in total (`--connect-timeout`). */
  connectTimeoutMs: number;
  keepaliveIntervalMs: number;
  /** Unanswered keepalives before the connection is declared dead: detection takes interval × (count + 1). */
  keepaliveCountMax: number;
  hostKeyChecking: HostKeyChecking;
  knownHostsFile: string;
  /** A key from keys.ts (preferred: parsed once per run), a parsed ssh2 key, or the key file's contents. */
  privateKey?: LoadedKey | ParsedKey | Buffer | string;
  /** Read the key from this file (once, on first connect) when `privateKey` is not given. */
  privateKeyPath?: string;
  /** For an encrypted `privateKey` given as contents; otherwise GENCONF_SSH_KEY_PASSPHRASE, then `prompt`. */
  passphrase?: string;
  /** ssh-agent socket (SSH_AUTH_SOCK). Tried after the key. */
  agent?: string;
  /** Asked once for the passphrase of an encrypted key when no other source has it. */
  prompt?: PassphrasePrompt;
  /** Channels in flight per connection (1..10, default 8; sshd's MaxSessions default is 10). */
  maxChannels?: number;
  /**
   * SFTP write requests in flight per upload (default 8) and their size (default 128 KiB): 1 MiB buffered per upload.
   * Measured on the lab (10 hosts × 20 MiB at once): 8 × 128 KiB moved 58–72 MiB/s against 31–44 MiB/s for ssh2's
   * default 64 × 32 KiB, with half the memory; fewer, larger requests cost less per byte on both ends.
   */
  sftpConcurrency?: number;
  sftpChunkSize?: number;
  /** Default for PutOptions.stallTimeoutMs (default 60 s). */
  stallTimeoutMs?: number;
  /** Stored output per stream is capped (the tail is kept); callbacks still see everything. Default 8 MiB. */
  maxOutputBytes?: number;
  /** Non-fatal notices, e.g. a key file readable by others. Never given secrets. */
  onWarning?: (message: string) => void;
  env?: NodeJS.ProcessEnv;
}

const KEX: NonNullable<NonNullable<ConnectConfig['algorithms']>['kex']> = [
  'curve25519-sha256',
  'curve25519-sha256@libssh.org',
  'ecdh-sha2-nistp256',
  'ecdh-sha2-nistp384',
  'ecdh-sha2-nistp521',
  'diffie-hellman-group-exchange-sha256',
  'diffie-hellman-group14-sha256',
  'diffie-hellman-group16-sha512',
  'diffie-hellman-group18-sha512',
  'diffie-hellman-group14-sha1',
];

type HostKeyAlgo = 'ssh-ed25519' | 'ecdsa-sha2-nistp256' | 'ecdsa-sha2-nistp384' | 'ecdsa-sha2-nistp521' | 'rsa-sha2-512' | 'rsa-sha2-256' | 'ssh-rsa';
const HOST_KEY_ALGOS: HostKeyAlgo[] = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

/** Offer the key types known_hosts already lists for the host first, so the server presents a key we can check. */
export function hostKeyAlgorithms(knownTypes: readonly string[]): HostKeyAlgo[] {
  const first = knownTypes.flatMap((t) => (t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t]));
  return [...new Set([...first.filter((t): t is HostKeyAlgo => (HOST_KEY_ALGOS as string[]).includes(t)), ...HOST_KEY_ALGOS])];
}

/** A counting semaphore whose waiters can be aborted. */
export class Semaphore {
  private inUse = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(readonly size: number) {}

  get active(): number {
    return this.inUse;
  }

  /** Resolves with a release function (safe to call twice); rejects with the signal's reason if aborted first. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    const grant = (): (() => void) => {
      this.inUse++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        this.inUse--;
        this.waiters.shift()?.();
      };
    };
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.inUse < this.size) return Promise.resolve(grant());
    return new Promise((resolve, reject) => {
      const go = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve(grant());
      };
      const onAbort = (): void => {
        const i = this.waiters.indexOf(go);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(abortReason(signal!));
      };
      this.waiters.push(go);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new InterruptedError();
}

function isParsedKey(k: unknown): k is ParsedKey {
  return typeof k === 'object' && k !== null && typeof (k as ParsedKey).getPublicSSH === 'function';
}

function isLoadedKey(k: unknown): k is LoadedKey {
  return typeof k === 'object' && k !== null && isParsedKey((k as LoadedKey).parsed);
}

interface Identity {
  key?: ParsedKey;
  /** How the key is named in messages: type, fingerprint and file, never its contents. */
  keyLabel?: string;
  agent?: string;
}

function secs(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

export class SshTransport implements Transport {
  readonly knownHosts: KnownHosts;
  private readonly hostLocks = new Map<string, Promise<unknown>>();
  private readonly open = new Set<SshConnection>();
  private identityPromise: Promise<Identity> | undefined;

  constructor(readonly options: SshTransportOptions) {
    const max = options.maxChannels ?? 8;
    if (!Number.isInteger(max) || max < 1 || max > 10) throw new RangeError(`maxChannels must be 1..10, got ${max}`);
    this.knownHosts = new KnownHosts(options.knownHostsFile, options.hostKeyChecking);
  }

  /** Connections still open; closeAll() ends them (e.g. on Ctrl-C, after cleanups ran). */
  get openConnections(): number {
    return this.open.size;
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.open].map((c) => c.close()));
  }

  connect(host: HostTarget, opts: { signal?: AbortSignal } = {}): Promise<Connection> {
    // Serialise handshakes to the same sshd; connections to different hosts proceed in parallel.
    const lockKey = `${host.address}:${host.port}`;
    const prev = this.hostLocks.get(lockKey) ?? Promise.resolve();
    const attempt = prev.then(() => this.openConnection(host, opts.signal));
    const settled = attempt.catch(() => undefined);
    this.hostLocks.set(lockKey, settled);
    void settled.then(() => {
      if (this.hostLocks.get(lockKey) === settled) this.hostLocks.delete(lockKey);
    });
    return attempt;
  }

  private identity(): Promise<Identity> {
    this.identityPromise ??= this.resolveIdentity();
    // A failure (e.g. wrong passphrase) should not be cached for the rest of a long-lived process.
    this.identityPromise.catch(() => (this.identityPromise = undefined));
    return this.identityPromise;
  }

  private async resolveIdentity(): Promise<Identity> {
    const o = this.options;
    const env = o.env ?? process.env;
    const id: Identity = {};
    if (o.agent) id.agent = o.agent;
    const pk = o.privateKey;
    if (isLoadedKey(pk)) {
      id.key = pk.parsed;
      id.keyLabel = `${pk.type} key ${pk.fingerprint} (${pk.path})`;
    } else if (isParsedKey(pk)) {
      id.key = pk;
      id.keyLabel = `${pk.type} key ${fingerprint(pk.getPublicSSH())}`;
    } else if (pk !== undefined) {
      let parsed = ssh2.utils.parseKey(pk, o.passphrase) as ParsedKey | ParsedKey[] | Error;
      if (parsed instanceof Error && /no passphrase given/i.test(parsed.message)) {
        const pass = env[PASSPHRASE_ENV] || (o.prompt ? await o.prompt('Enter passphrase for the SSH key: ') : undefined);
        if (!pass) throw new InputError('the SSH key is encrypted and no passphrase is available', undefined, `set ${PASSPHRASE_ENV}`);
        parsed = ssh2.utils.parseKey(pk, pass) as ParsedKey | ParsedKey[] | Error;
      }
      if (parsed instanceof Error) throw new InputError(`the SSH key cannot be used: ${parsed.message}`);
      const key = Array.isArray(parsed) ? parsed[0] : parsed;
      if (!key) throw new InputError('the SSH key data holds no key');
      id.key = key;
      id.keyLabel = `${key.type} key ${fingerprint(key.getPublicSSH())}`;
    } else if (o.privateKeyPath) {
      const loaded = await loadPrivateKey(o.privateKeyPath, { env, ...(o.prompt ? { prompt: o.prompt } : {}) });
      for (const w of loaded.warnings) o.onWarning?.(w);
      id.key = loaded.parsed;
      id.keyLabel = `${loaded.type} key ${loaded.fingerprint} (${loaded.path})`;
    }
    return id;
  }

  private async openConnection(host: HostTarget, signal?: AbortSignal): Promise<Connection> {
    if (signal?.aborted) throw abortReason(signal);
    const identity = await this.identity();
    const label = host.label;
    if (!identity.key && !identity.agent) {
      throw new ConnectError(
        'auth',
        label,
        `${label}: no way to authenticate as '${host.user}': no SSH key and no ssh-agent`,
        'set ssh_key_path in config.yaml, or start ssh-agent and set SSH_AUTH_SOCK',
      );
    }
    const started = Date.now();
    const deadline = started + this.options.connectTimeoutMs;
    const sock = await this.tcpConnect(host, deadline, signal);
    // The peer may hang up while known_hosts is read, before ssh2 listens on the socket; ssh2 would then wait for a
    // handshake on a dead socket until the connect timeout. Remember it and fail at once instead.
    let closedEarly = false;
    const onEarlyClose = (): void => {
      closedEarly = true;
    };
    sock.once('close', onEarlyClose);
    sock.on('error', onEarlyClose);
    let knownTypes: string[];
    try {
      knownTypes = await this.knownHosts.knownKeyTypes(host.address, host.port);
    } catch (err) {
      sock.destroy();
      throw new InputError(`cannot read known_hosts ${this.knownHosts.file}: ${(err as Error).message}`, this.knownHosts.file);
    } finally {
      sock.off('close', onEarlyClose);
      sock.off('error', onEarlyClose);
    }
    if (closedEarly || sock.destroyed) {
      sock.destroy();
      throw new ConnectError(
        'network',
        host.label,
        `${host.label}: the host closed the connection during the SSH handshake`,
        'too many connections at once (sshd MaxStartups), sshd refusing this client, or a firewall',
      );
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      sock.destroy();
      throw this.timeoutError(host, 'TCP connect');
    }

    return new Promise<Connection>((resolve, reject) => {
      const client = new Client();
      let verdict: HostKeyVerdict | undefined;
      let hostKeyError: Error | undefined;
      let serverMethods: string[] | undefined;
      const tried: string[] = [];
      let settled = false;
      const methods: AnyAuthMethod[] = [];
      if (identity.key) methods.push({ type: 'publickey', username: host.user, key: identity.key });
      if (identity.agent) methods.push({ type: 'agent', username: host.user, agent: identity.agent });

      const cleanup = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        cleanup();
        client.removeAllListeners('ready');
        client.on('error', () => undefined);
        client.end();
        sock.destroy();
        reject(err);
      };
      const timer = setTimeout(() => fail(this.timeoutError(host, verdict ? 'SSH authentication' : 'SSH handshake')), remaining);
      const onAbort = (): void => fail(abortReason(signal!));
      signal?.addEventListener('abort', onAbort, { once: true });

      client.once('ready', () => {
        if (settled) return;
        settled = true;
        cleanup();
        const conn = new SshConnection(host, client, sock, this.options, () => this.open.delete(conn));
        this.open.add(conn);
        resolve(conn);
      });
      client.on('error', (err: Error & { level?: string }) => {
        if (settled) return;
        // An unusable agent (dead SSH_AUTH_SOCK) is not fatal: ssh2 goes on with the next method.
        if (err.level === 'agent') {
          const i = tried.findIndex((t) => t.startsWith('ssh-agent'));
          if (i >= 0) tried[i] = `${tried[i]} (unusable: ${err.message})`;
          return;
        }
        if (verdict && !verdict.ok) return fail(new ConnectError(verdict.kind, label, `${label}: ${verdict.message}`, verdict.hint));
        if (hostKeyError) {
          return fail(new ConnectError('network', label, `${label}: cannot record the host key in ${this.knownHosts.file}: ${hostKeyError.message}`));
        }
        if (err.level === 'client-authentication') {
          const accepts = serverMethods ? serverMethods.join(', ') : 'unknown';
          return fail(
            new ConnectError(
              'auth',
              label,
              `${label}: authentication failed for user '${host.user}'; tried ${tried.length > 0 ? tried.join(', then ') : 'no method the host accepts'}; the host accepts: ${accepts}`,
              `check ssh_user, and that the public key is in ~${host.user}/.ssh/authorized_keys on the host`,
            ),
          );
        }
        if (err.level === 'client-timeout') return fail(this.timeoutError(host, 'SSH handshake'));
        fail(
          new ConnectError(
            'network',
            label,
            `${label}: SSH handshake failed: ${err.message}`,
            /lost before handshake|ECONNRESET/i.test(err.message)
              ? 'sshd closed the connection before the handshake: too many connections at once (sshd MaxStartups), or a firewall/TCP wrapper'
              : undefined,
          ),
        );
      });
      client.on('close', () => {
        if (!settled) {
          fail(
            new ConnectError(
              'network',
              label,
              `${label}: the host closed the connection during the SSH handshake`,
              'too many connections at once (sshd MaxStartups), sshd refusing this client, or a firewall',
            ),
          );
        }
      });

      client.connect({
        sock,
        username: host.user,
        readyTimeout: remaining + 1000, // our own timer fires first, with the better message
        keepaliveInterval: this.options.keepaliveIntervalMs,
        keepaliveCountMax: this.options.keepaliveCountMax,
        algorithms: { kex: KEX, serverHostKey: hostKeyAlgorithms(knownTypes), compress: ['none'] },
        hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
          this.knownHosts.verify(host.address, host.port, key).then(
            (v) => {
              verdict = v;
              verify(v.ok);
            },
            (err: Error) => {
              hostKeyError = err;
              verify(false);
            },
          );
        },
        authHandler: (methodsLeft: AuthenticationType[] | null, _partial: boolean | null, next: (m: AnyAuthMethod | false) => void) => {
          if (methodsLeft) serverMethods = methodsLeft;
          for (;;) {
            const m = methods.shift();
            if (!m) return next(false);
            const serverType = m.type === 'agent' ? 'publickey' : m.type;
            if (methodsLeft && !methodsLeft.includes(serverType)) continue;
            tried.push(m.type === 'agent' ? `ssh-agent (${identity.agent})` : `publickey with the ${identity.keyLabel ?? 'key'}`);
            return next(m);
          }
        },
      } as ConnectConfig);
    });
  }

  private timeoutError(host: HostTarget, step: string): ConnectError {
    const t = secs(this.options.connectTimeoutMs);
    return new ConnectError(
      'timeout',
      host.label,
      `${host.label}: no SSH connection within ${t} (timed out during ${step})`,
      `raise --connect-timeout (now ${t}) if the host is only slow; otherwise check the address, that sshd listens on port ${host.port}, and firewalls`,
    );
  }

  private tcpConnect(host: HostTarget, deadline: number, signal?: AbortSignal): Promise<net.Socket> {
    const label = host.label;
    return new Promise((resolve, reject) => {
      const sock = net.connect({ host: host.address, port: host.port });
      sock.setNoDelay(true);
      let done = false;
      const finish = (err?: Error): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        sock.off('error', onError);
        if (err) {
          sock.destroy();
          reject(err);
        } else {
          resolve(sock);
        }
      };
      const onError = (err: NodeJS.ErrnoException): void => {
        const kind = kindOfSocketError(err.code);
        const what: Record<string, string> = {
          refused: `connection refused on port ${host.port} (nothing listens there)`,
          dns: `cannot resolve the host name '${host.address}' (${err.code})`,
          timeout: `TCP connection timed out (${err.code})`,
          network: `cannot reach the host: ${err.code ?? err.message}`,
        };
        const hint: Record<string, string> = {
          refused: `is sshd running on the host, and is the SSH port (${host.port}) right?`,
          dns: 'check the address in config.yaml, or use an IP address',
          timeout: 'raise --connect-timeout, or check routing and firewalls',
          network: 'check routing and firewalls between this machine and the host',
        };
        finish(new ConnectError(kind, label, `${label}: ${what[kind] ?? err.message}`, hint[kind]));
      };
      const onAbort = (): void => finish(abortReason(signal!));
      const timer = setTimeout(() => finish(this.timeoutError(host, 'TCP connect')), Math.max(0, deadline - Date.now()));
      sock.once('connect', () => finish());
      sock.on('error', onError);
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** Keeps the last `max` characters of a stream's text. */
class Tail {
  private text = '';
  truncated = false;
  constructor(private readonly max: number) {}
  add(s: string): void {
    this.text += s;
    if (this.text.length > this.max * 1.5) {
      this.text = this.text.slice(-this.max);
      this.truncated = true;
    }
  }
  value(): string {
    if (this.text.length > this.max) {
      this.truncated = true;
      return this.text.slice(-this.max);
    }
    return this.text;
  }
}

class SshConnection implements Connection {
  private closed = false;
  private lostReason: string | undefined;
  private readonly channels: Semaphore;
  /** In-flight operations to end when the connection goes away. */
  private readonly onLost = new Set<(reason: string) => void>();
  private readonly closedPromise: Promise<void>;

  constructor(
    readonly host: HostTarget,
    private readonly client: InstanceType<typeof Client>,
    private readonly sock: net.Socket,
    private readonly options: SshTransportOptions,
    onClosed: () => void,
  ) {
    this.channels = new Semaphore(options.maxChannels ?? 8);
    this.closedPromise = new Promise((resolve) => {
      client.on('error', (err: Error & { level?: string }) => {
        this.lostReason ??=
          /keepalive/i.test(err.message)
            ? `no answer to ${options.keepaliveCountMax} keepalives ${secs(options.keepaliveIntervalMs)} apart (host down or network cut)`
            : err.message;
      });
      client.on('close', () => {
        this.closed = true;
        const reason = this.lostReason ?? 'the connection was closed';
        for (const f of [...this.onLost]) f(reason);
        this.onLost.clear();
        onClosed();
        resolve();
      });
    });
  }

  /** True once the connection is gone (closed by us, by the host, or by keepalive). */
  get isClosed(): boolean {
    return this.closed;
  }

  private lostMessage(reason: string, during: string): string {
    return `${this.host.label}: connection lost ${during}: ${reason}`;
  }

  exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const started = Date.now();
    const max = this.options.maxOutputBytes ?? 8 << 20;
    const out = new Tail(max);
    const err = new Tail(max);
    let timedOut = false;
    const result = (exitCode: number | null, extra: { signal?: string; error?: string } = {}): ExecResult => ({
      exitCode,
      timedOut,
      stdout: out.value(),
      stderr: err.value(),
      durationMs: Date.now() - started,
      ...(extra.signal ? { signal: extra.signal } : {}),
      ...(extra.error ? { error: extra.error } : {}),
    });
    if (this.closed) return Promise.resolve(result(null, { error: this.lostMessage(this.lostReason ?? 'closed', 'before the command started') }));
    const token = randomBytes(8).toString('hex');

    return this.channels.acquire(opts.signal).then(
      (release) =>
        new Promise<ExecResult>((resolve) => {
          let done = false;
          let channel: ClientChannel | undefined;
          let exitCode: number | null = null;
          let exitSignal: string | undefined;
          let sawExit = false;
          const finish = (r: ExecResult): void => {
            if (done) return;
            done = true;
            clearTimeout(timer);
            opts.signal?.removeEventListener('abort', onAbort);
            resolve(r);
          };
          const lost = (reason: string): void => {
            release();
            this.onLost.delete(lost);
            finish(result(null, { error: this.lostMessage(reason, 'while the command ran') }));
          };
          this.onLost.add(lost);
          if (this.closed) return lost(this.lostReason ?? 'closed');
          // Stop the remote command. The SSH "signal" request alone is not enough: OpenSSH honours it only for
          // sessions with privilege separation, i.e. not for root, and sshd answers our channel close only once the
          // command's output ends — a hung command would hold the channel (and our slot) forever. So the command
          // runs under a marker name (see wrapCommand) and a second channel kills its whole session by that name.
          const stop = (): void => {
            if (!channel) return;
            try {
              channel.signal('KILL');
            } catch {
              /* channel already gone */
            }
            this.killRemote(token);
            try {
              channel.close();
            } catch {
              /* already closed */
            }
            // If the host never confirms the close, do not hold the slot forever.
            setTimeout(release, 5000).unref();
          };
          const timer =
            opts.timeoutMs !== undefined
              ? setTimeout(() => {
                  timedOut = true;
                  stop();
                  finish(result(null, { error: `${this.host.label}: command timed out after ${secs(opts.timeoutMs!)}` }));
                }, opts.timeoutMs)
              : undefined;
          const onAbort = (): void => {
            stop();
            finish(result(null, { error: `${this.host.label}: command interrupted` }));
          };
          if (opts.signal?.aborted) return onAbort();
          opts.signal?.addEventListener('abort', onAbort, { once: true });

          // Listeners go on inside the open callback itself: ssh2 parses a whole TCP read at once, so a quick
          // command's exit status and close can be emitted right after the callback, before any promise resolves.
          this.openChannel<ClientChannel>(
            (cb) => this.client.exec(wrapCommand(command, token), cb),
            (ch) => onChannel(undefined, ch),
          ).catch((e: Error) => onChannel(e));
          const onChannel = (e: Error | undefined, ch?: ClientChannel): void => {
            if (e || !ch) {
              release();
              this.onLost.delete(lost);
              return finish(result(null, { error: `${this.host.label}: cannot start the command: ${e?.message}` }));
            }
            channel = ch;
            if (done) stop(); // timed out or aborted while the channel was opening
            const outDec = new StringDecoder('utf8');
            const errDec = new StringDecoder('utf8');
            ch.on('data', (d: Buffer) => {
              const s = outDec.write(d);
              out.add(s);
              if (s) opts.onStdout?.(s);
            });
            ch.stderr.on('data', (d: Buffer) => {
              const s = errDec.write(d);
              err.add(s);
              if (s) opts.onStderr?.(s);
            });
            ch.on('exit', (code: number | null, sig?: string) => {
              sawExit = true;
              exitCode = typeof code === 'number' ? code : null;
              if (sig) exitSignal = sig;
            });
            ch.on('close', () => {
              release();
              this.onLost.delete(lost);
              const flush = (): void => {
                out.add(outDec.end());
                err.add(errDec.end());
                if (sawExit) return finish(result(exitCode, exitSignal ? { signal: exitSignal } : {}));
                // No exit status: the session ended abnormally. If the connection is going down, say why.
                finish(
                  result(null, {
                    error: this.closed
                      ? this.lostMessage(this.lostReason ?? 'closed', 'while the command ran')
                      : `${this.host.label}: the command ended without an exit status`,
                  }),
                );
              };
              // Let a simultaneous connection close be seen first, so its reason makes the message.
              if (sawExit) flush();
              else setImmediate(flush);
            });
            const stdin = opts.stdin;
            if (stdin === undefined) ch.end();
            else if (typeof stdin === 'string' || Buffer.isBuffer(stdin)) ch.end(stdin);
            else (stdin as Readable).pipe(ch);
          };
        }),
      () => result(null, { error: `${this.host.label}: command interrupted before it started` }),
    );
  }

  /**
   * Kill every process of the session that runs the command marked `token` (best effort, in the background). Uses
   * a channel outside the semaphore: sshd allows 10, the semaphore hands out at most 8, so there is room even when
   * every slot is held by a hung command. A non-root user retries through sudo for processes started with sudo.
   */
  private killRemote(token: string): void {
    if (this.closed) return;
    // The marker is in the environment of the command's processes, not in this script's, so it never matches
    // itself. The session id catches children that dropped the variable (e.g. sudo's env_reset).
    const script = [
      `for f in $(grep -lzx ${shellQuote(`${MARKER}=${token}`)} /proc/[0-9]*/environ 2>/dev/null); do`,
      '  p=${f#/proc/}; p=${p%/environ}',
      '  s=$(ps -o sid= -p "$p" | tr -d " ")',
      '  if [ -n "$s" ] && [ "$s" -gt 1 ] && [ "$s" != "$(ps -o sid= -p $$ | tr -d " ")" ]; then pkill -KILL -s "$s"; fi',
      '  kill -KILL "$p"',
      'done 2>/dev/null; true',
    ].join('\n');
    const full =
      this.host.user === 'root'
        ? script
        : `${script}\n[ "$(id -u)" = 0 ] || sudo -n sh -c ${shellQuote(script)} 2>/dev/null; true`;
    this.openChannel<ClientChannel>(
      (cb) => this.client.exec(full, cb),
      (ch) => {
        ch.on('data', () => undefined);
        ch.stderr.on('data', () => undefined);
        ch.end();
      },
    ).catch(() => undefined);
  }

  /**
   * Open a channel, retrying while sshd refuses it for lack of sessions. Our semaphore keeps at most maxChannels
   * open, but sshd frees a closed session only after its main loop has processed the close, so when several
   * channels end at once, opens pipelined right behind the closes can still find all MaxSessions slots taken.
   * That refusal is transient; anything else fails at once.
   */
  private async openChannel<T>(open: (cb: (err: Error | undefined, ch: T) => void) => void, attach: (ch: T) => void): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await new Promise<T>((resolve, reject) => {
          try {
            open((err, ch) => {
              if (err) return reject(err);
              attach(ch);
              resolve(ch);
            });
          } catch (e) {
            reject(e as Error);
          }
        });
      } catch (e) {
        const transient = /Channel open failure/.test((e as Error).message) && typeof (e as { reason?: unknown }).reason === 'number';
        if (!transient || attempt >= 50 || this.closed) throw e;
        await new Promise((r) => setTimeout(r, Math.min(200, 5 * 2 ** Math.min(attempt, 6))));
      }
    }
  }

  /** Open an SFTP session (one channel slot), run `fn`, close it. */
  private async withSftp<T>(remotePath: string, signal: AbortSignal | undefined, fn: (sftp: SFTPWrapper) => Promise<T>): Promise<T> {
    if (this.closed) throw new TransferError(this.host.label, remotePath, this.lostMessage(this.lostReason ?? 'closed', 'before the upload'));
    let release: () => void;
    try {
      release = await this.channels.acquire(signal);
    } catch (e) {
      throw e instanceof Error ? e : new InterruptedError();
    }
    let sftp: SFTPWrapper | undefined;
    try {
      sftp = await new Promise<SFTPWrapper>((resolve, reject) => {
        this.openChannel<SFTPWrapper>(
          (cb) => this.client.sftp(cb),
          (s) => s.once('close', release),
        ).then(resolve, (e: Error) =>
          reject(new TransferError(this.host.label, remotePath, `${this.host.label}: cannot open SFTP: ${e.message}`)),
        );
      });
      return await fn(sftp);
    } finally {
      if (sftp) sftp.end();
      else release();
    }
  }

  async putFile(localPath: string, remotePath: string, opts: PutOptions = {}): Promise<void> {
    const size = (await stat(localPath)).size;
    const tmp = `${remotePath}.genconf-part-${randomBytes(4).toString('hex')}`;
    await this.withSftp(remotePath, opts.signal, async (sftp) => {
      await this.watch(remotePath, opts, size, (progress, fail) => {
        sftp.fastPut(
          localPath,
          tmp,
          {
            concurrency: this.options.sftpConcurrency ?? 8,
            chunkSize: this.options.sftpChunkSize ?? 128 * 1024,
            mode: opts.mode ?? 0o644,
            step: (total) => progress(total),
          },
          (e) => fail(e ?? undefined),
        );
        return () => sftp.end();
      }).catch(async (e) => {
        // Tidy up only when the host still answers: after a stall or a lost connection this would wait forever.
        if (!(e instanceof TransferError && e.stalled) && !this.closed) await within(2000, sftpCall<void>((cb) => sftp.unlink(tmp, cb))).catch(() => undefined);
        throw e;
      });
      await this.finishUpload(sftp, tmp, remotePath, opts.mode);
    });
  }

  /**
   * Upload a stream (e.g. a bundle produced on the fly) to `remotePath`; `size`, when known, feeds onProgress.
   * Like putFile it writes a temporary name first and renames, so a broken transfer never leaves a short file
   * under the real name.
   */
  async putStream(source: Readable, remotePath: string, opts: PutOptions & { size?: number } = {}): Promise<void> {
    const tmp = `${remotePath}.genconf-part-${randomBytes(4).toString('hex')}`;
    await this.withSftp(remotePath, opts.signal, async (sftp) => {
      await this.watch(remotePath, opts, opts.size ?? 0, (progress, fail) => {
        let sent = 0;
        const counter = new Transform({
          transform(chunk: Buffer, _enc, cb) {
            sent += chunk.length;
            progress(sent);
            cb(null, chunk);
          },
        });
        const ws = sftp.createWriteStream(tmp, { mode: opts.mode ?? 0o644 });
        pipeline(source, counter, ws).then(
          () => fail(undefined),
          (e: Error) => fail(e),
        );
        return () => {
          source.unpipe();
          ws.destroy();
          sftp.end();
        };
      }).catch(async (e) => {
        // Tidy up only when the host still answers: after a stall or a lost connection this would wait forever.
        if (!(e instanceof TransferError && e.stalled) && !this.closed) await within(2000, sftpCall<void>((cb) => sftp.unlink(tmp, cb))).catch(() => undefined);
        throw e;
      });
      await this.finishUpload(sftp, tmp, remotePath, opts.mode);
    });
  }

  /**
   * Run a transfer judged by progress: it fails when no byte moved for the stall timeout, when aborted, or when the
   * connection drops. `start` begins the transfer and returns how to cancel it.
   */
  private watch(
    remotePath: string,
    opts: PutOptions,
    size: number,
    start: (progress: (bytes: number) => void, done: (err?: Error) => void) => () => void,
  ): Promise<void> {
    const label = this.host.label;
    const stallMs = opts.stallTimeoutMs ?? this.options.stallTimeoutMs ?? 60_000;
    return new Promise<void>((resolve, reject) => {
      let last = Date.now();
      let finished = false;
      // Filled in by start(); end() may run before that (a synchronous failure), hence the holder.
      const cancel: { fn?: () => void } = {};
      const end = (err?: Error): void => {
        if (finished) return;
        finished = true;
        clearInterval(ticker);
        opts.signal?.removeEventListener('abort', onAbort);
        this.onLost.delete(onLost);
        if (err) {
          reject(err);
          try {
            cancel.fn?.();
          } catch {
            /* the transfer is being abandoned anyway */
          }
        } else {
          resolve();
        }
      };
      const ticker = setInterval(() => {
        if (Date.now() - last > stallMs) {
          end(
            new TransferError(
              label,
              remotePath,
              `${label}: upload of ${remotePath} made no progress for ${secs(stallMs)}`,
              true,
              'the host or the network stalled; raise the transfer stall timeout if the link is just very slow',
            ),
          );
        }
      }, Math.max(50, Math.min(1000, stallMs / 4)));
      const onAbort = (): void => end(opts.signal?.reason instanceof Error ? opts.signal.reason : new InterruptedError());
      const onLost = (reason: string): void => end(new TransferError(label, remotePath, this.lostMessage(reason, `while uploading ${remotePath}`)));
      if (opts.signal?.aborted) return onAbort();
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      this.onLost.add(onLost);
      cancel.fn = start(
        (bytes) => {
          last = Date.now();
          opts.onProgress?.(bytes, size);
        },
        (err) =>
          end(err ? new TransferError(label, remotePath, `${label}: upload of ${remotePath} failed: ${err.message}`) : undefined),
      );
    });
  }

  private async finishUpload(sftp: SFTPWrapper, tmp: string, remotePath: string, mode: number | undefined): Promise<void> {
    const label = this.host.label;
    try {
      // The mode given at open is filtered by sshd's umask; set it explicitly.
      if (mode !== undefined) await sftpCall<void>((cb) => sftp.chmod(tmp, mode, cb));
      try {
        await sftpCall<void>((cb) => sftp.ext_openssh_rename(tmp, remotePath, cb));
      } catch (e) {
        if (!/does not support/i.test((e as Error).message)) throw e;
        // Plain SFTP rename refuses to replace: remove the old file first (not atomic, but only on old servers).
        await sftpCall<void>((cb) => sftp.unlink(remotePath, cb)).catch(() => undefined);
        await sftpCall<void>((cb) => sftp.rename(tmp, remotePath, cb));
      }
    } catch (e) {
      await sftpCall<void>((cb) => sftp.unlink(tmp, cb)).catch(() => undefined);
      throw new TransferError(label, remotePath, `${label}: cannot put ${remotePath} in place: ${(e as Error).message}`);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.lostReason ??= 'closed by genconf';
    this.client.end();
    // A host that stopped answering never completes the goodbye. ssh2's destroy() is a no-op once end() ran, so
    // destroy the socket itself.
    const timer = setTimeout(() => this.sock.destroy(), 3000);
    await this.closedPromise;
    clearTimeout(timer);
  }
}

/**
 * The remote command, run so that killRemote can find it: by the same login shell as without the wrapper, with a
 * per-command marker variable in its environment (which every child inherits, and which survives the shell exec'ing
 * the last command).
 */
const MARKER = 'GENCONF_RUN';
export function wrapCommand(command: string, token: string): string {
  return `exec env ${MARKER}=${token} "\${SHELL:-/bin/sh}" -c ${shellQuote(command)}`;
}

function within<T>(ms: number, p: Promise<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e as Error);
      },
    );
  });
}

function sftpCall<T>(fn: (cb: (err: Error | null | undefined, v?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    try {
      fn((err, v) => (err ? reject(err) : resolve(v as T)));
    } catch (e) {
      reject(e);
    }
  });
}
