/**
 * What the last run of each stage did to each host, kept in `<genconfDir>/state/<stage>.json` so that
 * `--retry-failed` can pick the hosts that did not succeed. Written atomically after every run.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ClusterPlan } from '../derive/plan.js';
import { InputError, UsageError } from '../errors.js';
import type { HostStatus, StageResult } from './result.js';

export interface StageState {
  v: 1;
  stage: string;
  runId: string;
  finishedAt: string;
  hosts: Record<string, { address: string; role: string; status: HostStatus; runId: string }>;
}

export function statePath(genconfDir: string, stage: string): string {
  return path.join(genconfDir, 'state', `${stage}.json`);
}

export async function readState(genconfDir: string, stage: string): Promise<StageState | undefined> {
  const file = statePath(genconfDir, stage);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const doc = JSON.parse(text) as StageState;
    if (doc.v !== 1 || typeof doc.hosts !== 'object' || doc.hosts === null) throw new Error('unknown layout');
    return doc;
  } catch (err) {
    throw new InputError(`${file} is not a state file this version can read (${(err as Error).message})`, file, 'delete it and run the stage without --retry-failed');
  }
}

/** Labels of hosts whose last recorded run of `stage` did not succeed. */
export async function retryLabels(genconfDir: string, stage: string): Promise<Set<string>> {
  const state = await readState(genconfDir, stage);
  if (!state) {
    throw new UsageError(`--retry-failed: no earlier --${stage} run is recorded in ${statePath(genconfDir, stage)}`, `run --${stage} without --retry-failed first`);
  }
  return new Set(Object.entries(state.hosts).filter(([, h]) => h.status !== 'ok').map(([label]) => label));
}

/**
 * Merge this run into the recorded state: hosts of this run get their new status, hosts of the config that this
 * run did not touch keep theirs, hosts no longer in the config are dropped.
 */
export function mergeState(previous: StageState | undefined, plan: ClusterPlan, result: StageResult, finishedAt: string): StageState {
  const known = new Set(plan.allHosts.map((h) => h.label));
  const hosts: StageState['hosts'] = {};
  for (const [label, h] of Object.entries(previous?.hosts ?? {})) if (known.has(label)) hosts[label] = h;
  for (const r of result.hosts) {
    hosts[r.host.label] = { address: r.host.address, role: r.host.role, status: r.status, runId: result.runId };
  }
  return { v: 1, stage: result.stage, runId: result.runId, finishedAt, hosts };
}

export async function writeState(genconfDir: string, state: StageState): Promise<void> {
  const file = statePath(genconfDir, state.stage);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  await rename(tmp, file);
}
