/**
 * One log file per host per run: `<genconfDir>/logs/<run-id>/<host>.stdout.log` and `.stderr.log`, stdout and
 * stderr kept apart (the original's `-tt` mixed them). Mode 0600 in a 0700 directory; only commands and their
 * output are written (stdin, which carries remote scripts, is not), and no credential passes through here.
 *
 * Files are written with plain appends on descriptors held only while the host is in flight: a write to a local
 * file is a memcpy into the page cache, and a stream per file would open asynchronously, so a burst of events (10,000
 * hosts skipped at once after Ctrl-C) would open 20,000 files at the same moment and run out of descriptors.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { RunEvent } from '../orchestrate/events.js';

export function logDirFor(genconfDir: string, runId: string): string {
  return path.join(genconfDir, 'logs', runId);
}

/** File-name-safe form of a host label (`[::1]:22` has characters some tools dislike). */
export function logName(label: string): string {
  return label.replace(/[^A-Za-z0-9._:-]/g, '_');
}

/** One log file, created (empty) when its host first has something to log, so that both files always exist. */
class LogFile {
  private fd: number | undefined;
  private failed = false;

  constructor(
    file: string,
    private readonly onError: (err: Error) => void,
  ) {
    try {
      this.fd = openSync(file, 'a', 0o600);
    } catch (err) {
      this.failed = true;
      onError(err as Error);
    }
  }

  write(text: string): void {
    if (this.failed || this.fd === undefined || text === '') return;
    try {
      writeSync(this.fd, text);
    } catch (err) {
      // Disk full, no descriptors left: this host's log stops, the run goes on.
      this.failed = true;
      this.onError(err as Error);
    }
  }

  close(): void {
    if (this.fd === undefined) return;
    try {
      closeSync(this.fd);
    } catch (err) {
      this.onError(err as Error);
    }
    this.fd = undefined;
  }
}

export class HostLogs {
  private readonly streams = new Map<string, { out: LogFile; err: LogFile }>();

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  private files(label: string): { out: LogFile; err: LogFile } {
    let s = this.streams.get(label);
    if (!s) {
      const base = path.join(this.dir, logName(label));
      const onError = (err: Error): void => {
        this.firstError ??= err;
      };
      s = { out: new LogFile(`${base}.stdout.log`, onError), err: new LogFile(`${base}.stderr.log`, onError) };
      this.streams.set(label, s);
    }
    return s;
  }

  readonly listener = (e: RunEvent): void => {
    const stamp = new Date().toISOString();
    switch (e.type) {
      case 'step-start': {
        const f = this.files(e.host.label);
        const what =
          e.step.kind === 'put' ? `put ${e.step.local} -> ${e.step.remote}` : `$ ${e.command ?? e.step.argv.join(' ')}`;
        const header = `=== ${stamp} ${e.step.title}\n${what}\n`;
        f.out.write(header);
        f.err.write(header);
        break;
      }
      case 'output':
        this.files(e.host.label)[e.stream === 'stdout' ? 'out' : 'err'].write(e.chunk);
        break;
      case 'step-end': {
        const f = this.files(e.host.label);
        const line = `=== ${stamp} ${e.result.status} (exit ${e.result.exitCode ?? 'none'}, ${e.result.durationMs} ms)${e.result.message ? `: ${e.result.message}` : ''}\n`;
        f.out.write(`\n${line}`);
        f.err.write(`\n${line}`);
        break;
      }
      case 'host-done': {
        const r = e.result;
        if (r.status === 'unreachable' || (r.steps.length === 0 && r.reason)) {
          this.files(r.host.label).err.write(`=== ${stamp} ${r.status}: ${r.reason ?? ''}\n`);
        }
        // A finished host's files are closed now, not at the end of the run: 10,000 hosts would otherwise hold
        // 20,000 descriptors (past a default `ulimit -n` of 1024). Anything later for it reopens them to append.
        this.release(r.host.label);
        break;
      }
      default:
        break;
    }
  };

  /** Hosts whose log files are open now: the hosts in flight, not every host of the run. */
  get openHosts(): number {
    return this.streams.size;
  }

  /** The first log file that could not be written (disk full, no descriptors left): the run goes on without it. */
  firstError: Error | undefined;

  private release(label: string): void {
    const s = this.streams.get(label);
    if (!s) return;
    this.streams.delete(label);
    s.out.close();
    s.err.close();
  }

  close(): Promise<void> {
    for (const label of [...this.streams.keys()]) this.release(label);
    return Promise.resolve();
  }
}
