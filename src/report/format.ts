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
