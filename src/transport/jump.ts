/**
 * Hosts with ssh_config settings: their own keys, known_hosts and limits, and ProxyJump through bastions.
 *
 * A host behind a bastion is dialled over a direct-tcpip channel of the bastion's connection (ssh2 forwardOut), used
 * as the `sock` of the host's own SSH connection; its host key is checked under its own name, end to end. Bastion
 * connections are pooled per chain: one connection carries up to maxChannels tunnels (sshd's MaxSessions), and a
 * second one opens only when every open one is full. A bastion that cannot be reached fails every host behind it at
 * once, with an error that names the bastion (`via`), and is not dialled again in the run; a bastion connection
 * that drops marks the hosts that went through it. Timeouts count from the start of the chain: the host's deadline
 * bounds the bastion's handshake, the tunnel and the host's own handshake together.
 */
import type { Duplex } from 'node:stream';
import type { ParsedKey } from 'ssh2';
import { ConnectError } from './errors.js';
import type { HostSsh, JumpHop } from './host-ssh.js';
import { loadPrivateKey } from './keys.js';
import { KnownHosts, type HostKeyChecking } from './known-hosts.js';
import type { SshConnection } from './connection.js';
import type { DialVia } from './dial.js';
import type { Identity } from './identity.js';
import type { SshTransportOptions } from './options.js';
import type { HostTarget } from './transport.js';

/** A bastion connection failed: hosts behind it fail with this; `via` names the bastion. */
export class BastionError extends ConnectError {
  constructor(
    kind: ConnectError['kind'],
    host: string,
    message: string,
    readonly via: string,
    readonly viaReason: string,
    hint?: string,
  ) {
    super(kind, host, message, hint);
  }
}

interface PoolEntry {
  opening: Promise<SshConnection>;
  conn?: SshConnection;
  /** Tunnels open or being opened on this connection. */
  reserved: number;
  idleTimer?: NodeJS.Timeout;
  /** We closed it (idle): not a failure. */
  retired: boolean;
}

interface Failure {
  kind: ConnectError['kind'];
  via: string;
  reason: string;
  hint?: string;
  /** The bastion connection that dropped: if it ran through an earlier bastion that dropped first, that one is named. */
  conn?: SshConnection;
}

/** Let the close events of a chain that is coming down settle before judging what caused a failure. */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

interface PoolGroup {
  entries: PoolEntry[];
  /** Set when the bastion could not be reached or dropped: every later host behind it fails with this. */
  failed?: Failure;
}

/** How long an unused bastion connection stays open for the next host (e.g. the next deploy phase). */
const IDLE_CLOSE_MS = 1000;

/**
 * Per-connection settings that differ from the transport's (a host with ssh_config settings, or a bastion): resolved
 * here; a plain host uses none.
 */
export interface DialOverrides extends DialVia {
  identity: Identity;
  options: SshTransportOptions;
  knownHosts: KnownHosts;
}

/** What the dialer needs from the transport that owns it (ssh.ts SshTransport), so that this module needs no ssh.ts. */
export interface JumpBase {
  readonly options: SshTransportOptions;
  readonly knownHosts: KnownHosts;
  defaultIdentity(): Promise<Identity>;
  dialWith(host: HostTarget, over: DialOverrides | undefined, signal?: AbortSignal): Promise<SshConnection>;
}

function chainKey(chain: readonly JumpHop[]): string {
  return chain.map((h) => `${h.user}@${h.label}`).join(' > ');
}

function remainingUntil(deadline: number): number {
  return Math.max(0, deadline - Date.now());
}

export class JumpDialer {
  private readonly groups = new Map<string, PoolGroup>();
  private readonly knownHosts = new Map<string, KnownHosts>();

  constructor(private readonly transport: JumpBase) {}

  private get options(): SshTransportOptions {
    return this.transport.options;
  }

  private knownHostsFor(file: string | undefined, mode: HostKeyChecking | undefined): KnownHosts {
    const f = file ?? this.options.knownHostsFile;
    const m = mode ?? this.options.hostKeyChecking;
    if (f === this.options.knownHostsFile && m === this.options.hostKeyChecking) return this.transport.knownHosts;
    const key = `${m}:${f}`;
    let kh = this.knownHosts.get(key);
    if (!kh) {
      kh = new KnownHosts(f, m);
      this.knownHosts.set(key, kh);
    }
    return kh;
  }

  /** The keys of `files` in order (unusable ones listed as skipped), then the agent unless identitiesOnly. */
  private async identityFor(files: readonly string[], identitiesOnly: boolean): Promise<Identity> {
    const base = await this.transport.defaultIdentity();
    const agent = identitiesOnly ? undefined : base.agent;
    if (files.length === 0) {
      const { agent: _a, ...keyOnly } = base;
      return agent !== undefined ? { ...keyOnly, agent } : keyOnly;
    }
    const keys: Array<{ key: ParsedKey; label: string }> = [];
    const skipped: string[] = [];
    for (const file of files) {
      try {
        const k = await loadPrivateKey(file, {
          ...(this.options.env ? { env: this.options.env } : {}),
          ...(this.options.prompt ? { prompt: this.options.prompt } : {}),
        });
        keys.push({ key: k.parsed, label: `${k.type} key ${k.fingerprint} (${k.path})` });
      } catch (err) {
        skipped.push(`key ${file} (unusable: ${(err as Error).message.replace(/^ssh_key_path \S+ /, '')})`);
      }
    }
    return { keys, skipped, ...(agent !== undefined ? { agent } : {}) };
  }

