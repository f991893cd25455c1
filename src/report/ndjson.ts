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

/**
 * The `--json` stream on stdout, honouring backpressure. A record is written at once while the stream takes it;
 * once `write()` says the stream is full, records wait in order (as events: serialised only when written, so a
 * waiting record costs no string) until 'drain'. `ready()` is what the runner waits on before starting another
 * host, so a slow reader slows the run down instead of 10,000 hosts' records piling up in memory: what waits is
 * bounded by the hosts in flight. A stream that failed or closed (`| head -1`: EPIPE, recorded by cli/output.ts)
 * never drains: from then on records are dropped, as the stream itself would, and `ready()` never waits.
 */
export class NdjsonSink {
  private readonly queue: RunEvent[] = [];
  private full = false;
  private dead = false;
  private waiters: Array<() => void> = [];

  constructor(private readonly out: NodeJS.WritableStream) {
    const stop = (): void => {
      this.dead = true;
      this.queue.length = 0;
      this.wake();
    };
    out.on('error', stop);
    out.once('close', stop);
    out.on('drain', () => {
      this.full = false;
      this.pump();
    });
  }

  readonly listener = (e: RunEvent): void => {
    if (this.dead || (this.out as { destroyed?: boolean }).destroyed === true) return;
    if (this.full || this.queue.length > 0) {
      if (eventRecord(e) !== undefined) this.queue.push(e);
      return;
    }
    this.put(e);
  };

  /** Records waiting for the reader (for tests and the bench). */
  get waiting(): number {
    return this.queue.length;
  }

  /** Resolves when nothing waits and the stream takes more (or failed): the runner may start another host. */
  ready(): Promise<void> | undefined {
    if (this.dead || (!this.full && this.queue.length === 0)) return undefined;
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private put(e: RunEvent): void {
    const rec = eventRecord(e);
    if (rec && !this.out.write(JSON.stringify(rec) + '\n')) this.full = true;
  }

  private pump(): void {
    while (!this.full && !this.dead && this.queue.length > 0) this.put(this.queue.shift()!);
    if (!this.full) this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const resolve of w) resolve();
  }
}

/** A plain listener writing every record (for callers without a runner to slow down). */
export function ndjsonWriter(out: NodeJS.WritableStream): (e: RunEvent) => void {
  return new NdjsonSink(out).listener;
}
