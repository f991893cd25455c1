/** Small formatting helpers shared by the human reports. */
import { Chalk, type ChalkInstance } from 'chalk';
import type { HostStatus } from '../orchestrate/result.js';

export function makeChalk(color: boolean): ChalkInstance {
  return new Chalk({ level: color ? 1 : 0 });
}

export function duration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  if (s < 59.95) return `${s.toFixed(1)} s`;
  // Round once, then split: 119.6 s is "2 min 0 s", never "1 min 60 s".
  const total = Math.round(s);
  return `${Math.floor(total / 60)} min ${total % 60} s`;
}

export function paintStatus(c: ChalkInstance, status: HostStatus, text: string = status): string {
  switch (status) {
    case 'ok':
      return c.green(text);
    case 'failed':
    case 'timed-out':
      return c.red(text);
    case 'unreachable':
      return c.magenta(text);
    case 'interrupted':
    case 'skipped':
      return c.yellow(text);
  }
}

/** Visible width of a string that may carry colour codes. */
export function visibleLength(s: string): number {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;]*m/g, '').length;
}

export function pad(s: string, width: number): string {
  const n = visibleLength(s);
  return n >= width ? s : s + ' '.repeat(width - n);
}

export function truncate(s: string, width: number): string {
  return s.length <= width ? s : s.slice(0, Math.max(0, width - 1)) + '…';
}

// Chalk's own colours (SGR `ESC [ … m`) stay; any other C0/C1 control character or DEL becomes visible text.
// eslint-disable-next-line no-control-regex
const CONTROL = /\x1b\[[0-9;]*m|[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

/**
 * A line that is safe to print on the operator's terminal. Check names, details and output tails come from remote
 * hosts: a BEL, a cursor move or an OSC sequence (window title, hyperlink) in them must not act on the terminal, so
 * they are shown escaped (`\x07`). Colour codes pass: they change only how text looks, and ours are made that way.
 */
export function terminalSafe(s: string): string {
  return s.replace(CONTROL, (m) => (m.length > 1 ? m : `\\x${m.charCodeAt(0).toString(16).padStart(2, '0')}`));
}
