/**
 * `--json`: one JSON object per line on stdout, each with `v` (the format version) and `type`
 * (`run`, `host`, `step`, `host_result`, `summary`). Output chunks stay in the log files, not here.
 */
import type { RunEvent } from '../orchestrate/events.js';
import { exitCodeOf, succeeded, type HostResult } from '../orchestrate/result.js';
import type { PlannedHost } from '../derive/plan.js';
import { completionLine } from './summary.js';

/** A host's SSH settings from ssh_config, for its events: key files by path (never contents), bastions by label. */
function sshFields(h: PlannedHost): Record<string, unknown> {
  if (!h.ssh) return {};
  return {
    user: h.user,
    ...(h.ssh.hostName !== h.address ? { hostName: h.ssh.hostName } : {}),
    keys: h.ssh.identityFiles,
    agent: !h.ssh.identitiesOnly,
    ...(h.ssh.jump.length > 0 ? { jump: h.ssh.jump.map((j) => `${j.user}@${j.label}`) } : {}),
  };
}

export const NDJSON_VERSION = 1;

export function hostResultRecord(r: HostResult): Record<string, unknown> {
  return {
    host: r.host.label,
    address: r.host.address,
    port: r.host.port,
    role: r.host.role,
    ...sshFields(r.host),
    status: r.status,
    ...(r.via ? { via: r.via } : {}),
    ...(r.failedStep !== undefined ? { failedStep: r.failedStep, failedStepId: r.failedStepId } : {}),
    ...(r.reason !== undefined ? { reason: r.reason } : {}),
    ...(r.note !== undefined ? { note: r.note } : {}),
    ...(r.facts.region !== undefined
      ? { region: r.facts.region, zone: r.facts.zone ?? null, remoteRegion: r.facts.remoteRegion === 'true' }
      : {}),
    checks: r.checks,
    steps: r.steps.map((s) => ({
      id: s.id,
      title: s.title,
      status: s.status,
      exitCode: s.exitCode,
      durationMs: s.durationMs,
      ...(s.message ? { message: s.message } : {}),
    })),
    durationMs: r.durationMs,
  };
}

/** The NDJSON record for an event, or undefined for events that have none (output, progress). */
export function eventRecord(e: RunEvent): Record<string, unknown> | undefined {
  const v = NDJSON_VERSION;
  switch (e.type) {
    case 'run':
      return {
        v,
        type: 'run',
        runId: e.runId,
        stage: e.stage,
        startedAt: e.startedAt,
        parallelism: e.parallelism,
        hosts: e.hosts.map((h) => ({ host: h.label, address: h.address, port: h.port, user: h.user, role: h.role })),
      };
    case 'host':
      return { v, type: 'host', host: e.host.label, state: e.state, ...sshFields(e.host) };
    case 'step-start':
      return { v, type: 'step', host: e.host.label, step: e.step.id, title: e.step.title, state: 'started' };
    case 'step-end':
      return {
        v,
        type: 'step',
        host: e.host.label,
        step: e.step.id,
        title: e.step.title,
        state: 'finished',
        status: e.result.status,
        exitCode: e.result.exitCode,
        durationMs: e.result.durationMs,
        ...(e.result.message ? { message: e.result.message } : {}),
      };
    case 'host-result':
      return { v, type: 'host_result', ...hostResultRecord(e.result) };
    case 'summary': {
      const counts: Record<string, number> = {};
      for (const h of e.result.hosts) counts[h.status] = (counts[h.status] ?? 0) + 1;
      return {
        v,
        type: 'summary',
        runId: e.result.runId,
        stage: e.result.stage,
        succeeded: succeeded(e.result),
        total: e.result.hosts.length,
        counts,
        interrupted: e.result.interrupted,
        timedOut: e.result.timedOut,
        durationMs: e.result.durationMs,
        exitCode: exitCodeOf(e.result),
        ...(e.result.ignoredChecks ? { ignoredChecks: e.result.ignoredChecks } : {}),
        line: completionLine(e.result),
      };
    }
    default:
      return undefined;
  }
}

export function ndjsonWriter(out: NodeJS.WritableStream): (e: RunEvent) => void {
  return (e) => {
    const rec = eventRecord(e);
    if (rec) out.write(JSON.stringify(rec) + '\n');
  };
}
