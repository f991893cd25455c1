/**
 * One log file per host per run: `<genconfDir>/logs/<run-id>/<host>.stdout.log` and `.stderr.log`, stdout and
 * stderr kept apart (the original's `-tt` mixed them). Mode 0600 in a 0700 directory; only commands and their
 * output are written (stdin, which carries remote scripts, is not), and no credential passes through here.
 * Every step's header and end line go to stdout.log; stderr.log gets a step's header and end line only around
 * stderr output, so it exists only for hosts that wrote to stderr or failed to connect (`ls *.stderr.log` lists
 * them). Creating a file is the dearest part of a log: on ext4 without a journal, with many inodes freed recently
 * (a rotated log directory), each create scans the inode table and costs ~1 ms of kernel CPU, two per host being
 * most of the client's CPU above the ssh2 floor in the scale bench.
 *
 * Lines are gathered per host and appended in batches: when the host finishes, as soon as FLUSH_BYTES have gathered,
 * and every FLUSH_MS for a host still running (a hung host's log is at most that far behind). A batch is one append
 * per file, done synchronously: open, write and close cost ~35 µs of CPU on a local disk, where the same append
 * through libuv's thread pool costs ~80 µs and five context switches (a WriteStream ~175 µs). Writing each event as
 * it came, through a WriteStream per file, was a fifth of the client's CPU per host in the scale bench (~30 pool jobs
 * per host in a deploy; README "Where the client's time goes").
 *
 * The event loop must not wait on a slow disk (a network file system can take milliseconds to create a file): a few
 * appends in a row that take longer than SLOW_APPEND_MS switch the rest of the run to asynchronous appends, at most
 * MAX_OPEN_HOSTS hosts' files at once — a burst of events (10,000 hosts skipped together after Ctrl-C) would otherwise
 * open 20,000 files at the same moment and run out of descriptors; a host over the cap keeps its lines in memory
 * until a slot frees. Timed flushes of many hosts are cut into slices of FLUSH_SLICE_MS for the same reason.
 */
