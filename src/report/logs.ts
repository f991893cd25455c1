/**
 * One log file per host per run: `<genconfDir>/logs/<run-id>/<host>.stdout.log` and `.stderr.log`, stdout and
 * stderr kept apart (the original's `-tt` mixed them). Mode 0600 in a 0700 directory; only commands and their
 * output are written (stdin, which carries remote scripts, is not), and no credential passes through here.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import type { RunEvent } from '../orchestrate/events.js';

export function logDirFor(genconfDir: string, runId: string): string {
  return path.join(genconfDir, 'logs', runId);
}

/** File-name-safe form of a host label (`[::1]:22` has characters some tools dislike). */
export function logName(label: string): string {
  return label.replace(/[^A-Za-z0-9._:-]/g, '_');
}

export class HostLogs {
  private readonly streams = new Map<string, { out: WriteStream; err: WriteStream }>();

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  private files(label: string): { out: WriteStream; err: WriteStream } {
    let s = this.streams.get(label);
    if (!s) {
      const base = path.join(this.dir, logName(label));
      s = {
        out: createWriteStream(`${base}.stdout.log`, { flags: 'a', mode: 0o600 }),
        err: createWriteStream(`${base}.stderr.log`, { flags: 'a', mode: 0o600 }),
      };
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
        break;
      }
      default:
        break;
    }
  };

  async close(): Promise<void> {
    const all = [...this.streams.values()].flatMap((s) => [s.out, s.err]);
    await Promise.all(all.map((w) => new Promise<void>((resolve) => w.end(resolve))));
  }
}
