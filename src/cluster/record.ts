/**
 * The cluster record, `<genconfDir>/cluster.json`: what this tool did to which host, kept across runs. It replaces
 * the per-stage files of `state/` (`--retry-failed` reads it) and is what `--status`, `--add-nodes` and
 * `--decommission` work from. Format (documented in README.md, "The cluster record"), version 1:
 *
 *   { "format": "dcos-genconf-cluster-record", "version": 1, "updatedAt": ISO,
 *     "configId": id | null, "bundleSha256": hex | null,          what the last successful deploy installed
 *     "hosts": { "<address>:<port>": {
 *         "address", "port", "role", "region"?, "zone"?, "remoteRegion"?,
 *         "stages": { "<stage>": { "status", "runId", "finishedAt", "reason"? } },
 *         "installed"?: { "configId", "bundleSha256", "at" },
 *         "decommissioned"?: { "at", "agentId" | null, "diskCleaned", "delisted"? } } } }
 *
 * Hosts removed from config.yaml stay in the record (that is how drift is named); nothing secret is ever in it.
 * Written whole to a temporary file and renamed over the old one, mode 0600.
 */
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { PlannedHost, Role } from '../derive/plan.js';
import { InputError, UsageError } from '../errors.js';
import type { HostStatus, StageResult } from '../orchestrate/result.js';

export const RECORD_FORMAT = 'dcos-genconf-cluster-record';
export const RECORD_VERSION = 1;
export const RECORD_NAME = 'cluster.json';
/** A record is a few hundred bytes per host; anything much larger is not one of ours. */
const MAX_RECORD_BYTES = 64 * 1024 * 1024;

export interface StageEntry {
  status: HostStatus;
  runId: string;
  finishedAt: string;
  reason?: string;
}

export interface HostRecord {
  address: string;
  port: number;
  role: Role;
  region?: string;
  zone?: string;
  /** An agent whose fault domain region differs from the masters'. */
  remoteRegion?: boolean;
  stages: Record<string, StageEntry>;
  installed?: { configId: string | null; bundleSha256: string | null; at: string };
  /** `delisted`: seen missing from config.yaml since; listing it again then lets --add-nodes add it again. */
  decommissioned?: { at: string; agentId: string | null; diskCleaned: boolean; delisted?: boolean };
}

export interface ClusterRecord {
  format: typeof RECORD_FORMAT;
  version: typeof RECORD_VERSION;
  updatedAt: string;
  configId: string | null;
  bundleSha256: string | null;
  hosts: Record<string, HostRecord>;
}

export function recordPath(genconfDir: string): string {
  return path.join(genconfDir, RECORD_NAME);
}

