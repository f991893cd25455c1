import { describe, expect, it } from 'vitest';
import { cell, renderMarkdown, table } from '../../bench/lib/markdown.js';
import { parseTimeOutput } from '../../bench/lib/proc.js';
import {
  deriveTargets,
  mergeResults,
  originalLowerBound,
  ratiosOf,
  type BenchResults,
  type Comparison,
} from '../../bench/lib/results.js';
import { judge, median, range, ratio, summarize, type Sample } from '../../bench/lib/stats.js';
import { assignRoles } from '../../bench/lib/workspace.js';

const s = (wallMs: number, cpuMs = wallMs / 2, exitCode: number | null = 0, maxRssKiB = 50 * 1024): Sample => ({
  wallMs,
  cpuMs,
  maxRssKiB,
  exitCode,
});

describe('statistics', () => {
  it('takes the median of odd and even counts without reordering the input', () => {
    const xs = [5, 1, 4, 2, 3];
    expect(median(xs)).toBe(3);
    expect(xs).toEqual([5, 1, 4, 2, 3]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow();
  });

  it('summarises runs with min–max and marks a side with a failed run as not ok', () => {
    const sum = summarize([s(300), s(100), s(200)]);
    expect(sum.wallMs).toEqual({ median: 200, min: 100, max: 300 });
    expect(sum.ok).toBe(true);
    expect(summarize([s(1), s(2, 1, 3)]).ok).toBe(false);
    expect(range([7])).toEqual({ median: 7, min: 7, max: 7 });
  });

  it('forms ratios only from two usable numbers', () => {
    expect(ratio(3, 2)).toBe(1.5);
    expect(ratio(3, 0)).toBeNull();
    expect(ratio(undefined, 2)).toBeNull();
    expect(ratio(NaN, 2)).toBeNull();
  });

  it('judges max and min bounds, and a missing number as N/A rather than a pass', () => {
    const base = { id: 'x', description: 'x', unit: '×' };
    expect(judge({ ...base, kind: 'max', bound: 1.5, measured: 1.5 }).verdict).toBe('PASS');
    expect(judge({ ...base, kind: 'max', bound: 1.5, measured: 1.51 }).verdict).toBe('MISS');
    expect(judge({ ...base, kind: 'min', bound: 5, measured: 4.9 }).verdict).toBe('MISS');
    expect(judge({ ...base, kind: 'min', bound: 5, measured: 5 }).verdict).toBe('PASS');
    expect(judge({ ...base, kind: 'min', bound: 5, measured: null }).verdict).toBe('N/A');
  });
});

function comparison(
  stage: 'preflight' | 'deploy',
  hosts: number,
  ours: number,
  floor: number,
  original: number,
): Comparison {
  return {
    stage,
    hosts,
    sides: {
      ours: { summary: summarize([s(ours), s(ours)]) },
      floor: { summary: summarize([s(floor)]) },
      original: { summary: summarize([s(original)]) },
    },
  };
}

describe('ratios and targets', () => {
  it('computes genconf/floor and original/genconf from medians', () => {
    const q = ratiosOf(comparison('preflight', 100, 1200, 1000, 30_000));
    expect(q.oursOverFloor).toBeCloseTo(1.2);
    expect(q.originalOverOurs).toBeCloseTo(25);
  });

  it('does not form a ratio against a side that failed', () => {
    const c = comparison('deploy', 100, 1200, 1000, 30_000);
    c.sides.floor = { error: 'exit 1' };
    c.sides.original = { summary: summarize([s(30_000, 1, 1)]) };
    const q = ratiosOf(c);
    expect(q.oursOverFloor).toBeNull();
    expect(q.originalOverOurs).toBeNull();
  });

  it('bounds an unrun original from its client CPU at a smaller size, and marks the ratio as an estimate', () => {
    const small = summarize([s(300_000, 140_000)]);
    const b = originalLowerBound(small, 10, 100, 2);
    expect(b.wallMs).toBe(700_000);
    expect(b.basis).toContain('≥ 700.0 s');
    const c = comparison('deploy', 100, 20_000, 18_000, 1);
    c.sides.original = { error: 'too slow to run here' };
    c.originalLowerBound = b;
    const q = ratiosOf(c);
    expect(q.originalOverOurs).toBe(35);
    expect(q.originalEstimated).toBe(true);
    const t = deriveTargets({ comparisons: [c], singles: [] });
    expect(t.find((x) => x.id === 'deploy-original')).toMatchObject({
      verdict: 'PASS',
      description: expect.stringContaining('lower bound'),
    });
  });

  it('derives every target, PASS/MISS/N/A, at the requested size', () => {
    const t = deriveTargets({
      comparisons: [comparison('preflight', 100, 1600, 1000, 30_000), comparison('deploy', 100, 1200, 1000, 4000)],
      singles: [
        { name: 'scale-preflight', hosts: 1000, result: { summary: summarize([s(60_000, 10, 0, 300 * 1024)]) } },
        { name: 'validate-config', result: { summary: summarize([s(250), s(260), s(900)]) } },
      ],
    });
    const v = Object.fromEntries(t.map((x) => [x.id, x.verdict]));
    expect(v).toEqual({
      'preflight-floor': 'MISS',
      'preflight-original': 'PASS',
      'deploy-floor': 'PASS',
      'deploy-original': 'MISS',
      'scale-rss': 'PASS',
      'validate-wall': 'PASS',
      'genconf-wall': 'N/A',
    });
  });
});

describe('markdown', () => {
  it('escapes pipes and newlines inside cells and aligns header and separator', () => {
    expect(cell('a|b\nc')).toBe('a\\|b c');
    expect(table(['h1', 'h2'], [['1', 'x|y']])).toBe('| h1 | h2 |\n| --- | --- |\n| 1 | x\\|y |');
  });

  it('renders targets, the side-by-side table and failures readably', () => {
    const c = comparison('preflight', 10, 1500, 1000, 9000);
    c.sides.original = { error: 'exit 1: FAIL host' };
    const comparisons = [c];
    const singles = [{ name: 'validate-config', result: { summary: summarize([s(120)]) } }];
    const r: BenchResults = {
      version: 1,
      startedAt: '2026-01-01T00:00:00Z',
      finishedAt: '2026-01-01T00:10:00Z',
      machine: {
        cpus: 2,
        cpuModel: 'cpu',
        memGiB: 24,
        node: 'v20',
        openssh: 'OpenSSH_9.2p1',
        kernel: '6',
        loadAvg: [0.1, 0.2, 0.3],
      },
      options: { quick: true, only: ['preflight'], runs: 2, warmup: 1, sizes: [10], scaleHosts: 100, parallelism: 20 },
      method: ['floor does X'],
      comparisons,
      singles,
      targets: deriveTargets({ comparisons, singles }, 10),
    };
    const md = renderMarkdown(r);
    expect(md).toContain(
      '| preflight | 10 | 1.500 s [1.50–1.50] | 1.000 s [1.00–1.00] | not measured: exit 1: FAIL host | 1.50× | – |',
    );
    expect(md).toContain('| preflight N=10: genconf / ssh2 floor | ≤ 1.5× | 1.50× | PASS |');
    expect(md).toContain("| preflight N=10: original's mechanics / genconf | ≥ 5× | – | N/A |");
    expect(md).toContain('| --validate-config, 3-master example, whole process | ≤ 300 ms | 120 ms | PASS |');
    expect(md).toContain('QUICK run');
    expect(md).toContain('- floor does X');
  });
});

describe('helpers', () => {
  it('parses /usr/bin/time output after a non-zero status line', () => {
    expect(parseTimeOutput('Command exited with non-zero status 3\nBENCHTIME 1.25 0.50 51200\n')).toEqual({
      cpuMs: 1750,
      maxRssKiB: 51200,
    });
    expect(() => parseTimeOutput('garbage')).toThrow();
  });

  it('assigns 3 masters, one public agent from 5 hosts, the rest agents', () => {
    const hosts = Array.from({ length: 10 }, (_, i) => ({ address: `10.0.0.${i + 1}`, port: 22 }));
    const r = assignRoles(hosts);
    expect([r.masters.length, r.agents.length, r.publicAgents.length]).toEqual([3, 6, 1]);
    expect(r.publicAgents[0]!.address).toBe('10.0.0.10');
    const two = assignRoles(hosts.slice(0, 2));
    expect([two.masters.length, two.agents.length, two.publicAgents.length]).toEqual([1, 1, 0]);
  });
});

describe('merge', () => {
  const base = (startedAt: string, comparisons: Comparison[], sizes: number[]): BenchResults => ({
    version: 1,
    startedAt,
    finishedAt: startedAt,
    machine: { cpus: 2, cpuModel: 'cpu', memGiB: 24, node: 'v20', openssh: 'OpenSSH', kernel: '6', loadAvg: [1, 1, 1] },
    options: { quick: false, only: ['preflight'], runs: 5, warmup: 1, sizes, scaleHosts: 1000, parallelism: 20 },
    method: ['m'],
    comparisons,
    singles: [],
    targets: [],
  });

  it('replaces re-run sizes, keeps the rest, says so, and judges targets on the union', () => {
    const old = base(
      '2026-01-01T00:00:00Z',
      [comparison('preflight', 10, 1, 1, 1), comparison('preflight', 100, 9, 1, 1)],
      [10, 100],
    );
    const now = base('2026-01-01T01:00:00Z', [comparison('preflight', 100, 1200, 1000, 30_000)], [100]);
    const m = mergeResults(old, now);
    expect(m.comparisons.map((c) => [c.hosts, ratiosOf(c).oursOverFloor])).toEqual([
      [10, 1],
      [100, 1.2],
    ]);
    expect(m.options.sizes).toEqual([10, 100]);
    expect(m.method.at(-1)).toContain('preflight N=10 come from the run started 2026-01-01T00:00:00Z');
    expect(m.targets.find((t) => t.id === 'preflight-floor')?.verdict).toBe('PASS');
  });
});
