/** The shape of bench/results/latest.json, and the targets derived from it (issue 6, issues 3 and 4). */
import { judge, ratio, type JudgedTarget, type Summary } from './stats.js';

export type Side = 'ours' | 'floor' | 'original';
export const SIDES: readonly Side[] = ['ours', 'floor', 'original'];

export const SIDE_LABEL: Record<Side, string> = {
  ours: 'genconf',
  floor: 'ssh2 floor',
  original: "original's mechanics",
};

/** A side either has a summary of its counted runs or the reason it could not be measured. */
/** `skipped`: not run on purpose (the time budget), as opposed to a side that failed. */
export type SideResult = { summary: Summary } | { error: string; skipped?: true };

export interface Comparison {
  stage: 'preflight' | 'deploy';
  hosts: number;
  sides: Partial<Record<Side, SideResult>>;
  /**
   * Where the original's side was too slow to run at this size: a lower bound of its wall time, from its client CPU
   * measured at a smaller size (CPU grows linearly with hosts; the client cannot go faster than its CPU over the
   * machine's cores). Ratios built on it are marked as estimates.
   */
  originalLowerBound?: { wallMs: number; basis: string };
}

/** Lower bound of the original's wall time at `hosts` from its median client CPU at `fromHosts`, over `cpus` cores. */
export function originalLowerBound(
  from: Summary,
  fromHosts: number,
  hosts: number,
  cpus: number,
): { wallMs: number; basis: string } {
  const wallMs = (from.cpuMs.median * hosts) / fromHosts / cpus;
  return {
    wallMs,
    basis: `≥ ${(wallMs / 1000).toFixed(1)} s: client CPU at ${fromHosts} hosts (${(from.cpuMs.median / 1000).toFixed(1)} s) × ${hosts}/${fromHosts} over ${cpus} cores`,
  };
}

export interface SingleResult {
  name: string;
  hosts?: number;
  result: SideResult;
}

/** --import-installer against the original's unpacking (sed | tar, then tar per layer), in the same run. */
export interface ImportComparison {
  /** Which layer order this row measured. */
  case: string;
  installerBytes: number;
  packages: number;
  sides: Partial<Record<'ours' | 'floor', SideResult>>;
  /** Installer bytes (10^6) per second of median wall time. */
  oursMBps: number | null;
  floorMBps: number | null;
  /** oursMBps / floorMBps: ≥ 1 is at least as fast as the floor. */
  throughputRatio: number | null;
}

/** Preflight through one bastion (ProxyJump) against the same hosts reached directly, in one run. */
export interface BastionComparison {
  hosts: number;
  parallelism: number;
  jump?: SideResult;
  direct?: SideResult;
  /** Median wall through the bastion / median wall direct: the goal is ≤ 1.3. */
  ratio: number | null;
  /** Connections genconf opened to the bastion per run, from the bastion's sshd log. */
  bastionConnectionsPerRun: number;
}

export interface BenchResults {
  version: 1;
  startedAt: string;
  finishedAt: string;
  machine: {
    cpus: number;
    cpuModel: string;
    memGiB: number;
    node: string;
    openssh: string;
    kernel: string;
    /** 1/5/15-minute load averages at the end (and at the start) of the run: other work on the machine skews times. */
    loadAvg: number[];
    loadAvgAtStart?: number[];
  };
  options: {
    quick: boolean;
    only: string[];
    runs: number;
    warmup: number;
    sizes: number[];
    scaleHosts: number;
    parallelism: number;
  };
  /** What each stage's sides do on the hosts, in words: the README and the markdown repeat it. */
  method: string[];
  comparisons: Comparison[];
  singles: SingleResult[];
  targets: JudgedTarget[];
  imports?: ImportComparison[];
  jumps?: BastionComparison[];
}

export function summaryOf(r: SideResult | undefined): Summary | undefined {
  return r !== undefined && 'summary' in r && r.summary.ok ? r.summary : undefined;
}

export interface Ratios {
  /** genconf wall / floor wall: 1.0 is as fast as a bare client. */
  oursOverFloor: number | null;
  /** original wall / genconf wall: how many times faster than the original's mechanics. */
  originalOverOurs: number | null;
  /** True when originalOverOurs rests on originalLowerBound rather than a measurement. */
  originalEstimated: boolean;
  /** genconf client CPU / floor client CPU. */
  cpuOursOverFloor: number | null;
}

export function ratiosOf(c: Comparison): Ratios {
  const ours = summaryOf(c.sides.ours);
  const floor = summaryOf(c.sides.floor);
  const original = summaryOf(c.sides.original);
  const estimated = original === undefined && c.originalLowerBound !== undefined;
  return {
    oursOverFloor: ratio(ours?.wallMs.median, floor?.wallMs.median),
    originalOverOurs: ratio(estimated ? c.originalLowerBound!.wallMs : original?.wallMs.median, ours?.wallMs.median),
    originalEstimated: estimated,
    cpuOursOverFloor: ratio(ours?.cpuMs.median, floor?.cpuMs.median),
  };
}

