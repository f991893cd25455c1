import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import type { HostResult, HostStatus, StageResult } from '../../src/orchestrate/result.js';
import { mergeState, readState, retryLabels, statePath, writeState } from '../../src/orchestrate/state.js';
import { clusterPlan } from '../fakes/cluster.js';

let dir: string;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function result(statuses: Record<string, HostStatus>, runId: string): StageResult {
  const plan = clusterPlan();
  const hosts: HostResult[] = plan.hosts
    .filter((h) => statuses[h.address] !== undefined)
    .map((h) => ({ host: h, status: statuses[h.address]!, steps: [], checks: [], facts: {}, durationMs: 1 }));
  return { runId, stage: 'deploy', summaryName: 'install_dcos', startedAt: '', durationMs: 1, hosts, interrupted: false, timedOut: false };
}

describe('stage state for --retry-failed', () => {
  it('records each run atomically (0600) and retries only the hosts that did not succeed', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'state-'));
    const plan = clusterPlan();
    const first = mergeState(undefined, plan, result({ '10.0.0.1': 'ok', '10.0.0.2': 'failed', '10.0.0.3': 'ok', '10.0.0.4': 'unreachable', '10.0.0.5': 'skipped' }, 'r1'), 't1');
    await writeState(dir, first);
    expect((await stat(statePath(dir, 'deploy'))).mode & 0o777).toBe(0o600);
    expect([...(await retryLabels(dir, 'deploy'))].sort()).toEqual(['10.0.0.2:22', '10.0.0.4:22', '10.0.0.5:22']);

    // The retry ran only the three; one still fails. Hosts it did not touch keep their record.
    const second = mergeState(await readState(dir, 'deploy'), plan, result({ '10.0.0.2': 'ok', '10.0.0.4': 'ok', '10.0.0.5': 'failed' }, 'r2'), 't2');
    await writeState(dir, second);
    expect([...(await retryLabels(dir, 'deploy'))]).toEqual(['10.0.0.5:22']);
    expect(JSON.parse(await readFile(statePath(dir, 'deploy'), 'utf8')).hosts['10.0.0.1:22']).toMatchObject({ status: 'ok', runId: 'r1' });
  });

  it('drops hosts that are no longer in the config', () => {
    const plan = clusterPlan({ agent_list: '[]' });
    const prev = { v: 1 as const, stage: 'deploy', runId: 'r0', finishedAt: '', hosts: { '10.0.0.4:22': { address: '10.0.0.4', role: 'agent', status: 'failed' as const, runId: 'r0' } } };
    expect(mergeState(prev, plan, result({}, 'r1'), '').hosts).toEqual({});
  });

  it('without an earlier run, --retry-failed is a usage error that says what to do', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'state-'));
    await expect(retryLabels(dir, 'preflight')).rejects.toThrowError(UsageError);
    await expect(retryLabels(dir, 'preflight')).rejects.toThrow(/no earlier --preflight run/);
  });
});
