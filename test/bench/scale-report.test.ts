import { describe, expect, it } from 'vitest';
import { partsStats, renderScale, scaleLine, type ScaleCase, type ScaleMeasured } from '../../bench/scale/report.js';

const run = (cpuMs: number, exitCode: number | null = 0): ScaleMeasured => ({
  wallMs: cpuMs,
  cpuMs,
  maxRssKiB: 100 * 1024,
  exitCode,
  eventLoopP99Ms: 10,
  stderrTail: exitCode === 0 ? '' : 'boom\n',
});

const outputs = { ndjsonBytes: 1, junitBytes: 1, humanBytes: 1, logBytes: 1, logFiles: 1 };

function preflightCase(parts?: ScaleCase['parts']): ScaleCase {
  return {
    stage: 'preflight',
    hosts: 1000,
    parallelism: 100,
    idleRssKiB: 50 * 1024,
    ours: [3000, 3400, 3200].map((c) => ({ ...run(c), outputs })),
    floor: [2000, 2200, 2100].map((c) => run(c)),
    ...(parts ? { parts } : {}),
  };
}

describe('scale bench report: the two halves (--scale-parts)', () => {
  it('gives each half per host (medians of the runs that succeeded) and the transport against the floor', () => {
    const c = preflightCase({ transport: [run(2600), run(2400), run(9999, 1)], runner: [run(900), run(1100)] });
    const p = partsStats(c)!;
    expect(p.transportCpuPerHost).toBeCloseTo(2.5);
    expect(p.runnerCpuPerHost).toBeCloseTo(1.0);
    expect(p.transportRatio).toBeCloseTo(2.5 / 2.1);
    expect(p.failed).toBe('exit 1: boom');
    expect(scaleLine(c)).toBe(
      'scale N=1000 p=100 preflight: cpu/host 3.20 ms, floor 2.10 ms, ratio 1.52, wall ratio 1.52, peak RSS 100 MiB; ' +
        'alone: transport 2.50 ms (ratio 1.19), runner 1.00 ms (a part failed: exit 1: boom)',
    );
  });

  it('leaves lines and tables of cases without halves as they were', () => {
    const c = preflightCase();
    expect(partsStats(c)).toBeUndefined();
    expect(scaleLine(c)).toBe(
      'scale N=1000 p=100 preflight: cpu/host 3.20 ms, floor 2.10 ms, ratio 1.52, wall ratio 1.52, peak RSS 100 MiB',
    );
    const results = {
      date: '2026-12-04T00:00:00Z',
      machine: { cpus: 2, cpuModel: 'x', node: 'v20', loadAvgAtStart: [1] },
      pinning: 'p',
      workMs: 0,
      bundleBytes: 1 << 20,
      runs: 3,
      cases: [c],
    };
    expect(renderScale(results)).not.toContain('transport alone');
    const withParts = renderScale({
      ...results,
      cases: [preflightCase({ transport: [run(2500)], runner: [run(1000)] })],
    });
    expect(withParts).toContain('| preflight | 1000 | 100 | 3.20 ms | 2.10 ms | 2.50 ms | 1.19× | 1.00 ms |');
  });
});