function find(
  results: Pick<BenchResults, 'comparisons'>,
  stage: Comparison['stage'],
  hosts: number,
): Comparison | undefined {
  return results.comparisons.find((c) => c.stage === stage && c.hosts === hosts);
}

function single(results: Pick<BenchResults, 'singles'>, name: string): SingleResult | undefined {
  return results.singles.find((s) => s.name === name);
}

/** The targets of issue 6 (and the bench lines of issues 3 and 4), judged on what this run measured. */
export function deriveTargets(
  results: Pick<BenchResults, 'comparisons' | 'singles'>,
  targetHosts = 100,
): JudgedTarget[] {
  const pre = find(results, 'preflight', targetHosts);
  const dep = find(results, 'deploy', targetHosts);
  const preR = pre ? ratiosOf(pre) : undefined;
  const depR = dep ? ratiosOf(dep) : undefined;
  const scale = single(results, 'scale-preflight');
  const scaleSummary = summaryOf(scale?.result);
  const validate = summaryOf(single(results, 'validate-config')?.result);
  const genconf = summaryOf(single(results, 'genconf')?.result);
  return [
    {
      id: 'preflight-floor',
      description: `preflight N=${targetHosts}: genconf / ssh2 floor`,
      kind: 'max' as const,
      bound: 1.5,
      unit: '×',
      measured: preR?.oursOverFloor ?? null,
    },
    {
      id: 'preflight-original',
      description: `preflight N=${targetHosts}: original's mechanics / genconf${preR?.originalEstimated ? ' (original: lower bound, not run)' : ''}`,
      kind: 'min' as const,
      bound: 5,
      unit: '×',
      measured: preR?.originalOverOurs ?? null,
    },
    {
      id: 'deploy-floor',
      description: `deploy N=${targetHosts}: genconf / ssh2 SFTP floor`,
      kind: 'max' as const,
      bound: 1.3,
      unit: '×',
      measured: depR?.oursOverFloor ?? null,
    },
    {
      id: 'deploy-original',
      description: `deploy N=${targetHosts}: original's mechanics / genconf${depR?.originalEstimated ? ' (original: lower bound, not run)' : ''}`,
      kind: 'min' as const,
      bound: 5,
      unit: '×',
      measured: depR?.originalOverOurs ?? null,
    },
    {
      id: 'scale-rss',
      description: `preflight on ${scale?.hosts ?? 1000} hosts: peak RSS of genconf`,
      kind: 'max' as const,
      bound: 400,
      unit: 'MiB',
      measured: scaleSummary ? scaleSummary.maxRssKiB.max / 1024 : null,
    },
    {
      id: 'validate-wall',
      description: '--validate-config, 3-master example, whole process',
      kind: 'max' as const,
      bound: 300,
      unit: 'ms',
      measured: validate?.wallMs.median ?? null,
    },
    {
      id: 'genconf-wall',
      description: '--genconf, 3-master example + small artifacts, whole process',
      kind: 'max' as const,
      bound: 1000,
      unit: 'ms',
      measured: genconf?.wallMs.median ?? null,
    },
  ].map(judge);
}

/**
 * `--merge`: the sizes and sections re-run now replace the same ones of the previous results file, the rest is kept
 * (and listed in the method notes), and the targets are judged again on the union.
 */
export function mergeResults(previous: BenchResults, current: BenchResults): BenchResults {
  const key = (c: Comparison): string => `${c.stage}@${c.hosts}`;
  const fresh = new Set(current.comparisons.map(key));
  const freshSingles = new Set(current.singles.map((s) => s.name));
  const keptComparisons = previous.comparisons.filter((c) => !fresh.has(key(c)));
  const keptSingles = previous.singles.filter((s) => !freshSingles.has(s.name));
  const kept = [...keptComparisons.map((c) => `${c.stage} N=${c.hosts}`), ...keptSingles.map((s) => s.name)];
  const comparisons = [...keptComparisons, ...current.comparisons].sort(
    (a, b) => a.stage.localeCompare(b.stage) || a.hosts - b.hosts,
  );
  const singles = [...keptSingles, ...current.singles];
  const sizes = [...new Set([...previous.options.sizes, ...current.options.sizes])].sort((a, b) => a - b);
  return {
    ...current,
    startedAt: previous.startedAt < current.startedAt ? previous.startedAt : current.startedAt,
    options: { ...current.options, sizes },
    method:
      kept.length > 0
        ? [
            ...current.method,
            `Merged: ${kept.join(', ')} come from the run started ${previous.startedAt}; the rest was re-run from ${current.startedAt}.`,
          ]
        : current.method,
    comparisons,
    singles,
    targets: deriveTargets({ comparisons, singles }, Math.max(...sizes)),
    ...((current.imports ?? previous.imports) ? { imports: current.imports ?? previous.imports } : {}),
    ...((current.jumps ?? previous.jumps) ? { jumps: current.jumps ?? previous.jumps } : {}),
  };
}
