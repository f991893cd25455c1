import { describe, expect, it } from 'vitest';
import { reportLines, reportTable, type ReportResults } from '../../bench/report-section.js';
import { startLines, startSides, startTable, type StartResults } from '../../bench/start-section.js';
import { summarize, type Sample } from '../../bench/lib/stats.js';

const sample = (wallMs: number, cpuMs = wallMs / 2): Sample => ({ wallMs, cpuMs, maxRssKiB: 40 * 1024, exitCode: 0 });

function startResults(): StartResults {
  const row = (id: string, label: string, walls: number[], floor: number[]) => {
    const summary = summarize(walls.map((w) => sample(w)));
    const f = summarize(floor.map((w) => sample(w)));
    return {
      id,
      label,
      summary,
      minRatio: summary.wallMs.min / f.wallMs.min,
      medianRatio: summary.wallMs.median / f.wallMs.median,
    };
  };
  const floor = [100, 110, 120];
  return {
    startedAt: '2026-12-02T10:00:00.000Z',
    node: 'v20.20.2',
    cores: 2,
    loadBefore: '1.00 1.00 1.00',
    loadAfter: '2.00 1.00 1.00',
    warmup: 2,
    runs: 3,
    extraCaCerts: false,
    rows: [
      row('floor', 'node -e 0', floor, floor),
      row('validate', 'genconf --validate-config (bundle)', [150, 165, 300], floor),
    ],
  };
}

describe('the start bench', () => {
  it('compares every command with node -e 0, bundled and unbundled', () => {
    const sides = startSides('/repo');
    expect(sides[0]!.argv.slice(1)).toEqual(['-e', '0']);
    expect(sides.map((s) => s.argv.slice(1).join(' '))).toEqual([
      '-e 0',
      '/repo/dist/cli/main.js --version',
      '/repo/dist/cli/main.js --validate-config',
      '/repo/dist/src/main.js --version',
      '/repo/dist/src/main.js --validate-config',
    ]);
  });

  it('prints min/min and median/median ratios, one plain line per command', () => {
    const r = startResults();
    expect(startTable(r)).toContain(
      '| genconf --validate-config (bundle) | 150 ms | 165 ms | 83 ms | 40 MiB | 1.50× | 1.50× |',
    );
    expect(startLines(r)).toEqual([
      'start genconf --validate-config (bundle): wall min 150 ms, median 165 ms; node -e 0 min 100 ms, median 110 ms; ratio min 1.50×, median 1.50×',
    ]);
  });
});

describe('the report bench', () => {
  it('gives each report its size, time and RSS over the baseline process', () => {
    const r: ReportResults = {
      startedAt: '2026-12-02T10:00:00.000Z',
      loadBefore: '1',
      loadAfter: '1',
      runs: 1,
      rows: [
        { kind: 'none', hosts: 10_000, bytes: 0, writeMs: 0, wallMs: 900, peakRssMiB: 60 },
        { kind: 'junit', hosts: 10_000, bytes: 2 * 1024 * 1024, writeMs: 1000, wallMs: 2000, peakRssMiB: 72 },
      ],
    };
    expect(reportTable(r)).toContain('| JUnit (--junit) | 2.00 MiB | 1000 ms | 2000 ms | 72 MiB | 12 MiB |');
    expect(reportLines(r)).toEqual([
      'report N=10000 junit: 2097152 bytes, write 1000 ms, peak RSS 72 MiB (12 MiB over the results alone)',
    ]);
  });
});
