/**
 * Stopping a run and cleaning up after it: Ctrl-C and the whole-run `--timeout` deadline abort one controller, and
 * the cause decides how every host and step that did not finish is reported (interrupted or timed out). The open
 * connections are closed whatever happened.
 */
import { setMaxListeners } from 'node:events';
import type { Connection } from '../transport/transport.js';
import type { HostStatus } from './result.js';

/** Why the run stops starting work: the operator interrupted it, or its deadline passed. */
export type StopCause = { kind: 'interrupt' } | { kind: 'deadline'; ms: number };

export interface RunStop {
  /** Aborted when the run stops; steps and connects listen to it. */
  readonly signal: AbortSignal;
  readonly cause: StopCause | undefined;
  /** The status and wording for work the stop cut short: `what` says when ("before this host started"). */
  status(): { status: HostStatus; reason: (what: string) => string };
  /** Clear the deadline timer and stop listening to the caller's signal. */
  dispose(): void;
}

export function seconds(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  return Number.isInteger(s) ? `${s} s` : `${s.toFixed(1)} s`;
}

export function startStop(signal: AbortSignal | undefined, runTimeoutMs: number | undefined): RunStop {
  const stop = new AbortController();
  // Every host waiting for its turn (the pacer, the reporters' backpressure) listens to this signal: thousands at
  // once is the design, not a leak, and Node's warning past 10 listeners would otherwise reach the operator.
  setMaxListeners(0, stop.signal);
  let cause: StopCause | undefined;
  const onUserAbort = (): void => {
    cause ??= { kind: 'interrupt' };
    stop.abort();
  };
  if (signal?.aborted) onUserAbort();
  signal?.addEventListener('abort', onUserAbort, { once: true });
  let deadline: NodeJS.Timeout | undefined;
  if (runTimeoutMs !== undefined) {
    deadline = setTimeout(() => {
      cause ??= { kind: 'deadline', ms: runTimeoutMs };
      stop.abort();
    }, runTimeoutMs);
  }
  return {
    signal: stop.signal,
    get cause() {
      return cause;
    },
    status() {
      const c = cause;
      return c?.kind === 'deadline'
        ? {
            status: 'timed-out',
            reason: (what) => `the run's deadline passed ${what} (raise --timeout, now ${seconds(c.ms)})`,
          }
        : { status: 'interrupted', reason: (what) => `interrupted ${what}` };
    },
    dispose() {
      if (deadline) clearTimeout(deadline);
      signal?.removeEventListener('abort', onUserAbort);
    },
  };
}

/** One open connection per host, reused by all of its steps across waves; closing never throws. */
export class HostConnections {
  private readonly open = new Map<string, Connection>();

  get(label: string): Connection | undefined {
    return this.open.get(label);
  }

  set(label: string, conn: Connection): void {
    this.open.set(label, conn);
  }

  async close(label: string): Promise<void> {
    const conn = this.open.get(label);
    this.open.delete(label);
    if (conn) await conn.close().catch(() => undefined);
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.open.keys()].map((label) => this.close(label)));
  }
}