export function emptyRecord(): ClusterRecord {
  return {
    format: RECORD_FORMAT,
    version: RECORD_VERSION,
    updatedAt: new Date(0).toISOString(),
    configId: null,
    bundleSha256: null,
    hosts: {},
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Check the shape of a parsed record; returns the first problem as `<json path>: <what>` or undefined. */
export function recordProblem(doc: unknown): string | undefined {
  if (!isObject(doc)) return '(top level): not a JSON object';
  if (doc.format !== RECORD_FORMAT) return `format: expected "${RECORD_FORMAT}"`;
  if (doc.version !== RECORD_VERSION)
    return `version: ${JSON.stringify(doc.version)} is not a version this tool reads (it reads ${RECORD_VERSION})`;
  for (const k of ['configId', 'bundleSha256'] as const) {
    if (doc[k] !== null && typeof doc[k] !== 'string') return `${k}: expected a string or null`;
  }
  if (!isObject(doc.hosts)) return 'hosts: expected an object';
  for (const [label, h] of Object.entries(doc.hosts)) {
    if (!isObject(h)) return `hosts.${label}: expected an object`;
    if (typeof h.address !== 'string') return `hosts.${label}.address: expected a string`;
    if (typeof h.port !== 'number') return `hosts.${label}.port: expected a number`;
    if (h.role !== 'master' && h.role !== 'agent' && h.role !== 'public_agent')
      return `hosts.${label}.role: expected master, agent or public_agent`;
    if (!isObject(h.stages)) return `hosts.${label}.stages: expected an object`;
    for (const [stage, s] of Object.entries(h.stages)) {
      if (!isObject(s) || typeof s.status !== 'string')
        return `hosts.${label}.stages.${stage}.status: expected a string`;
    }
  }
  return undefined;
}

/** The record, or undefined when there is none yet. A damaged record is an error naming the file and the key. */
export async function readRecord(genconfDir: string): Promise<ClusterRecord | undefined> {
  const file = recordPath(genconfDir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const hint = `restore it from a backup, or move it aside to start a new record (--status --probe shows what is installed)`;
  if (text.length > MAX_RECORD_BYTES)
    throw new InputError(`${file} is larger than ${MAX_RECORD_BYTES} bytes: not a cluster record`, file, hint);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${file} is not valid JSON (${(err as Error).message})`, file, hint);
  }
  const problem = recordProblem(doc);
  if (problem) throw new InputError(`${file}: ${problem}`, file, hint);
  return doc as ClusterRecord;
}

export async function writeRecord(genconfDir: string, record: ClusterRecord): Promise<void> {
  const file = recordPath(genconfDir);
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, JSON.stringify(record, null, 2) + '\n', { mode: 0o600 });
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

/** The record entry for a host, created (with no stages) when the record has none. */
export function hostEntry(
  record: ClusterRecord,
  host: Pick<PlannedHost, 'label' | 'address' | 'port' | 'role'>,
): HostRecord {
  let h = record.hosts[host.label];
  if (!h) {
    h = { address: host.address, port: host.port, role: host.role, stages: {} };
    record.hosts[host.label] = h;
  }
  // A host moved between lists in config.yaml takes its new role.
  h.role = host.role;
  return h;
}

export interface DeployedBundle {
  configId: string | null;
  bundleSha256: string | null;
}

/**
 * Fold one stage run into the record (a new object; `previous` is not changed). Deploy success marks the host
 * installed with the bundle it received; uninstall success marks it not installed. Facts of a preflight (region,
 * zone) are copied onto the host.
 */
export function applyStageResult(
  previous: ClusterRecord | undefined,
  result: StageResult,
  finishedAt: string,
  bundle?: DeployedBundle,
): ClusterRecord {
  const record: ClusterRecord = structuredClone(previous ?? emptyRecord());
  record.updatedAt = finishedAt;
  for (const r of result.hosts) {
    const h = hostEntry(record, r.host);
    h.stages[result.stage] = {
      status: r.status,
      runId: result.runId,
      finishedAt,
      ...(r.reason !== undefined ? { reason: r.reason } : {}),
    };
    if (r.facts.region !== undefined) h.region = r.facts.region;
    if (r.facts.zone !== undefined) h.zone = r.facts.zone;
    if (r.facts.remoteRegion !== undefined) h.remoteRegion = r.facts.remoteRegion === 'true';
    if (r.status !== 'ok') continue;
    if (result.stage === 'deploy') {
      h.installed = { configId: bundle?.configId ?? null, bundleSha256: bundle?.bundleSha256 ?? null, at: finishedAt };
      delete h.decommissioned;
    } else if (result.stage === 'uninstall') {
      delete h.installed;
    }
  }
  if (result.stage === 'deploy' && bundle && result.hosts.some((r) => r.status === 'ok')) {
    record.configId = bundle.configId;
    record.bundleSha256 = bundle.bundleSha256;
  }
  return record;
}

/** `--retry-failed`: labels of the config's hosts whose last run of `stage` did not succeed. */
export function retryLabelsFrom(record: ClusterRecord | undefined, stage: string, genconfDir: string): Set<string> {
  const ran = Object.entries(record?.hosts ?? {}).filter(([, h]) => h.stages[stage] !== undefined);
  if (ran.length === 0) {
    throw new UsageError(
      `--retry-failed: no earlier --${stage} run is recorded in ${recordPath(genconfDir)}`,
      `run --${stage} without --retry-failed first`,
    );
  }
  return new Set(ran.filter(([, h]) => h.stages[stage]!.status !== 'ok').map(([label]) => label));
}