import { appendFile, appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { LOG_STEP_CAP_BYTES, type RunEvent } from '../orchestrate/events.js';

export function logDirFor(genconfDir: string, runId: string): string {
  return path.join(genconfDir, 'logs', runId);
}

/** File-name-safe form of a host label (`[::1]:22` has characters some tools dislike). */
export function logName(label: string): string {
  return label.replace(/[^A-Za-z0-9._:-]/g, '_');
}

/** Hosts whose two files may be open at once (2 descriptors each). */
export const MAX_OPEN_HOSTS = 256;

/**
 * Log text accepted but not yet on disk (gathered, held for a slot, or in an append in flight) above which the runner
 * is asked to wait before starting another host (see ready()); it goes on once half of it is written. Only a slow
 * disk (asynchronous appends) lets it build up.
 */
export const LOG_BACKLOG_BYTES = 32 << 20;

/** A running host's gathered lines are written at least this often… */
export const FLUSH_MS = 1000;
/** …and as soon as this much has gathered (a flooding step does not sit in memory). */
export const FLUSH_BYTES = 64 * 1024;
/**
 * SLOW_APPENDS synchronous appends in a row, each slower than SLOW_APPEND_MS, mean a slow disk: the run's later
 * appends go through the thread pool. One slow append alone is more likely the process waiting for the CPU.
 */
export const SLOW_APPEND_MS = 20;
export const SLOW_APPENDS = 5;
/** A timed flush writes for at most this long before it lets the event loop run, and goes on after. */
const FLUSH_SLICE_MS = 5;

type Which = 'out' | 'err';
const SUFFIX: Record<Which, string> = { out: 'stdout', err: 'stderr' };

/** One host's two files and the lines gathered for them. */
interface HostFiles {
  base: string;
  /** Text not yet handed to an append. */
  pending: Record<Which, string>;
  /**
   * The current step's header, not yet written to stderr: it goes there before the step's first stderr line, so a
   * host that writes nothing to stderr has no `.stderr.log` (creating a file is most of a log's cost; see above).
   */
  errHeader: string;
  /** The current step has written to stderr (its header is there), so its end line goes there too. */
  errOpen: boolean;
  /** An append of this host's is in flight (it holds a slot); the next waits for it, so lines stay in order. */
  writing: boolean;
  /** Waiting for a slot (in `waiting`). */
  queued: boolean;
  /** The host is done: whatever is gathered is written at once. */
  released: boolean;
}

/** Bytes of the current step's output written and dropped, per host and stream (LOG_STEP_CAP_BYTES). */
interface StepBytes {
  out: number;
  err: number;
  outDropped: number;
  errDropped: number;
}

export class HostLogs {
  private readonly hosts = new Map<string, HostFiles>();
  private readonly stepBytes = new Map<string, StepBytes>();
  private readonly waiting: HostFiles[] = [];
  /** Running hosts with gathered lines, written by the next timed flush. */
  private readonly dirty = new Set<HostFiles>();
  private timer: NodeJS.Timeout | undefined;
  /** Hosts with an asynchronous append in flight. */
  private active = 0;
  private idle: (() => void) | undefined;
  /** Appends go through the thread pool (the disk was slow, or `asynchronous` was asked for). */
  private slow: boolean;
  /** Synchronous appends in a row slower than SLOW_APPEND_MS. */
  private slowInARow = 0;
  /** Characters accepted and not yet written out (LOG_BACKLOG_BYTES). */
  private backlog = 0;
  private waiters: Array<() => void> = [];
  private readonly written = (len: number): void => {
    this.backlog -= len;
    if (this.waiters.length > 0 && this.backlog <= LOG_BACKLOG_BYTES / 2) {
      const w = this.waiters;
      this.waiters = [];
      for (const resolve of w) resolve();
    }
  };

  /** `asynchronous`: never append synchronously (as after a slow append; for tests of that mode). */
  constructor(
    readonly dir: string,
    opts: { asynchronous?: boolean } = {},
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.slow = opts.asynchronous === true;
  }

  /** The first log file that could not be written (disk full, no descriptors left): the run goes on without it. */
  firstError: Error | undefined;

  /** Hosts whose log files are open or waiting to open: the hosts in flight, not every host of the run. */
  get openHosts(): number {
    return this.hosts.size;
  }

  /** Log files open (being appended to) now: never more than 2 × MAX_OPEN_HOSTS. */
  get filesOpen(): number {
    return this.active * 2;
  }

  private files(label: string): HostFiles {
    let h = this.hosts.get(label);
    if (!h) {
      h = {
        base: path.join(this.dir, logName(label)),
        pending: { out: '', err: '' },
        errHeader: '',
        errOpen: false,
        writing: false,
        queued: false,
        released: false,
      };
      this.hosts.set(label, h);
    }
    return h;
  }

  private write(h: HostFiles, which: Which, text: string): void {
    if (text === '') return;
    if (which === 'err' && h.errHeader !== '') {
      const header = h.errHeader;
      h.errHeader = '';
      h.errOpen = true;
      this.write(h, 'err', header);
    }
    this.backlog += text.length;
    h.pending[which] += text;
    if (h.pending.out.length + h.pending.err.length >= FLUSH_BYTES) this.flush(h);
    else this.later(h);
  }

  /**
   * Backpressure for the runner: a promise while more than LOG_BACKLOG_BYTES of log text waits for a slow disk,
   * resolved once half of it is written; undefined (go on) otherwise.
   */
  ready(): Promise<void> | undefined {
    if (this.backlog <= LOG_BACKLOG_BYTES) return undefined;
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Flush `h` with the next timed flush (a timer for all hosts; unref: it never keeps the process alive). */
  private later(h: HostFiles): void {
    this.dirty.add(h);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      const hosts = [...this.dirty];
      this.dirty.clear();
      this.flushSome(hosts, 0);
    }, FLUSH_MS).unref();
  }

  private flushSome(hosts: HostFiles[], from: number): void {
    const t0 = performance.now();
    for (let i = from; i < hosts.length; i++) {
      if (performance.now() - t0 > FLUSH_SLICE_MS) {
        setImmediate(() => this.flushSome(hosts, i));
        return;
      }
      this.flush(hosts[i]!);
    }
  }

  /** Append what `h` has gathered, now if a slot is free, else when one frees; after its append in flight, if any. */
  private flush(h: HostFiles): void {
    this.dirty.delete(h);
    if (h.writing || h.queued) return;
    if (h.pending.out === '' && h.pending.err === '') return;
    if (this.active >= MAX_OPEN_HOSTS) {
      h.queued = true;
      this.waiting.push(h);
      return;
    }
    this.append(h);
  }

  private append(h: HostFiles): void {
    const batch = h.pending;
    h.pending = { out: '', err: '' };
    const which = (['out', 'err'] as const).filter((w) => batch[w] !== '');
    if (!this.slow) {
      for (const w of which) {
        const t0 = performance.now();
        try {
          appendFileSync(`${h.base}.${SUFFIX[w]}.log`, batch[w], { mode: 0o600, encoding: 'utf8' });
        } catch (err) {
          this.firstError ??= err as Error;
        }
        // Written or failed: either way it no longer waits in memory.
        this.written(batch[w].length);
        this.slowInARow = performance.now() - t0 > SLOW_APPEND_MS ? this.slowInARow + 1 : 0;
        if (this.slowInARow >= SLOW_APPENDS) this.slow = true;
      }
      return;
    }
    this.active++;
    h.writing = true;
    let left = which.length;
    const appended = (len: number, err: NodeJS.ErrnoException | null): void => {
      if (err) this.firstError ??= err;
      this.written(len);
      if (--left > 0) return;
      this.active--;
      h.writing = false;
      if (h.pending.out !== '' || h.pending.err !== '') {
        if (h.released || h.pending.out.length + h.pending.err.length >= FLUSH_BYTES) this.flush(h);
        else this.later(h);
      }
      while (this.active < MAX_OPEN_HOSTS && this.waiting.length > 0) {
        const next = this.waiting.shift()!;
        next.queued = false;
        this.flush(next);
      }
      if (this.active === 0 && this.waiting.length === 0) this.idle?.();
    };
    for (const w of which)
      appendFile(`${h.base}.${SUFFIX[w]}.log`, batch[w], { mode: 0o600, encoding: 'utf8' }, (err) =>
        appended(batch[w].length, err),
      );
  }

  private release(label: string): void {
    const h = this.hosts.get(label);
    if (!h) return;
    this.hosts.delete(label);
    h.released = true;
    // Written now, after its append in flight, or when it gets a slot.
    this.flush(h);
  }

  /** Write everything gathered and wait until every append is done. */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const label of [...this.hosts.keys()]) this.release(label);
    if (this.active === 0 && this.waiting.length === 0) return;
    await new Promise<void>((resolve) => (this.idle = resolve));
  }

  /** The part of a chunk that fits the step's cap; what does not is counted, not kept. */
  private capped(label: string, which: Which, chunk: string): string {
    const b = this.stepBytes.get(label);
    if (!b) return chunk;
    const len = Buffer.byteLength(chunk);
    const room = LOG_STEP_CAP_BYTES - b[which];
    if (len <= room) {
      b[which] += len;
      return chunk;
    }
    const head = room > 0 ? Buffer.from(chunk).subarray(0, room).toString() : '';
    b[which] = LOG_STEP_CAP_BYTES;
    b[which === 'out' ? 'outDropped' : 'errDropped'] += len - Buffer.byteLength(head);
    return head;
  }

  private droppedLine(n: number): string {
    return `output over ${LOG_STEP_CAP_BYTES >> 20} MiB for this step: ${n} more bytes were not logged`;
  }

  readonly listener = (e: RunEvent): void => {
    // Output and progress events, most of a run's events, need no time stamp.
    const stamp = (): string => new Date().toISOString();
    switch (e.type) {
      case 'step-start': {
        const f = this.files(e.host.label);
        const what =
          e.step.kind === 'put' ? `put ${e.step.local} -> ${e.step.remote}` : `$ ${e.command ?? e.step.argv.join(' ')}`;
        this.stepBytes.set(e.host.label, { out: 0, err: 0, outDropped: 0, errDropped: 0 });
        const header = `=== ${stamp()} ${e.step.title}\n${what}\n`;
        this.write(f, 'out', header);
        f.errHeader = header;
        f.errOpen = false;
        break;
      }
      case 'output': {
        const which: Which = e.stream === 'stdout' ? 'out' : 'err';
        const kept = this.capped(e.host.label, which, e.chunk);
        if (kept) this.write(this.files(e.host.label), which, kept);
        break;
      }
      case 'note':
        this.write(this.files(e.host.label), 'err', `=== ${stamp()} ${e.message}\n`);
        break;
      case 'step-end': {
        const f = this.files(e.host.label);
        const b = this.stepBytes.get(e.host.label);
        if (b && b.outDropped > 0) this.write(f, 'out', `\n=== ${this.droppedLine(b.outDropped)}\n`);
        if (b && b.errDropped > 0) this.write(f, 'err', `\n=== ${this.droppedLine(b.errDropped)}\n`);
        this.stepBytes.delete(e.host.label);
        const line = `=== ${stamp()} ${e.result.status} (exit ${e.result.exitCode ?? 'none'}, ${e.result.durationMs} ms)${e.result.message ? `: ${e.result.message}` : ''}\n`;
        this.write(f, 'out', `\n${line}`);
        if (f.errOpen) this.write(f, 'err', `\n${line}`);
        f.errHeader = '';
        f.errOpen = false;
        break;
      }
      case 'host-done': {
        const r = e.result;
        if (r.status === 'unreachable' || (r.steps.length === 0 && r.reason)) {
          this.write(this.files(r.host.label), 'err', `=== ${stamp()} ${r.status}: ${r.reason ?? ''}\n`);
        }
        // A finished host's files are closed now, not at the end of the run: 10,000 hosts would otherwise hold
        // 20,000 descriptors (past a default `ulimit -n` of 1024). Anything later for it opens them again to append.
        this.stepBytes.delete(r.host.label);
        this.release(r.host.label);
        break;
      }
      default:
        break;
    }
  };
}
