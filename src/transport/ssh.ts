/**
 * Transport over ssh2: one SSH connection per host, reused for every command and upload of that host in a run.
 * The parts, one idea each: options.ts (what the command sets), identity.ts (key and agent), dial.ts (TCP, handshake,
 * host key, authentication), session.ts (one live connection, its channel limit), exec.ts (commands), sftp.ts
 * (uploads). Failures are the classes of errors.ts.
 *
 * One unauthenticated connection per host at a time (a per-host lock around dialling): sshd's MaxStartups
 * (10:30:100) starts dropping connections beyond 10 pending ones, at random. Numbers behind the other choices are in
 * the parts and in the README's "Transport" section.
 */
import type { Readable } from 'node:stream';
import { dial } from './dial.js';
import { ConnectError } from './errors.js';
import { execCommand } from './exec.js';
import { resolveIdentity, type Identity } from './identity.js';
import { KnownHosts } from './known-hosts.js';
import type { SshTransportOptions } from './options.js';
import { Session } from './session.js';
import { putFile, putStream } from './sftp.js';
import { abortReason } from './timing.js';
import type { Connection, ExecOptions, ExecResult, HostTarget, PutOptions, Transport } from './transport.js';

export type { SshTransportOptions } from './options.js';
export { hostKeyAlgorithms } from './dial.js';
export { wrapCommand } from './exec.js';
export { Semaphore } from './session.js';

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
    this.identityPromise ??= resolveIdentity(this.options);
    // A failure (e.g. wrong passphrase) should not be cached for the rest of a long-lived process.
    this.identityPromise.catch(() => (this.identityPromise = undefined));
    return this.identityPromise;
  }

  private async openConnection(host: HostTarget, signal?: AbortSignal): Promise<Connection> {
    if (signal?.aborted) throw abortReason(signal);
    const identity = await this.identity();
    if (!identity.key && !identity.agent) {
      throw new ConnectError(
        'auth',
        host.label,
        `${host.label}: no way to authenticate as '${host.user}': no SSH key and no ssh-agent`,
        'set ssh_key_path in config.yaml, or start ssh-agent and set SSH_AUTH_SOCK',
      );
    }
    const { client, sock } = await dial(host, identity, this.knownHosts, this.options, signal);
    const conn: SshConnection = new SshConnection(new Session(host, client, sock, this.options, () => this.open.delete(conn)));
    this.open.add(conn);
    return conn;
  }
}

class SshConnection implements Connection {
  constructor(private readonly session: Session) {}

  get host(): HostTarget {
    return this.session.host;
  }

  /** True once the connection is gone (closed by us, by the host, or by keepalive). */
  get isClosed(): boolean {
    return this.session.closed;
  }

  exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    return execCommand(this.session, command, opts);
  }

  putFile(localPath: string, remotePath: string, opts: PutOptions = {}): Promise<void> {
    return putFile(this.session, localPath, remotePath, opts);
  }

  putStream(source: Readable, remotePath: string, opts: PutOptions & { size?: number } = {}): Promise<void> {
    return putStream(this.session, source, remotePath, opts);
  }

  close(): Promise<void> {
    return this.session.close();
  }
}
