/** The scale bench's results (bench/results/scale.json), their plain summary lines and the markdown table. Pure. */

export interface ScaleMeasured {
  wallMs: number;
  cpuMs: number;
  maxRssKiB: number;
  exitCode: number | null;
  eventLoopP99Ms: number | null;
  /**
   * The event-loop thread's own CPU per 5 ms tick (probe.ts): p99, max and ticks above 50 ms; unlike the delay,
   * preemption by other processes does not inflate it. Absent in older results and off Linux.
   */
  loopCpu?: {
    p99: number;
    max: number;
    over50: number;
    /** The ticks above 50 ms: ms from the start, CPU ms, GC ms within it. */
    longTicks?: Array<{ at: number; cpu: number; gc: number }>;
  };
  /** V8's GC pauses in the run: count, total and longest (ms), and the same for full (mark-compact) ones. */
  gc?: { count: number; total: number; max: number; major?: number; majorTotal?: number; majorMax?: number };
  stderrTail: string;
}

export interface ScaleRun extends ScaleMeasured {
  outputs: { ndjsonBytes: number; junitBytes: number; humanBytes: number; logBytes: number; logFiles: number };
}

export interface ScaleCase {
  stage: 'preflight' | 'deploy';
  hosts: number;
  parallelism: number;
  /** Peak RSS of `genconf --validate-config` on the same config: the client before any connection. */
  idleRssKiB: number;
  ours: ScaleRun[];
  floor: ScaleMeasured[];
  /** The farm's own counters for this size (every run of every side at this size). */
  farm?: Record<string, number>;
  /** When this case was measured and the load average (1 min) before and after it: the machine is shared. */
  measuredAt?: string;
  load?: [number, number];
  /** CPU in µs to create one file beside the run's logs, measured before the case (createCostUs in section.ts). */
  logCreateUs?: number;
  /** The filesystem the run's logs were written to (fsType in section.ts): tmpfs, ext4, … */
  logFs?: string;
  /**
   * With --scale-parts (preflight): the client's two halves, each alone as a whole process (parts.ts): genconf's
   * transport against the farm, and genconf's runner and reports over an in-process transport.
   */
  parts?: { transport: ScaleMeasured[]; runner: ScaleMeasured[] };
}

/** The cases of an earlier results file that this run did not measure again, then this run's. */
export function mergeCases(previous: readonly ScaleCase[], current: readonly ScaleCase[]): ScaleCase[] {
  const key = (c: ScaleCase): string => `${c.stage}/${c.hosts}/${c.parallelism}`;
  const fresh = new Set(current.map(key));
  const all = [...previous.filter((c) => !fresh.has(key(c))), ...current];
  return all.sort((a, b) =>
    a.stage !== b.stage ? a.stage.localeCompare(b.stage) : a.hosts - b.hosts || a.parallelism - b.parallelism,
  );
}

