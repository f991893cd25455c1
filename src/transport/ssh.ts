/**
 * Transport over ssh2: one SSH connection per host, reused for every command and upload of that host in a run.
 * The parts, one idea each: options.ts (what the command sets), identity.ts (key and agent), dial.ts (TCP, handshake,
 * host key, authentication), session.ts (one live connection, its channel limit), exec.ts (commands), sftp.ts
 * (uploads), connection.ts (one open connection as the runner uses it), jump.ts (ssh_config hosts and bastions).
 * Failures are the classes of errors.ts.
 *
 * One unauthenticated connection per host at a time (a per-host lock around dialling): sshd's MaxStartups
 * (10:30:100) starts dropping connections beyond 10 pending ones, at random. Numbers behind the other choices are in
 * the parts and in the README's "Transport" section.
 */
import { dial } from './dial.js';
import { ConnectError } from './errors.js';
import { resolveIdentity, type Identity } from './identity.js';
import { KnownHosts } from './known-hosts.js';
import type { SshTransportOptions } from './options.js';
import { Semaphore, Session } from './session.js';
import { SharedFiles } from './shared-files.js';
import { abortReason } from './timing.js';
import type { Connection, ConnectOptions, HostTarget, Transport } from './transport.js';
import { JumpDialer, type DialOverrides } from './jump.js';
import { SshConnection } from './connection.js';

export { SshConnection } from './connection.js';
export type { DialOverrides } from './jump.js';

export type { Identity } from './identity.js';

export type { SshTransportOptions } from './options.js';
export { hostKeyAlgorithms } from './algorithms.js';
export { wrapCommand } from './exec.js';
export { Semaphore } from './session.js';

/**
 * Handshakes in flight at once, whatever the parallelism. A handshake is CPU work on this machine (key exchange,
 * signature, host key check: ~5 ms here) and a few round trips; commands are mostly waiting on the hosts. With 500
 * hosts started together, 500 handshakes shared the CPU evenly and none finished within --connect-timeout (measured:
 * 1,750 of 3,000 hosts unreachable at --parallelism 500 on a loaded 2-core machine). Queued here, each handshake
 * gets the CPU it needs, and its timeout starts when it does; 64 at once still fill a long round trip.
 */
export const MAX_HANDSHAKES = 64;

/**
 * Uploads in flight at once, whatever the parallelism. An upload keeps 1 MiB of SFTP writes in flight (8 × 128 KiB),
 * and each write is encrypted and copied into the socket in the turn of the event loop that frees its slot: with
 * hundreds of uploads running, one turn encrypted and wrote tens of MiB (150–330 ms of CPU measured at p=500 on the
 * bench farm), so timers and progress stalled. The uplink, not the number of uploads, bounds a push deploy: 16
 * uploads of 1 MiB windows still fill 10 Gbit/s at a 10 ms round trip, and each finishes sooner, so hosts start
 * installing earlier. An upload's stall timeout starts when it gets its slot.
 */
export const MAX_UPLOADS = 16;

export class SshTransport implements Transport {
  readonly knownHosts: KnownHosts;
  private readonly handshakes = new Semaphore(MAX_HANDSHAKES);
  private readonly uploads = new Semaphore(MAX_UPLOADS);
  /** The bundle every host receives, read once for the run rather than once per host (shared-files.ts). */
  private readonly sharedFiles = new SharedFiles();
  private readonly hostLocks = new Map<string, Promise<unknown>>();
  private readonly open = new Set<SshConnection>();
  private identityPromise: Promise<Identity> | undefined;
  private jumpDialer: JumpDialer | undefined;

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

  connect(host: HostTarget, opts: ConnectOptions = {}): Promise<Connection> {
    // A host with ssh_config settings (its own keys, a bastion, …) is dialled by jump.ts, which calls dialWith().
    if (host.ssh) {
      this.jumpDialer ??= new JumpDialer(this);
      return this.jumpDialer.connect(host, opts.signal);
    }
    return this.dialWith(host, undefined, opts.signal, opts.onNote);
  }

  /** The run's own key and agent (ssh_key_path, SSH_AUTH_SOCK), for jump.ts. */
  defaultIdentity(): Promise<Identity> {
    return this.identity();
  }

  /** Open one connection with `over` settings (jump.ts) or the transport's own; one handshake per sshd at a time. */
  dialWith(
    host: HostTarget,
    over: DialOverrides | undefined,
    signal?: AbortSignal,
    onNote?: (message: string) => void,
  ): Promise<SshConnection> {
    // Serialise handshakes to the same sshd; connections to different hosts proceed in parallel.
    const lockKey = `${over?.sock ? 'via:' : ''}${over?.address ?? host.address}:${host.port}`;
    const prev = this.hostLocks.get(lockKey) ?? Promise.resolve();
    const attempt = prev.then(() => this.openConnection(host, signal, over, onNote));
    const settled = attempt.catch(() => undefined);
    this.hostLocks.set(lockKey, settled);
    void settled.then(() => {
      if (this.hostLocks.get(lockKey) === settled) this.hostLocks.delete(lockKey);
    });
    return attempt;
  }

  private identity(): Promise<Identity> {
    this.identityPromise ??= resolveIdentity(this.options);
    // A failure (e.g. wrong passphrase) should not be cached for the rest of a long-lived process.
    this.identityPromise.catch(() => (this.identityPromise = undefined));
    return this.identityPromise;
  }

  private async openConnection(
    host: HostTarget,
    signal?: AbortSignal,
    over?: DialOverrides,
    onNote?: (message: string) => void,
  ): Promise<SshConnection> {
    if (signal?.aborted) throw abortReason(signal);
    const identity = over?.identity ?? (await this.identity());
    const options = over?.options ?? this.options;
    if (!identity.key && !identity.keys?.length && !identity.agent) {
      throw new ConnectError(
        'auth',
        host.label,
        `${host.label}: no way to authenticate as '${host.user}': no SSH key and no ssh-agent`,
        'set ssh_key_path in config.yaml, or start ssh-agent and set SSH_AUTH_SOCK',
      );
    }
    // A bastion's own tunnel (over.sock) is not queued: the connection waiting for it already holds a slot.
    const release = over?.sock ? undefined : await this.handshakes.acquire(signal);
    let dialed: Awaited<ReturnType<typeof dial>>;
    try {
      dialed = await dial(host, identity, over?.knownHosts ?? this.knownHosts, options, signal, over, onNote);
    } finally {
      release?.();
    }
    const { client, sock } = dialed;
    const conn: SshConnection = new SshConnection(
      new Session(host, client, sock, options, () => this.open.delete(conn)),
      this.uploads,
      this.sharedFiles,
    );
    this.open.add(conn);
    return conn;
  }
}
