/**
 * Import progress on stderr. On a terminal: one line redrawn in place (bytes, rate, ETA), at most 4 times a
 * second. Otherwise: a plain line at every tenth of the file, so logs show where a slow import stood.
 */
const MIB = 1024 * 1024;

export class ImportProgress {
  private readonly start: number;
  private lastDraw = 0;
  private lastTenth = -1;
  private drawn = false;

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly tty: boolean,
    private readonly now: () => number = Date.now,
  ) {
    this.start = now();
  }

  update(bytes: number, total: number): void {
    if (this.tty) {
      const t = this.now();
      if (t - this.lastDraw < 250 && bytes < total) return;
      this.lastDraw = t;
      this.out.write(`\r\x1b[K${this.line(bytes, total, t)}`);
      this.drawn = true;
      return;
    }
    const tenth = total === 0 ? 10 : Math.floor((bytes / total) * 10);
    if (tenth <= this.lastTenth) return;
    this.lastTenth = tenth;
    this.out.write(`import: ${tenth * 10}% read (${mib(bytes)} of ${mib(total)})\n`);
  }

  /** A message between updates: on a terminal it must not land in the middle of the redrawn line. */
  note(line: string): void {
    if (this.tty && this.drawn) this.out.write('\r\x1b[K');
    this.out.write(`${line}\n`);
  }

  done(): void {
    if (this.tty && this.drawn) this.out.write('\n');
    this.drawn = false;
  }

  private line(bytes: number, total: number, t: number): string {
    const secs = Math.max((t - this.start) / 1000, 0.001);
    const rate = bytes / secs;
    const eta = rate > 0 && total > bytes ? Math.ceil((total - bytes) / rate) : 0;
    const pct = total === 0 ? 100 : Math.floor((bytes / total) * 100);
    return `import: ${mib(bytes)} of ${mib(total)} (${pct}%)  ${(rate / MIB).toFixed(1)} MiB/s  ETA ${formatEta(eta)}`;
  }
}

function mib(n: number): string {
  return `${(n / MIB).toFixed(1)} MiB`;
}

function formatEta(s: number): string {
  if (s < 60) return `${s}s`;
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}
