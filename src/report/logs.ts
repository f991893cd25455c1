/**
 * One log file per host per run: `<genconfDir>/logs/<run-id>/<host>.stdout.log` and `.stderr.log`, stdout and
 * stderr kept apart (the original's `-tt` mixed them). Mode 0600 in a 0700 directory; only commands and their
 * output are written (stdin, which carries remote scripts, is not), and no credential passes through here.
 *
 * Files are opened only while their host is in flight, and at most MAX_OPEN_HOSTS hosts' files at once: a burst of
 * events (10,000 hosts skipped together after Ctrl-C) would otherwise open 20,000 files at the same moment and run
 * out of descriptors. A host over the cap keeps its lines in memory until a slot frees. Opening and writing stay
 * asynchronous (libuv's pool): creating a file can take milliseconds, which the event loop must not wait for.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
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
 * Log text accepted but not yet on disk (held for a slot, or in a file stream's buffer) above which the runner is
 * asked to wait before starting another host (see ready()); it goes on once half of it is written.
 */
export const LOG_BACKLOG_BYTES = 32 << 20;

type Which = 'out' | 'err';

/** One host's two files: streams once it has a slot, lines kept until then. */
interface HostFiles {
  base: string;
  streams?: Record<Which, WriteStream>;
  held: Array<[Which, string]>;
  /** The host is done: end the files as soon as they are written. */
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
  /** Hosts holding a slot: files open, or closing. */
  private active = 0;
  private idle: (() => void) | undefined;
  /** Characters written to the files' streams or held, and not yet written out (LOG_BACKLOG_BYTES). */
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

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  /** The first log file that could not be written (disk full, no descriptors left): the run goes on without it. */
  firstError: Error | undefined;

  /** Hosts whose log files are open or waiting to open: the hosts in flight, not every host of the run. */
  get openHosts(): number {
    return this.hosts.size;
  }

  /** Log files open (or being closed) now: never more than 2 × MAX_OPEN_HOSTS. */
  get filesOpen(): number {
    return this.active * 2;
  }

  private files(label: string): HostFiles {
    let h = this.hosts.get(label);
    if (!h) {
      h = { base: path.join(this.dir, logName(label)), held: [], released: false };
      this.hosts.set(label, h);
      // Both files exist for every host that logged anything, as before.
      if (this.active < MAX_OPEN_HOSTS) this.start(h);
      else this.waiting.push(h);
    }
    return h;
  }

  private write(h: HostFiles, which: Which, text: string): void {
    if (text === '') return;
    this.backlog += text.length;
    if (h.streams) this.put(h.streams[which], text);
    else h.held.push([which, text]);
  }

  /** Written or failed (a failed stream calls back with its error): either way it no longer waits in memory. */
  private put(stream: WriteStream, text: string): void {
    stream.write(text, () => this.written(text.length));
  }

  /**
   * Backpressure for the runner: a promise while more than LOG_BACKLOG_BYTES of log text waits for a slow disk,
   * resolved once half of it is written; undefined (go on) otherwise.
   */
  ready(): Promise<void> | undefined {
    if (this.backlog <= LOG_BACKLOG_BYTES) return undefined;
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private start(h: HostFiles): void {
    this.active++;
    const open = (suffix: string): WriteStream =>
      createWriteStream(`${h.base}.${suffix}.log`, { flags: 'a', mode: 0o600 }).on('error', (err) => {
        this.firstError ??= err;
      });
    h.streams = { out: open('stdout'), err: open('stderr') };
    for (const [which, text] of h.held) this.put(h.streams[which], text);
    h.held = [];
    if (h.released) this.finish(h);
  }

  private finish(h: HostFiles): void {
    const s = h.streams!;
    let left = 2;
    const ended = (): void => {
      if (--left > 0) return;
      this.active--;
      const next = this.waiting.shift();
      if (next) this.start(next);
      else if (this.active === 0) this.idle?.();
    };
    s.out.end(ended);
    s.err.end(ended);
  }

  private release(label: string): void {
    const h = this.hosts.get(label);
    if (!h) return;
    this.hosts.delete(label);
    h.released = true;
    // A host still waiting for a slot is ended when it gets one.
    if (h.streams) this.finish(h);
  }

  /** End every file and wait until all are written and closed. */
  async close(): Promise<void> {
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
    const stamp = new Date().toISOString();
    switch (e.type) {
      case 'step-start': {
        const f = this.files(e.host.label);
        const what =
          e.step.kind === 'put' ? `put ${e.step.local} -> ${e.step.remote}` : `$ ${e.command ?? e.step.argv.join(' ')}`;
        this.stepBytes.set(e.host.label, { out: 0, err: 0, outDropped: 0, errDropped: 0 });
        const header = `=== ${stamp} ${e.step.title}\n${what}\n`;
        this.write(f, 'out', header);
        this.write(f, 'err', header);
        break;
      }
      case 'output': {
        const which: Which = e.stream === 'stdout' ? 'out' : 'err';
        const kept = this.capped(e.host.label, which, e.chunk);
        if (kept) this.write(this.files(e.host.label), which, kept);
        break;
      }
      case 'note':
        this.write(this.files(e.host.label), 'err', `=== ${stamp} ${e.message}\n`);
        break;
      case 'step-end': {
        const f = this.files(e.host.label);
        const b = this.stepBytes.get(e.host.label);
        if (b && b.outDropped > 0) this.write(f, 'out', `\n=== ${this.droppedLine(b.outDropped)}\n`);
        if (b && b.errDropped > 0) this.write(f, 'err', `\n=== ${this.droppedLine(b.errDropped)}\n`);
        this.stepBytes.delete(e.host.label);
        const line = `=== ${stamp} ${e.result.status} (exit ${e.result.exitCode ?? 'none'}, ${e.result.durationMs} ms)${e.result.message ? `: ${e.result.message}` : ''}\n`;
        this.write(f, 'out', `\n${line}`);
        this.write(f, 'err', `\n${line}`);
        break;
      }
      case 'host-done': {
        const r = e.result;
        if (r.status === 'unreachable' || (r.steps.length === 0 && r.reason)) {
          this.write(this.files(r.host.label), 'err', `=== ${stamp} ${r.status}: ${r.reason ?? ''}\n`);
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
