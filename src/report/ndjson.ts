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

/** Bytes of records gathered before they are written without waiting for the end of the turn. */
export const BATCH_CHARS = 64 * 1024;

/**
 * The `--json` stream on stdout, honouring backpressure. Records of one event-loop turn are gathered and written
 * together at its end (or at once when they reach BATCH_CHARS, and at once for the summary): at 10,000 hosts a
 * write per record was a syscall per record, and hundreds of hosts answer in the same turn. Once `write()` says
 * the stream is full, records wait in order (as events: serialised only when written, so a waiting record costs
 * no string) until 'drain'. `ready()` is what the runner waits on before starting another host, so a slow reader
 * slows the run down instead of 10,000 hosts' records piling up in memory: what waits is bounded by the hosts in
 * flight. A stream that failed or closed (`| head -1`: EPIPE, recorded by cli/output.ts) never drains: from then
 * on records are dropped, as the stream itself would, and `ready()` never waits.
 */
export class NdjsonSink {
  private readonly queue: RunEvent[] = [];
  private batch: string[] = [];
  private batchChars = 0;
  private scheduled: NodeJS.Immediate | undefined;
  private full = false;
  private dead = false;
  private waiters: Array<() => void> = [];

  constructor(private readonly out: NodeJS.WritableStream) {
    const stop = (): void => {
      this.dead = true;
      this.queue.length = 0;
      this.batch = [];
      this.batchChars = 0;
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
    const rec = eventRecord(e);
    if (!rec) return;
    const line = JSON.stringify(rec) + '\n';
    this.batch.push(line);
    this.batchChars += line.length;
    // The summary is the run's last word: out at once, so nothing the caller does next can come before it.
    if (e.type === 'summary' || this.batchChars >= BATCH_CHARS) this.flush();
    else this.scheduled ??= setImmediate(() => this.flush());
  };

  /** Records not yet written: waiting for the reader, or gathered in this turn (for tests and the bench). */
  get waiting(): number {
    return this.queue.length + this.batch.length;
  }

  /** Records waiting for the reader (the part that backpressure bounds). */
  get queued(): number {
    return this.queue.length;
  }

  /** Characters gathered in this turn, not yet handed to the stream. */
  get gatheredChars(): number {
    return this.batchChars;
  }

  /** Write what this turn gathered now (the run ended, or the caller is about to write something else). */
  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    if (this.batch.length === 0) return;
    const text = this.batch.length === 1 ? this.batch[0]! : this.batch.join('');
    this.batch = [];
    this.batchChars = 0;
    if (this.dead || (this.out as { destroyed?: boolean }).destroyed === true) return;
    if (!this.out.write(text)) this.full = true;
  }

  /** Resolves when nothing waits and the stream takes more (or failed): the runner may start another host. */
  ready(): Promise<void> | undefined {
    if (this.dead || (!this.full && this.queue.length === 0)) return undefined;
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** After 'drain': what waited goes out in batches of up to BATCH_CHARS, until the stream is full again. */
  private pump(): void {
    while (!this.full && !this.dead && this.queue.length > 0) {
      let text = '';
      while (this.queue.length > 0 && text.length < BATCH_CHARS) {
        const rec = eventRecord(this.queue.shift()!);
        if (rec) text += JSON.stringify(rec) + '\n';
      }
      if (text !== '' && !this.out.write(text)) this.full = true;
    }
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
