/** Renders BenchResults as the markdown of bench/results/latest.md (and the README's bench section). */
import { ratiosOf, SIDE_LABEL, SIDES, type BenchResults, type SideResult } from './results.js';
import type { Range, Summary } from './stats.js';

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 3 : 2)} s`;
}

export function rangeSeconds(r: Range): string {
  return `${seconds(r.median)} [${(r.min / 1000).toFixed(2)}–${(r.max / 1000).toFixed(2)}]`;
}

export function times(x: number | null): string {
  return x === null ? '–' : `${x.toFixed(2)}×`;
}

export function mib(kib: number): string {
  return `${(kib / 1024).toFixed(0)} MiB`;
}

/** Escape what would break a table cell. */
export function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.map(cell).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** A side's result as a table cell: median [min–max] wall, or why there is no number. */
function wallCell(r: SideResult | undefined): string {
  if (r === undefined) return '–';
  if ('error' in r) return `not measured: ${r.error}`;
  return withExit(r.summary, rangeSeconds(r.summary.wallMs));
}

function cpuCell(r: SideResult | undefined): string {
  if (r === undefined || 'error' in r) return '–';
  return seconds(r.summary.cpuMs.median);
}

function withExit(s: Summary, text: string): string {
  if (s.ok) return text;
  const bad = s.exitCodes.filter((c) => c !== 0).map((c) => String(c));
  return `${text} (exit ${[...new Set(bad)].join(',')} in ${bad.length}/${s.runs} runs)`;
}

export function renderMarkdown(r: BenchResults): string {
  const out: string[] = [];
  out.push(`# dcos-genconf benchmark results`);
  out.push('');
  out.push(
    `Run ${r.startedAt} → ${r.finishedAt} on ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memGiB} GiB, ` +
      `Node ${r.machine.node}, ${r.machine.openssh}, kernel ${r.machine.kernel}, load average ${(r.machine.loadAvgAtStart ?? r.machine.loadAvg).join(' ')} at the start and ${r.machine.loadAvg.join(' ')} at the end. ` +
      `${r.options.quick ? 'QUICK run: ' : ''}median [min–max] of ${r.options.runs} counted runs after ${r.options.warmup} warm-up; ` +
      `whole-process wall time; cpu = user+sys of the client process tree; parallelism ${r.options.parallelism}.`,
  );
  out.push('');
  out.push('## Targets');
  out.push('');
  out.push(
    table(
      ['target', 'bound', 'measured', 'verdict'],
      r.targets.map((t) => [
        t.description,
        `${t.kind === 'max' ? '≤' : '≥'} ${t.bound}${t.unit === '×' ? '×' : ` ${t.unit}`}`,
        t.measured === null ? '–' : t.unit === '×' ? times(t.measured) : `${t.measured.toFixed(0)} ${t.unit}`,
        t.verdict,
      ]),
    ),
  );
  if (r.comparisons.length > 0) {
    out.push('');
    out.push('## Stages, side by side');
    out.push('');
    out.push(
      table(
        [
          'stage',
          'hosts',
          ...SIDES.map((s) => `${SIDE_LABEL[s]} wall`),
          'genconf / floor',
          'original / genconf',
          ...SIDES.map((s) => `cpu ${SIDE_LABEL[s]}`),
          'peak RSS genconf',
        ],
        r.comparisons.map((c) => {
          const q = ratiosOf(c);
          const ours = c.sides.ours;
          return [
            c.stage,
            String(c.hosts),
            ...SIDES.map((s) =>
              s === 'original' && q.originalEstimated
                ? `${c.originalLowerBound!.basis} (not run: ${wallCell(c.sides[s]).replace(/^not measured: /, '')})`
                : wallCell(c.sides[s]),
            ),
            times(q.oursOverFloor),
            q.originalEstimated ? `≥ ${times(q.originalOverOurs)} (est.)` : times(q.originalOverOurs),
            ...SIDES.map((s) => cpuCell(c.sides[s])),
            ours && 'summary' in ours ? mib(ours.summary.maxRssKiB.max) : '–',
          ];
        }),
      ),
    );
  }
  if (r.singles.length > 0) {
    out.push('');
    out.push('## Single measurements');
    out.push('');
    out.push(
      table(
        ['measurement', 'hosts', 'wall', 'cpu', 'peak RSS'],
        r.singles.map((s) => [
          s.name,
          s.hosts === undefined ? '–' : String(s.hosts),
          wallCell(s.result),
          cpuCell(s.result),
          'summary' in s.result ? mib(s.result.summary.maxRssKiB.max) : '–',
        ]),
      ),
    );
  }
  if (r.imports && r.imports.length > 0) {
    out.push('');
    out.push('## Import of the official installer (--import-installer)');
    out.push('');
    out.push(
      table(
        [
          'installer',
          'genconf wall',
          'floor wall',
          'genconf MB/s',
          'floor MB/s',
          'genconf / floor throughput',
          'cpu genconf',
          'cpu floor',
          'peak RSS genconf',
          'peak RSS floor',
        ],
        r.imports.map((i) => [
          `${(i.installerBytes / 2 ** 30).toFixed(2)} GiB, ${i.packages} packages; ${i.case}`,
          wallCell(i.sides.ours),
          wallCell(i.sides.floor),
          i.oursMBps === null ? '–' : i.oursMBps.toFixed(0),
          i.floorMBps === null ? '–' : i.floorMBps.toFixed(0),
          times(i.throughputRatio),
          cpuCell(i.sides.ours),
          cpuCell(i.sides.floor),
          i.sides.ours && 'summary' in i.sides.ours ? mib(i.sides.ours.summary.maxRssKiB.max) : '–',
          i.sides.floor && 'summary' in i.sides.floor ? mib(i.sides.floor.summary.maxRssKiB.max) : '–',
        ]),
      ),
    );
  }
  if (r.jumps && r.jumps.length > 0) {
    out.push('');
    out.push('## Preflight through a bastion (ProxyJump) against direct');
    out.push('');
    out.push(
      table(
        [
          'hosts',
          'through the bastion',
          'direct',
          'jump / direct (goal ≤ 1.3×)',
          'cpu jump',
          'cpu direct',
          'bastion connections per run',
        ],
        r.jumps.map((j) => [
          String(j.hosts),
          wallCell(j.jump),
          wallCell(j.direct),
          times(j.ratio),
          cpuCell(j.jump),
          cpuCell(j.direct),
          j.bastionConnectionsPerRun.toFixed(1),
        ]),
      ),
    );
  }
  if (r.method.length > 0) {
    out.push('');
    out.push('## What each side does');
    out.push('');
    for (const m of r.method) out.push(`- ${m}`);
  }
  out.push('');
  return out.join('\n');
}
