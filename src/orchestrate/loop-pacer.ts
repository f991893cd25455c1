/**
 * Starting hosts only as fast as the event loop keeps up. Every host in flight whose host answered is handled in
 * the same turn of the event loop: when this machine's CPU is the bottleneck (hosts that answer at once, 500 in
 * flight), one turn handled hundreds of hosts' key exchanges, packets and log lines and took 100–500 ms, and for
 * that long no timer ran (progress, keepalives, deadlines). More hosts in flight than the CPU can serve add nothing
 * but longer turns.
 *
 * So the hosts in flight are bounded by an adaptive limit, below `--parallelism`: every `tickMs`, if the event loop's
 * thread used more CPU than the tick is long plus `busyMs` (its turns run long), the limit shrinks by a quarter;
 * if not and the limit was reached, it grows by an eighth. Hosts that wait on their hosts (seconds of remote work)
 * cost this thread no CPU, so their limit grows to `--parallelism` within a second and stays there: this bounds
 * how many hosts are *busy on this CPU* at once, never how many wait on the network. CPU time, not the loop's
 * lateness, is what is measured: on a shared machine a late tick may only mean another process held the core, and
 * holding our hosts back would not help that.
 */
import { openSync, readSync } from 'node:fs';

export const LOOP_PACING = {
  /** How often the event loop's CPU is sampled, ms. */
  tickMs: 10,
  /**
   * More CPU than tickMs + busyMs between two ticks: the loop is saturated (a turn ran ~15 ms or more), the limit
   * shrinks. The limit then settles where turns take about that long, and bursts stay under ~50 ms.
   */
  busyMs: 5,
  /** The limit never goes below this (nor above `--parallelism`, which the runner enforces). */
  minInFlight: 8,
} as const;

export interface Pacing {
  tickMs: number;
  busyMs: number;
  minInFlight: number;
}

/**
 * CPU time of the calling thread (Linux), else of the whole process, in ms. The schedstat file stays open (one per
 * process, for the thread that opened it: the event loop's) and is re-read from offset 0: a readFileSync every tick
 * (open, fstat, read, close) cost ~130 µs, 1-2% of a core at 100 ticks a second; a pread costs ~20 µs.
 */
let schedstat: { fd: number; buf: Buffer } | undefined;
function cpuClock(): () => number {
  try {
    schedstat ??= { fd: openSync('/proc/thread-self/schedstat', 'r'), buf: Buffer.alloc(128) };
    const { fd, buf } = schedstat;
    const read = (): number => {
      const n = readSync(fd, buf, 0, buf.length, 0);
      return Number(buf.toString('latin1', 0, n).split(' ', 1)[0]) / 1e6;
    };
    if (Number.isFinite(read())) return read;
  } catch {
    /* not Linux: the process's CPU (all threads) is the next best thing */
  }
  return () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
}

export class LoopPacer {
  private limit: number;
  private inFlight = 0;
  private readonly waiting: Array<() => void> = [];
  private timer: NodeJS.Timeout | undefined;
  private lastCpu = 0;
  private readonly cpu: () => number;

  /** `cpu` (ms of CPU used by the event loop's thread) is injectable for tests. */
  constructor(
    private readonly pacing: Pacing = LOOP_PACING,
    cpu?: () => number,
  ) {
    this.limit = pacing.minInFlight;
    this.cpu = cpu ?? cpuClock();
  }

  /** Hosts the pacer lets be in flight now (for tests and the bench). */
  get currentLimit(): number {
    return this.limit;
  }

  /** Undefined when a host may start now, else a promise resolved when it may; call finished() when it is done. */
  admit(): Promise<void> | undefined {
    this.run();
    if (this.waiting.length === 0 && this.inFlight < this.limit) {
      this.inFlight++;
      return undefined;
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** A host admitted earlier is done: the next waiting one starts at once if the limit allows. */
  finished(): void {
    this.inFlight--;
    this.release();
  }

  /** Stop the timer (the run is over); hosts still waiting are let go. */
  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.limit = Infinity;
    this.release();
  }

  private run(): void {
    if (this.timer) return;
    this.lastCpu = this.cpu();
    this.timer = setInterval(() => this.tick(), this.pacing.tickMs);
    this.timer.unref();
  }

  private tick(): void {
    const cpu = this.cpu();
    const busy = cpu - this.lastCpu > this.pacing.tickMs + this.pacing.busyMs;
    this.lastCpu = cpu;
    if (busy) this.limit = Math.max(this.pacing.minInFlight, Math.floor((this.limit * 3) / 4));
    else if (this.waiting.length > 0) this.limit += Math.max(1, this.limit >> 3);
    this.release();
    if (this.waiting.length === 0 && this.inFlight === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private release(): void {
    while (this.waiting.length > 0 && this.inFlight < this.limit) {
      this.inFlight++;
      this.waiting.shift()!();
    }
  }
}
