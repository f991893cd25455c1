import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyStageResult, readRecord, recordPath, retryLabelsFrom, writeRecord } from '../../src/cluster/record.js';
import { InputError, UsageError } from '../../src/errors.js';
import type { HostResult, HostStatus, StageResult } from '../../src/orchestrate/result.js';
import { clusterPlan } from '../fakes/cluster.js';

let dir: string;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function result(
  stage: string,
  statuses: Record<string, HostStatus>,
  runId: string,
  facts: Record<string, Record<string, string>> = {},
): StageResult {
  const plan = clusterPlan();
  const hosts: HostResult[] = plan.hosts
    .filter((h) => statuses[h.address] !== undefined)
    .map((h) => ({
      host: h,
      status: statuses[h.address]!,
      steps: [],
      checks: [],
      facts: facts[h.address] ?? {},
      durationMs: 1,
    }));
  return { runId, stage, summaryName: stage, startedAt: '', durationMs: 1, hosts, interrupted: false, timedOut: false };
}

const BUNDLE = { configId: 'c0ffee', bundleSha256: 'ab'.repeat(32) };

describe('the cluster record', () => {
  it('is written atomically (0600), read back, and --retry-failed picks the hosts that did not succeed', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'record-'));
    const first = applyStageResult(
      undefined,
      result(
        'deploy',
        { '10.0.0.1': 'ok', '10.0.0.2': 'failed', '10.0.0.3': 'ok', '10.0.0.4': 'unreachable', '10.0.0.5': 'skipped' },
        'r1',
      ),
      't1',
      BUNDLE,
    );
    await writeRecord(dir, first);
    expect((await stat(recordPath(dir))).mode & 0o777).toBe(0o600);
    const back = await readRecord(dir);
    expect(back).toEqual(first);
    expect(back!.configId).toBe('c0ffee');
    expect([...retryLabelsFrom(back, 'deploy', dir)].sort()).toEqual(['10.0.0.2:22', '10.0.0.4:22', '10.0.0.5:22']);
    expect(back!.hosts['10.0.0.1:22']!.installed).toEqual({
      configId: 'c0ffee',
      bundleSha256: BUNDLE.bundleSha256,
      at: 't1',
    });
    expect(back!.hosts['10.0.0.2:22']!.installed).toBeUndefined();

    // A retry of three hosts; the others keep what the record said.
    const second = applyStageResult(
      back,
      result('deploy', { '10.0.0.2': 'ok', '10.0.0.4': 'ok', '10.0.0.5': 'failed' }, 'r2'),
      't2',
      BUNDLE,
    );
    expect([...retryLabelsFrom(second, 'deploy', dir)]).toEqual(['10.0.0.5:22']);
    expect(second.hosts['10.0.0.1:22']!.stages.deploy).toMatchObject({ status: 'ok', runId: 'r1' });
    // The input record is not changed.
    expect(back!.hosts['10.0.0.2:22']!.stages.deploy!.status).toBe('failed');
    expect(JSON.parse(await readFile(recordPath(dir), 'utf8')).format).toBe('dcos-genconf-cluster-record');
  });

  it('uninstall clears installed; preflight facts (region, zone, remote) land on the host', () => {
    const installed = applyStageResult(undefined, result('deploy', { '10.0.0.4': 'ok' }, 'r1'), 't1', BUNDLE);
    const pre = applyStageResult(
      installed,
      result('preflight', { '10.0.0.4': 'ok' }, 'r2', {
        '10.0.0.4': { region: 'us-west', zone: 'b', remoteRegion: 'true' },
      }),
      't2',
    );
    expect(pre.hosts['10.0.0.4:22']).toMatchObject({
      region: 'us-west',
      zone: 'b',
      remoteRegion: true,
      installed: { configId: 'c0ffee' },
    });
    const gone = applyStageResult(pre, result('uninstall', { '10.0.0.4': 'ok' }, 'r3'), 't3');
    expect(gone.hosts['10.0.0.4:22']!.installed).toBeUndefined();
    expect(Object.keys(gone.hosts['10.0.0.4:22']!.stages).sort()).toEqual(['deploy', 'preflight', 'uninstall']);
  });

  it('--retry-failed without an earlier run of the stage is a usage error naming the record', () => {
    const rec = applyStageResult(undefined, result('preflight', { '10.0.0.1': 'ok' }, 'r1'), 't1');
    expect(() => retryLabelsFrom(rec, 'deploy', '/g')).toThrow(UsageError);
    expect(() => retryLabelsFrom(undefined, 'deploy', '/g')).toThrow(/\/g\/cluster\.json/);
  });

  it('a damaged record is an input error naming the file and the key', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'record-'));
    await writeFile(
      recordPath(dir),
      '{"format":"dcos-genconf-cluster-record","version":1,"configId":null,"bundleSha256":null,"hosts":{"a:22":{"address":"a","port":22,"role":"boss","stages":{}}}}',
    );
    await expect(readRecord(dir)).rejects.toThrow(InputError);
    await expect(readRecord(dir)).rejects.toThrow(/cluster\.json: hosts\.a:22\.role/);
    await writeFile(recordPath(dir), '{"format":"dcos-genconf-cluster-record","version":2}');
    await expect(readRecord(dir)).rejects.toThrow(/version: 2 is not a version this tool reads/);
    await writeFile(recordPath(dir), '{not json');
    await expect(readRecord(dir)).rejects.toThrow(/not valid JSON/);
  });
});
