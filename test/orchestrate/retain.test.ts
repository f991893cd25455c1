/**
 * What a host's result keeps after its steps ran (src/orchestrate/retain.ts): every result lives until the summary,
 * so an ok step keeps no output, while a failed step keeps the tail the summary and JUnit show, and checks and facts
 * keep their values.
 */
import { describe, expect, it } from 'vitest';
import { runStage } from '../../src/orchestrate/run-stage.js';
import { keptStep } from '../../src/orchestrate/retain.js';
import type { StepResult } from '../../src/orchestrate/result.js';
import { renderSummary } from '../../src/report/summary.js';
import { renderJUnit } from '../../src/report/junit.js';
import { STAGES } from '../../src/stages/index.js';
import { clusterPlan, manyAgents } from '../fakes/cluster.js';
import { FakeTransport } from '../fakes/fake-transport.js';

const preflightOut = (ip: string, verdict: 'PASS' | 'FAIL'): string =>
  `@@genconf ip-detect exit=0\n${ip}\n\n@@genconf ip-detect stderr\n\n@@genconf preflight\n` +
  `Checking if DC/OS is already installed: PASS (Not installed)\n` +
  `Checking if docker is installed and in PATH: ${verdict}${verdict === 'FAIL' ? ' (docker not found)' : ''}\n` +
  `${'x'.repeat(300)} filler that only the log keeps\n` +
  `@@genconf preflight exit=${verdict === 'FAIL' ? 1 : 0}\n`;

describe('what a finished host keeps', () => {
  it('an ok step keeps no output tail; a failed one keeps it for the summary and JUnit; checks and facts stay', async () => {
    const failing = '10.2.0.3';
    const transport = new FakeTransport()
      .onExec(
        (c) => c.includes('bash -s --'),
        (_c, host) => ({
          stdout: preflightOut(host.address, host.address === failing ? 'FAIL' : 'PASS'),
          exitCode: host.address === failing ? 1 : 0,
        }),
      )
      .onExec((c) => c.includes('rm -rf'), {});
    const result = await runStage(STAGES.preflight, clusterPlan(manyAgents(4), { parallelism: 3 }), {
      transport,
      readStdin: async () => Buffer.from('# script\n'),
    });
    const ok = result.hosts.filter((h) => h.status === 'ok');
    const bad = result.hosts.filter((h) => h.status !== 'ok');
    expect(ok.length).toBeGreaterThan(0);
    expect(bad.map((h) => h.host.address)).toEqual([failing]);
    for (const h of ok) {
      expect(h.steps.length).toBeGreaterThan(0);
      for (const s of h.steps) expect([s.stdoutTail, s.stderrTail]).toEqual(['', '']);
      expect(h.checks.map((c) => `${c.name}: ${c.status}`)).toContain(
        'Checking if docker is installed and in PATH: pass',
      );
      expect(h.facts.detectedIp).toBe(h.host.address);
    }
    const failedStep = bad[0]!.steps.find((s) => s.id === bad[0]!.failedStepId)!;
    expect(failedStep.status).not.toBe('ok');
    expect(failedStep.stdoutTail).toContain('filler that only the log keeps');
    expect(bad[0]!.checks).toContainEqual({
      name: 'Checking if docker is installed and in PATH',
      status: 'fail',
      detail: 'docker not found',
    });
    expect(renderSummary(result, { color: false })).toContain('docker not found');
    expect(renderJUnit(result)).toContain('filler that only the log keeps');
  });

  it('keptStep: strings keep their values; an ok step loses its tails, a failed one does not', () => {
    const step: StepResult = {
      id: 'preflight',
      title: 'Run the preflight',
      kind: 'exec',
      cleanup: false,
      status: 'ok',
      exitCode: 0,
      durationMs: 5,
      checks: [{ name: 'A check with a long enough name', status: 'warn', detail: 'a detail long enough to slice' }],
      facts: { detectedIp: '10.0.0.1', region: 'a region name longer than 13' },
      stdoutTail: 'out',
      stderrTail: 'err',
    };
    expect(keptStep(step)).toEqual({ ...step, stdoutTail: '', stderrTail: '' });
    const failed: StepResult = { ...step, status: 'failed', exitCode: 1 };
    expect(keptStep(failed)).toEqual(failed);
  });
});
