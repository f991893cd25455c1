/**
 * Live progress while a stage runs. On a terminal: one line per host, updated in place. Otherwise (a pipe, CI):
 * plain lines, each starting with the host label and the stage, as they happen.
 */
import type { ChalkInstance } from 'chalk';
import type { RunEvent } from '../orchestrate/events.js';
import type { HostResult } from '../orchestrate/result.js';
import { stillFailing } from '../stages/judge.js';
import { withoutLabel } from './summary.js';
import { duration, makeChalk, pad, paintStatus, terminalSafe, truncate, visibleLength } from './format.js';

export interface ProgressOptions {
  stage: string;
  tty: boolean;
  color: boolean;
  /** Terminal height; the in-place view is used only when every host fits. */
  rows?: number;
  columns?: number;
  verbose?: boolean;
}

interface Line {
  label: string;
  role: string;
  text: string;
  done?: HostResult;
}

export class Progress {
  private readonly c: ChalkInstance;
  private readonly lines = new Map<string, Line>();
  private drawn = 0;
  private timer: NodeJS.Timeout | undefined;
  private live: boolean;
  private width = 0;

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly opts: ProgressOptions,
  ) {
    this.c = makeChalk(opts.color);
    this.live = opts.tty;
  }

  /** Plain lines of this event-loop turn, written together at its end: hundreds of hosts answer in one turn. */
  private pending: string[] = [];
  private scheduled: NodeJS.Immediate | undefined;

  private plain(label: string, text: string): void {
    this.pending.push(terminalSafe(`${label} [${this.opts.stage}] ${text}`) + '\n');
    this.scheduled ??= setImmediate(() => this.flush());
  }

  /** Write the gathered plain lines now (the run ended, or something else is about to be written). */
  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    if (this.pending.length === 0) return;
    const text = this.pending.join('');
    this.pending = [];
    this.out.write(text);
  }

  private set(label: string, text: string): void {
    const l = this.lines.get(label);
    if (l) l.text = text;
    this.schedule();
  }

  private schedule(): void {
    if (!this.live || this.timer) return;
    // Redraw at most ten times a second: hundreds of hosts emit far more events than a terminal can show.
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.draw();
    }, 100);
  }

  private draw(): void {
    const cols = this.opts.columns ?? 120;
    let s = this.drawn > 0 ? `\x1b[${this.drawn}A` : '';
    for (const l of this.lines.values()) {
      const status = l.done ? paintStatus(this.c, l.done.status, pad(l.done.status, 11)) : this.c.cyan(pad('…', 11));
      const row = terminalSafe(`${pad(l.label, this.width)}  ${pad(l.role, 12)}  ${status}  ${l.text}`);
      s += `\x1b[2K${truncate(row, cols + (row.length - visibleLength(row)) - 1)}\n`;
    }
    this.drawn = this.lines.size;
    this.out.write(s);
  }

  /** Partial stderr lines per host, and the failing checks last shown, for the postflight wait. */
  private readonly partial = new Map<string, string>();
  private readonly lastFailing = new Map<string, string>();

  /** Postflight: which checks still fail, from the wait loop's frame lines; plain output only when it changes. */
  private checkAttempts(label: string, title: string, chunk: string): void {
    const text = (this.partial.get(label) ?? '') + chunk;
    const lines = text.split('\n');
    const rest = lines.pop()!;
    // Keep an unfinished line only while it can still become a frame line.
    if (rest.startsWith('@@genconf attempt '.slice(0, rest.length)) || rest.startsWith('@@genconf attempt '))
      this.partial.set(label, rest.slice(0, 65_536));
    else this.partial.delete(label);
    for (const line of lines) {
      const a = stillFailing(line);
      if (!a) continue;
      const names = a.failing.length > 0 ? a.failing.join(', ') : 'the check';
      const msg = `${title}: still failing after ${duration(a.elapsedSec * 1000)}: ${names}`;
      if (this.live) this.set(label, msg);
      else if (this.lastFailing.get(label) !== names) this.plain(label, msg);
      this.lastFailing.set(label, names);
    }
  }

  readonly listener = (e: RunEvent): void => {
    switch (e.type) {
      case 'run':
        for (const h of e.hosts) this.lines.set(h.label, { label: h.label, role: h.role, text: 'waiting' });
        this.width = Math.max(4, ...e.hosts.map((h) => h.label.length));
        if (this.live && this.opts.rows !== undefined && e.hosts.length > this.opts.rows - 3) this.live = false;
        if (!this.live) {
          this.flush();
          this.out.write(
            `[${this.opts.stage}] ${e.hosts.length} host${e.hosts.length === 1 ? '' : 's'}, ${e.parallelism} at a time (run ${e.runId})\n`,
          );
        } else this.draw();
        break;
      case 'host':
        if (this.live) this.set(e.host.label, e.state);
        else if (e.state === 'connecting') this.plain(e.host.label, `connecting as ${e.host.user}`);
        break;
      case 'step-start':
        if (this.live) this.set(e.host.label, e.step.title);
        else this.plain(e.host.label, `${e.step.title}`);
        break;
      case 'output':
        if (e.stream === 'stderr' && (e.chunk.includes('@@genconf attempt ') || this.partial.has(e.host.label)))
          this.checkAttempts(e.host.label, e.step.title, e.chunk);
        break;
      case 'progress':
        if (this.live && e.total > 0)
          this.set(e.host.label, `${e.step.title} ${Math.floor((100 * e.sent) / e.total)}%`);
        break;
      case 'step-end':
        // The host's line at the end says why it failed; each step's outcome only with --verbose.
        if (!this.live && this.opts.verbose) {
          const mark = e.result.status === 'ok' ? this.c.green('ok') : this.c.red(e.result.status);
          this.plain(e.host.label, `${mark} ${e.step.title}${e.result.message ? `: ${e.result.message}` : ''}`);
        }
        break;
      case 'host-done': {
        const r = e.result;
        const text =
          r.status === 'ok' ? duration(r.durationMs) : `${r.failedStep ? `${r.failedStep}: ` : ''}${withoutLabel(r)}`;
        if (this.live) {
          const l = this.lines.get(r.host.label);
          if (l) l.done = r;
          this.set(r.host.label, text);
        } else {
          this.plain(r.host.label, `${paintStatus(this.c, r.status)} ${text}`);
        }
        break;
      }
      case 'summary':
        this.flush();
        if (this.timer) clearTimeout(this.timer);
        this.timer = undefined;
        if (this.live) {
          for (const r of e.result.hosts) {
            const l = this.lines.get(r.host.label);
            if (l && !l.done) {
              l.done = r;
              l.text = r.reason ?? '';
            }
          }
          this.draw();
        }
        break;
      default:
        break;
    }
  };
}
