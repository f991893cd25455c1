import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/orchestrate/events.js';
import { eventRecord, ndjsonWriter } from '../../src/report/ndjson.js';
import { clusterPlan } from '../fakes/cluster.js';
import { mixedResult } from '../fakes/results.js';

describe('NDJSON events', () => {
  it('writes one versioned JSON object per line for run, host, step, host_result and summary', () => {
    const plan = clusterPlan();
    const host = plan.hosts[0]!;
    const step = {
      kind: 'exec' as const,
      id: 'install',
      title: 'Install DC/OS as master',
      argv: ['true'],
      timeout: { ms: 1, option: 'x' },
    };
    const r = mixedResult();
    const events: RunEvent[] = [
      { type: 'run', runId: r.runId, stage: 'deploy', hosts: plan.hosts, parallelism: 20, startedAt: r.startedAt },
      { type: 'host', host, state: 'connecting' },
      { type: 'step-start', host, step, command: 'true' },
      { type: 'output', host, step, stream: 'stdout', chunk: 'not in the stream' },
      { type: 'step-end', host, step, result: r.hosts[1]!.steps[0]! },
      { type: 'host-result', result: r.hosts[1]! },
      { type: 'summary', result: r },
    ];
    const out = new PassThrough();
    const write = ndjsonWriter(out);
    events.forEach(write);
    const lines = (out.read() as Buffer).toString().trimEnd().split('\n');
    const recs = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(recs.map((x) => [x.v, x.type])).toEqual([
      [1, 'run'],
      [1, 'host'],
      [1, 'step'],
      [1, 'step'],
      [1, 'host_result'],
      [1, 'summary'],
    ]);
    expect(recs[0]!.hosts).toHaveLength(5);
    expect(recs[0]!.hosts).toContainEqual({
      host: '10.0.0.1:22',
      address: '10.0.0.1',
      port: 22,
      user: 'centos',
      role: 'master',
    });
    expect(recs[3]).toEqual({
      v: 1,
      type: 'step',
      host: '10.0.0.1:22',
      step: 'install',
      title: 'Install DC/OS as master',
      state: 'finished',
      status: 'failed',
      exitCode: 1,
      durationMs: 10,
      message: 'exited 1',
    });
    expect(recs[4]).toMatchObject({
      host: '10.0.0.2:22',
      role: 'master',
      status: 'failed',
      failedStep: 'Install DC/OS as master',
      reason: 'exited 1',
    });
    expect(recs[5]).toEqual({
      v: 1,
      type: 'summary',
      runId: r.runId,
      stage: 'deploy',
      succeeded: 1,
      total: 7,
      counts: { ok: 1, failed: 2, 'timed-out': 1, unreachable: 1, skipped: 1, interrupted: 1 },
      interrupted: false,
      timedOut: false,
      durationMs: 131_000,
      exitCode: 3,
      line: '1 out of 7 hosts successfully completed install_dcos stage.',
    });
  });

  it('has no record for output and progress events (they go to the log files)', () => {
    const host = clusterPlan().hosts[0]!;
    const step = {
      kind: 'put' as const,
      id: 'p',
      title: 'Copy',
      local: 'a',
      remote: 'b',
      timeout: { ms: 1, option: 'x' },
    };
    expect(eventRecord({ type: 'progress', host, step, sent: 1, total: 2 })).toBeUndefined();
  });
});