  private optionsFor(
    ssh: Pick<HostSsh, 'connectTimeoutMs' | 'keepaliveIntervalMs' | 'keepaliveCountMax'>,
  ): SshTransportOptions {
    return {
      ...this.options,
      ...(ssh.connectTimeoutMs !== undefined ? { connectTimeoutMs: ssh.connectTimeoutMs } : {}),
      ...(ssh.keepaliveIntervalMs !== undefined ? { keepaliveIntervalMs: ssh.keepaliveIntervalMs } : {}),
      ...(ssh.keepaliveCountMax !== undefined ? { keepaliveCountMax: ssh.keepaliveCountMax } : {}),
    };
  }

  async connect(host: HostTarget, signal?: AbortSignal): Promise<SshConnection> {
    const ssh = host.ssh!;
    const options = this.optionsFor(ssh);
    const deadline = Date.now() + options.connectTimeoutMs;
    const over: DialOverrides = {
      identity: await this.identityFor(ssh.identityFiles, ssh.identitiesOnly),
      options,
      knownHosts: this.knownHostsFor(ssh.knownHostsFile, ssh.hostKeyChecking),
      keyName: ssh.hostKeyAlias ?? ssh.hostName,
      address: ssh.hostName,
      deadline,
      agentForward: ssh.forwardAgent,
    };
    if (ssh.jump.length === 0) return this.transport.dialWith(host, over, signal);

    let through: SshConnection | undefined;
    const bastion = ssh.jump[ssh.jump.length - 1]!;
    over.sock = async (d, s) => {
      const t = await this.tunnel(ssh.jump, ssh.hostName, host.port, d, s, host.label);
      through = t.bastion;
      return t.stream;
    };
    let conn: SshConnection;
    try {
      conn = await this.transport.dialWith(host, over, signal);
    } catch (err) {
      // The handshake broke because the bastion went away under it: that is the bastion's failure, not the host's.
      await settle();
      if (through?.isClosed && !(err instanceof BastionError)) {
        const f = through.lostVia() ?? {
          bastion: bastion.label,
          reason: `connection lost: ${through.lostBecause ?? 'closed'}`,
        };
        throw this.bastionError(bastion, host.label, { kind: 'network', via: f.bastion, reason: f.reason });
      }
      throw err;
    }
    // The host's traffic runs through the bastion: if that connection drops, the host is unreachable because of it.
    if (through) conn.runsThrough(through, bastion.label);
    return conn;
  }

  /** A stream to dst:port through the last bastion of `chain`; `forHost` names the host that waits for it. */
  private async tunnel(
    chain: readonly JumpHop[],
    dst: string,
    port: number,
    deadline: number,
    signal: AbortSignal | undefined,
    forHost: string,
  ): Promise<{ stream: Duplex; bastion: SshConnection }> {
    const hop = chain[chain.length - 1]!;
    const group = this.group(chain);
    for (;;) {
      if (group.failed) throw this.bastionError(hop, forHost, group.failed);
      const slots = this.options.maxChannels ?? 8;
      let entry = group.entries.find((e) => e.reserved < slots);
      if (!entry) {
        entry = this.openEntry(chain, group, deadline, signal, forHost);
        group.entries.push(entry);
      }
      entry.reserved++;
      if (entry.idleTimer) clearTimeout(entry.idleTimer);
      let conn: SshConnection;
      try {
        conn = await entry.opening;
      } catch (err) {
        this.release(group, entry);
        if (!group.failed) throw err; // interrupted
        continue; // the loop throws the bastion's error
      }
      if (conn.isClosed) {
        this.release(group, entry);
        continue;
      }
      try {
        const stream = await withDeadline(conn.forwardOut(dst, port, signal), deadline, (ch) => ch.destroy());
        stream.once('close', () => this.release(group, entry));
        return { stream, bastion: conn };
      } catch (err) {
        this.release(group, entry);
        await settle();
        if (conn.isClosed)
          throw this.bastionError(hop, forHost, {
            kind: 'network',
            via: hop.label,
            reason: `connection lost: ${conn.lostBecause ?? 'closed'}`,
            conn,
          });
        if ((err as Error).message === DEADLINE) {
          throw new ConnectError(
            'timeout',
            forHost,
            `${forHost}: the bastion ${hop.label} did not open a connection to ${dst}:${port} in time`,
            'raise --connect-timeout (or ConnectTimeout), or check the host from the bastion',
          );
        }
        throw new ConnectError(
          'refused',
          forHost,
          `${forHost}: the bastion ${hop.label} could not open a connection to ${dst}:${port}: ${(err as Error).message}`,
          `is sshd running on the host, and can the bastion reach ${dst}:${port}?`,
        );
      }
    }
  }

