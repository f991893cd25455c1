/**
 * One live SSH connection and what every operation on it shares: the channel limit, the "connection lost" broadcast,
 * and channel opening. exec.ts and sftp.ts run their operations over a Session; ssh.ts wraps it as a Connection.
 *
 * At most `maxChannels` (default 8) channels are in flight per connection, SFTP counting as one: sshd's MaxSessions
 * is 10, and an 11th channel fails with "open failed" instead of waiting. Beyond the limit work queues here
 * (Semaphore, shared with ssh.ts's limits on handshakes and uploads).
 */
import type { Duplex } from 'node:stream';
import type { SshClient } from './dial.js';
import type { SshTransportOptions } from './options.js';
import { abortReason, secs } from './timing.js';
import type { HostTarget } from './transport.js';

/**
 * Slots handed out as release functions, so a slot can be held across callbacks (a channel is released when it
 * closes, not when a promise settles), granted in order of asking. A waiter whose signal aborts is dropped at once.
 * A counter and a queue of waiters, not a p-limit queue: every connection has one (its channels) and every command
 * takes a slot, so at thousands of hosts the limiter's own closures and promises per slot were a cost of its own.
 */
export class Semaphore {
  private held = 0;
  /** Waiters in order; an aborted one is removed from it. */
  private readonly waiters: Array<{ grant: () => void }> = [];

  constructor(readonly size: number) {}

  /** Slots handed out and not yet released. */
  get active(): number {
    return this.held;
  }

  /** Resolves with a release function (safe to call twice); rejects with the signal's reason if aborted first. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.held < this.size && this.waiters.length === 0) {
      this.held++;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        grant: (): void => {
          signal?.removeEventListener('abort', onAbort);
          resolve(this.releaser());
        },
      };
      const onAbort = (): void => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(abortReason(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** A slot is held: its release function, which hands it to the next waiter, if any. */
  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      // The slot passes straight to the next waiter: held stays the same.
      if (next) next.grant();
      else this.held--;
    };
  }
}

export class Session {
  closed = false;
  lostReason: string | undefined;
  readonly channels: Semaphore;
  /** In-flight operations to end when the connection goes away. */
  readonly onLost = new Set<(reason: string) => void>();
  private readonly closedPromise: Promise<void>;

  constructor(
    readonly host: HostTarget,
    readonly client: SshClient,
    private readonly sock: Duplex,
    readonly options: SshTransportOptions,
    onClosed: () => void,
  ) {
    this.channels = new Semaphore(options.maxChannels ?? 8);
    this.closedPromise = new Promise((resolve) => {
      client.on('error', (err: Error & { level?: string }) => {
        this.lostReason ??= /keepalive/i.test(err.message)
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

  lostMessage(reason: string, during: string): string {
    return `${this.host.label}: connection lost ${during}: ${reason}`;
  }

  /** Why the connection is gone, for a message about an operation that could not run `during`. */
  goneMessage(during: string): string {
    return this.lostMessage(this.lostReason ?? 'closed', during);
  }

  /**
   * Open a channel, retrying while sshd refuses it for lack of sessions. Our limiter keeps at most maxChannels
   * open, but sshd frees a closed session only after its main loop has processed the close, so when several
   * channels end at once, opens pipelined right behind the closes can still find all MaxSessions slots taken.
   * That refusal (ssh2 gives it a numeric `reason`) is transient; anything else fails at once.
   */
  async openChannel<T>(
    open: (cb: (err: Error | undefined, ch: T) => void) => void,
    attach: (ch: T) => void,
  ): Promise<T> {
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
            reject(e instanceof Error ? e : new Error(String(e)));
          }
        });
      } catch (e) {
        const transient =
          /Channel open failure/.test((e as Error).message) && typeof (e as { reason?: unknown }).reason === 'number';
        if (!transient || attempt >= 50 || this.closed) throw e;
        await new Promise((r) => setTimeout(r, Math.min(200, 5 * 2 ** Math.min(attempt, 6))));
      }
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
