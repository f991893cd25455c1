/**
 * One open SSH connection (a Transport `Connection`): exec, SFTP uploads, and the streams a bastion forwards for the
 * hosts behind it. It knows which bastion connection its own traffic runs through, so a host lost because its bastion
 * went away says so.
 */
import type { Duplex, Readable } from 'node:stream';
import type { ClientChannel } from 'ssh2';
import { execCommand } from './exec.js';
import type { Semaphore, Session } from './session.js';
import { putFile, putStream } from './sftp.js';
import type { SharedFiles } from './shared-files.js';
import type { Connection, ExecOptions, ExecResult, HostTarget, PutOptions } from './transport.js';

export class SshConnection implements Connection {
  /** The bastion connection this one's traffic runs through (jump.ts), and how that bastion is named. */
  private through: { conn: SshConnection; label: string } | undefined;

  /**
   * `uploads`: the transport's limit of uploads in flight (ssh.ts MAX_UPLOADS), shared by its connections; `shared`:
   * the files its uploads send, read once for all of them (shared-files.ts).
   */
  constructor(
    private readonly session: Session,
    private readonly uploads?: Semaphore,
    private readonly shared?: SharedFiles,
  ) {}

  /** Called once when the connection goes away, with why (at once if it already has). */
  onClose(fn: (reason: string) => void): void {
    if (this.session.closed) fn(this.session.lostReason ?? 'the connection was closed');
    else this.session.client.once('close', () => fn(this.session.lostReason ?? 'the connection was closed'));
  }

  /** Why the connection was lost, once it was. */
  get lostBecause(): string | undefined {
    return this.session.closed ? (this.session.lostReason ?? 'the connection was closed') : undefined;
  }

  /** Record that this connection runs through `conn`, the connection to the bastion `label`. */
  runsThrough(conn: SshConnection, label: string): void {
    this.through = { conn, label };
  }

  /**
   * When the bastion this connection runs through is gone: the first bastion of the chain that went, and why. The
   * connection is then lost because of it, whatever its own error said.
   */
  lostVia(): { bastion: string; reason: string } | undefined {
    const t = this.through;
    if (!t || !t.conn.isClosed) return undefined;
    return t.conn.lostVia() ?? { bastion: t.label, reason: `connection lost: ${t.conn.lostBecause ?? 'closed'}` };
  }

  /**
   * A TCP stream to `host:port` opened by this connection's sshd (direct-tcpip): the `sock` of a connection to a host
   * behind this one. It holds one channel slot until it closes, so a bastion never carries more streams than sshd
   * allows sessions. Not openChannel(): its retry is for sessions; a refused forward (the host behind is down) is final.
   */
  async forwardOut(host: string, port: number, signal?: AbortSignal): Promise<Duplex> {
    const s = this.session;
    if (s.closed) throw new Error(s.lostReason ?? 'the connection was closed');
    const release = await s.channels.acquire(signal);
    return new Promise<Duplex>((resolve, reject) => {
      try {
        s.client.forwardOut('127.0.0.1', 0, host, port, (err: Error | undefined, ch: ClientChannel) => {
          if (err) {
            release();
            return reject(err);
          }
          ch.once('close', release);
          resolve(ch);
        });
      } catch (e) {
        release();
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  }

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

  async putFile(localPath: string, remotePath: string, opts: PutOptions = {}): Promise<void> {
    const release = await this.uploads?.acquire(opts.signal);
    try {
      await putFile(this.session, localPath, remotePath, opts, this.shared);
    } finally {
      release?.();
    }
  }

  async putStream(source: Readable, remotePath: string, opts: PutOptions & { size?: number } = {}): Promise<void> {
    const release = await this.uploads?.acquire(opts.signal);
    try {
      await putStream(this.session, source, remotePath, opts);
    } finally {
      release?.();
    }
  }

  close(): Promise<void> {
    return this.session.close();
  }
}