export interface ScaleResults {
  date: string;
  machine: { cpus: number; cpuModel: string; node: string; loadAvgAtStart: number[]; loadAvgAtEnd?: number[] };
  pinning: string;
  workMs: number;
  bundleBytes: number;
  runs: number;
  cases: ScaleCase[];
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const ok = (r: ScaleMeasured): boolean => r.exitCode === 0;

/** Medians over the successful runs of each side, and the ratios; undefined values when a side never succeeded. */
export function caseStats(c: ScaleCase): {
  cpuPerHost: number;
  floorCpuPerHost: number;
  ratio: number;
  wallRatio: number;
  wallMs: number;
  floorWallMs: number;
  peakRssMiB: number;
  floorPeakRssMiB: number;
  rssPerInFlightKiB: number;
  loopP99: number;
  floorLoopP99: number;
  loopCpuP99: number;
  floorLoopCpuP99: number;
  failed: string | undefined;
} {
  const ours = c.ours.filter(ok);
  const floor = c.floor.filter(ok);
  const m = (rs: readonly ScaleMeasured[], f: (r: ScaleMeasured) => number): number => median(rs.map(f));
  const cpuPerHost = m(ours, (r) => r.cpuMs) / c.hosts;
  const floorCpuPerHost = m(floor, (r) => r.cpuMs) / c.hosts;
  const wallMs = m(ours, (r) => r.wallMs);
  const floorWallMs = m(floor, (r) => r.wallMs);
  const peak = m(ours, (r) => r.maxRssKiB);
  const inFlight = Math.min(c.parallelism, c.hosts);
  const bad = [...c.ours, ...c.floor].find((r) => !ok(r));
  return {
    cpuPerHost,
    floorCpuPerHost,
    ratio: cpuPerHost / floorCpuPerHost,
    wallRatio: wallMs / floorWallMs,
    wallMs,
    floorWallMs,
    peakRssMiB: peak / 1024,
    floorPeakRssMiB: m(floor, (r) => r.maxRssKiB) / 1024,
    rssPerInFlightKiB: (peak - c.idleRssKiB) / inFlight,
    loopP99: m(ours, (r) => r.eventLoopP99Ms ?? NaN),
    floorLoopP99: m(floor, (r) => r.eventLoopP99Ms ?? NaN),
    loopCpuP99: m(ours, (r) => r.loopCpu?.p99 ?? NaN),
    floorLoopCpuP99: m(floor, (r) => r.loopCpu?.p99 ?? NaN),
    failed: bad ? `exit ${bad.exitCode}: ${bad.stderrTail.trim().split('\n').slice(-2).join(' / ')}` : undefined,
  };
}

const f2 = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
const f0 = (x: number): string => (Number.isFinite(x) ? x.toFixed(0) : 'n/a');

/**
 * The halves of a --scale-parts case, per host (medians of the successful runs): genconf's transport alone and its
 * runner and reports alone. Undefined without parts; NaN for a half that never succeeded.
 */
export function partsStats(
  c: ScaleCase,
): { transportCpuPerHost: number; runnerCpuPerHost: number; transportRatio: number; failed?: string } | undefined {
  if (!c.parts) return undefined;
  const per = (rs: readonly ScaleMeasured[]): number => median(rs.filter(ok).map((r) => r.cpuMs)) / c.hosts;
  const floorCpuPerHost = median(c.floor.filter(ok).map((r) => r.cpuMs)) / c.hosts;
  const transportCpuPerHost = per(c.parts.transport);
  const bad = [...c.parts.transport, ...c.parts.runner].find((r) => !ok(r));
  return {
    transportCpuPerHost,
    runnerCpuPerHost: per(c.parts.runner),
    transportRatio: transportCpuPerHost / floorCpuPerHost,
    ...(bad ? { failed: `exit ${bad.exitCode}: ${bad.stderrTail.trim().split('\n').slice(-2).join(' / ')}` } : {}),
  };
}

function partsText(c: ScaleCase): string {
  const p = partsStats(c);
  if (!p) return '';
  return (
    `; alone: transport ${f2(p.transportCpuPerHost)} ms (ratio ${f2(p.transportRatio)}), runner ${f2(p.runnerCpuPerHost)} ms` +
    (p.failed ? ` (a part failed: ${p.failed.slice(0, 200)})` : '')
  );
}

/** The plain line CI reads, one per case. */
export function scaleLine(c: ScaleCase): string {
  const s = caseStats(c);
  return (
    `scale N=${c.hosts} p=${c.parallelism} ${c.stage}: cpu/host ${f2(s.cpuPerHost)} ms, floor ${f2(s.floorCpuPerHost)} ms, ` +
    `ratio ${f2(s.ratio)}, wall ratio ${f2(s.wallRatio)}, peak RSS ${f0(s.peakRssMiB)} MiB` +
    (s.failed ? ` (a run failed: ${s.failed.slice(0, 200)})` : '') +
    partsText(c)
  );
}

const kib = (b: number): string =>
  b >= 1 << 20 ? `${(b / (1 << 20)).toFixed(1)} MiB` : `${(b / 1024).toFixed(0)} KiB`;

export function renderScale(r: ScaleResults): string {
  const rows = r.cases.map((c) => {
    const s = caseStats(c);
    const o = c.ours.find(ok)?.outputs;
    return `| ${c.stage} | ${c.hosts} | ${c.parallelism} | ${c.measuredAt?.slice(0, 16).replace('T', ' ') ?? '?'} | ${c.load?.join('→') ?? '?'} | ${f2(s.wallMs / 1000)} s | ${f2(s.floorWallMs / 1000)} s | ${f2(s.wallRatio)}× | ${f2(s.cpuPerHost)} ms | ${f2(s.floorCpuPerHost)} ms | ${f2(s.ratio)}× | ${f0(s.peakRssMiB)} MiB | ${f0(s.floorPeakRssMiB)} MiB | ${f0(s.rssPerInFlightKiB)} KiB | ${f0(s.loopP99)} ms | ${f0(s.floorLoopP99)} ms | ${f0(s.loopCpuP99)} ms | ${f0(s.floorLoopCpuP99)} ms | ${o ? `${kib(o.ndjsonBytes)} / ${kib(o.junitBytes)} / ${kib(o.humanBytes)} / ${kib(o.logBytes)} in ${o.logFiles}` : 'n/a'} | ${c.logCreateUs ?? '?'} µs${c.logFs ? ` (${c.logFs})` : ''} |${s.failed ? ` failed: ${s.failed.slice(0, 120)}` : ''}`;
  });
  return [
    '# Scale bench: genconf against the bench host farm',
    '',
    `Last run ${r.date} on ${r.machine.cpus} × ${r.machine.cpuModel}, Node ${r.machine.node}; load average ${r.machine.loadAvgAtStart.join(' ')} at the start, ${r.machine.loadAvgAtEnd?.join(' ') ?? '?'} at the end (the machine is shared with other work). ${r.pinning}. Farm remote work ${r.workMs} ms; deploy bundle ${kib(r.bundleBytes)}; median of ${r.runs} run(s) per side; cpu = user+sys of the client process.`,
    '',
    '| stage | hosts | p | measured (UTC) | load | genconf wall | floor wall | wall ratio | cpu/host | floor cpu/host | cpu ratio | peak RSS | floor peak RSS | RSS per in-flight host | loop p99 | floor loop p99 | loop-thread CPU/tick p99 | floor loop-thread CPU p99 | NDJSON / JUnit / human / logs | file create (log disk) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    ...partsTable(r.cases),
    ...r.cases.map((c) => `    ${scaleLine(c)}`),
    '',
  ].join('\n');
}

/** The --scale-parts table: each half's CPU per host beside the whole and the floor, measured in the same window. */
function partsTable(cases: readonly ScaleCase[]): string[] {
  const withParts = cases.filter((c) => c.parts);
  if (withParts.length === 0) return [];
  return [
    'The client in two halves (`--scale-parts`), each alone as a whole process in the same window as the rows above: ' +
      "genconf's transport against the farm (connect, the preflight command with its stdin, close: what the floor " +
      "does), and genconf's runner and reports over an in-process transport that answers at once (no SSH). Both " +
      'include a process start.',
    '',
    '| stage | hosts | p | genconf cpu/host | floor cpu/host | transport alone | transport ÷ floor | runner + reports alone |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...withParts.map((c) => {
      const s = caseStats(c);
      const p = partsStats(c)!;
      return `| ${c.stage} | ${c.hosts} | ${c.parallelism} | ${f2(s.cpuPerHost)} ms | ${f2(s.floorCpuPerHost)} ms | ${f2(p.transportCpuPerHost)} ms | ${f2(p.transportRatio)}× | ${f2(p.runnerCpuPerHost)} ms |${p.failed ? ` failed: ${p.failed.slice(0, 120)}` : ''}`;
    }),
    '',
  ];
}