  private group(chain: readonly JumpHop[]): PoolGroup {
    const key = chainKey(chain);
    let g = this.groups.get(key);
    if (!g) {
      g = { entries: [] };
      this.groups.set(key, g);
    }
    return g;
  }

  private release(group: PoolGroup, entry: PoolEntry): void {
    entry.reserved--;
    if (entry.reserved > 0 || !entry.conn || entry.conn.isClosed) return;
    entry.idleTimer = setTimeout(() => {
      if (entry.reserved > 0) return;
      entry.retired = true;
      group.entries.splice(group.entries.indexOf(entry), 1);
      void entry.conn?.close();
    }, IDLE_CLOSE_MS);
  }

  private openEntry(
    chain: readonly JumpHop[],
    group: PoolGroup,
    deadline: number,
    signal: AbortSignal | undefined,
    forHost: string,
  ): PoolEntry {
    const hop = chain[chain.length - 1]!;
    const before = chain.slice(0, -1);
    const entry: PoolEntry = {
      reserved: 0,
      retired: false,
      opening: Promise.resolve(undefined as unknown as SshConnection),
    };
    let through: SshConnection | undefined;
    const prev = before[before.length - 1];
    const open = async (): Promise<SshConnection> => {
      const over: DialOverrides = {
        identity: await this.identityFor(hop.identityFiles, hop.identitiesOnly),
        options: this.options,
        knownHosts: this.knownHostsFor(hop.knownHostsFile, hop.hostKeyChecking),
        keyName: hop.hostKeyAlias ?? hop.address,
        address: hop.address,
        deadline,
        ...(before.length > 0
          ? {
              sock: async (d: number, s?: AbortSignal) => {
                const t = await this.tunnel(before, hop.address, hop.port, d, s, forHost);
                through = t.bastion;
                return t.stream;
              },
            }
          : {}),
      };
      const target: HostTarget = { address: hop.address, port: hop.port, user: hop.user, label: hop.label };
      try {
        const conn = await this.transport.dialWith(target, over, signal);
        if (through && prev) conn.runsThrough(through, prev.label);
        return conn;
      } catch (err) {
        await settle();
        if (through?.isClosed && prev && !(err instanceof BastionError)) {
          const f = through.lostVia() ?? {
            bastion: prev.label,
            reason: `connection lost: ${through.lostBecause ?? 'closed'}`,
          };
          throw new BastionError('network', forHost, f.reason, f.bastion, f.reason);
        }
        throw err;
      }
    };
    entry.opening = open().then(
      (conn) => {
        entry.conn = conn;
        conn.onClose((reason) => {
          const i = group.entries.indexOf(entry);
          if (i >= 0) group.entries.splice(i, 1);
          if (!entry.retired && !signal?.aborted)
            group.failed ??= { kind: 'network', via: hop.label, reason: `connection lost: ${reason}`, conn };
        });
        return conn;
      },
      (err: unknown) => {
        const i = group.entries.indexOf(entry);
        if (i >= 0) group.entries.splice(i, 1);
        const e = err as Partial<ConnectError> & Error;
        // An interrupted run is not the bastion's fault; anything else is, for every host behind it.
        if (!signal?.aborted) {
          const reason = e.message.startsWith(`${hop.label}: `) ? e.message.slice(hop.label.length + 2) : e.message;
          group.failed ??=
            e instanceof BastionError
              ? { kind: e.kind, via: e.via, reason: e.viaReason, ...(e.hint ? { hint: e.hint } : {}) }
              : { kind: e.kind ?? 'network', via: hop.label, reason, ...(e.hint ? { hint: e.hint } : {}) };
        }
        throw err;
      },
    );
    entry.opening.catch(() => undefined);
    return entry;
  }

  private bastionError(hop: JumpHop, forHost: string, failure: Failure): BastionError {
    const earlier = failure.conn?.lostVia();
    const f = earlier ? { ...failure, via: earlier.bastion, reason: earlier.reason } : failure;
    const path = f.via === hop.label ? `the bastion ${hop.label}` : `the bastion ${f.via} (on the way to ${hop.label})`;
    return new BastionError(
      f.kind,
      forHost,
      `${forHost}: unreachable through ${path}: ${f.reason}`,
      f.via,
      f.reason,
      f.hint,
    );
  }
}

const DEADLINE = 'genconf: deadline passed';

/** Race `p` against `deadline`; a late result is disposed of with `dispose`. */
function withDeadline<T>(p: Promise<T>, deadline: number, dispose: (v: T) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => {
      done = true;
      reject(new Error(DEADLINE));
    }, remainingUntil(deadline));
    p.then(
      (v) => {
        clearTimeout(timer);
        if (done) dispose(v);
        else resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        if (!done) reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
