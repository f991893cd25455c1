/**
 * Run one stage over the plan's hosts: its waves in order, each a sliding window of `parallelism` hosts, one
 * connection per host reused by all of its steps (across waves), cleanups always, and every limit turned into a
 * typed result. It never throws because a host failed; it throws only for bugs.
 *
 * The pieces: stop.ts (Ctrl-C, the deadline, closing connections), run-host.ts (one host's steps of one wave),
 * run-step.ts (one step over a connection).
 */
import type { ClusterPlan, PlannedHost } from '../derive/plan.js';
import { bindWaves, type Wave, type Stage } from '../stages/types.js';
import type { Transport } from '../transport/transport.js';
import type { RunListener } from './events.js';
import type { HostResult, StageResult } from './result.js';
import { newHostState, runHost, skipHost, type HostContext, type HostState } from './run-host.js';
import { ignoredChecks, isIgnored } from './ignore-checks.js';
import { stdinReader } from './run-step.js';
import { HostConnections, startStop } from './stop.js';
import type { LoopPacer } from './loop-pacer.js';

export interface RunOptions {
  transport: Transport;
  /** Ctrl-C: stop starting work, abort running steps, run cleanups, report. */
  signal?: AbortSignal;
  /** Whole-run deadline (`--timeout`), in ms. */
  runTimeoutMs?: number;
  /** Shown in connect-timeout messages (`--connect-timeout`). */
  connectTimeoutSec?: number;
  /** Check ids to record as ignored instead of failing a host (--ignore-check; stages/check-ids.ts). */
  ignoreChecks?: readonly string[];
  runId?: string;
  listener?: RunListener;
  /**
   * Backpressure from the reporters: a promise while one of them (NDJSON on a slow stdout, log files on a slow
   * disk) holds more than it should. The runner waits on it before starting another host and between the final
   * per-host records, so what waits in memory is bounded by the hosts in flight, never by the hosts in the run.
   */
  admit?: () => Promise<void> | undefined;
  /** Starts hosts only as fast as the event loop keeps up (loop-pacer.ts); the CLI gives one, tests need not. */
  pacer?: LoopPacer;
  /** Reads a file a step pipes to its command's stdin; injectable for tests. */
  readStdin?: (path: string) => Promise<Buffer>;
  now?: () => number;
}

/** Final per-host records emitted between two turns of the event loop. */
const HOST_RESULT_BATCH = 200;

/** Wait for the reporters' backpressure, unless the run is stopped (Ctrl-C, deadline): then nothing waits. */
function admitted(admit: RunOptions['admit'], signal: AbortSignal): Promise<void> | undefined {
  const wait = admit?.();
  // Nearly always nothing to wait for: no promise, no race, no listener (this runs twice per host).
  return wait && unlessStopped(wait, signal);
}

/**
 * `fn` for every item, in order, at most `limit` at once: `limit` workers each take the next item when done with one.
 * Not a queue of one promise and closure per item made up front (p-limit): at 10,000 hosts those were allocated at
 * the start and held for the whole wave. A failure (a bug: hosts never throw) is thrown once every item has run.
 */
export async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed: { err: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (err) {
        failed ??= { err };
      }
    }
  };
  const workers: Promise<void>[] = [];
  for (let i = 0; i < Math.min(Math.max(1, limit), items.length); i++) workers.push(worker());
  await Promise.all(workers);
  if (failed) throw failed.err;
}

/** Wait for `wait` (if any) until `signal` aborts. */
export async function unlessStopped(wait: Promise<void> | undefined, signal: AbortSignal | undefined): Promise<void> {
  if (!wait || !signal) return wait;
  if (signal.aborted) return;
  let onAbort = (): void => undefined;
  const aborted = new Promise<void>((resolve) => {
    onAbort = () => resolve();
    signal.addEventListener('abort', onAbort, { once: true });
  });
  await Promise.race([wait, aborted]);
  signal.removeEventListener('abort', onAbort);
}

export function newRunId(date = new Date()): string {
  const stamp = date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${Math.floor(Math.random() * 0xffff)
    .toString(16)
    .padStart(4, '0')}`;
}

export async function runStage(stage: Stage, given: ClusterPlan, opts: RunOptions): Promise<StageResult> {
  // One set of ignored ids: the runner records them, and the steps see them in the plan (to pass to the node).
  const ignore = [...new Set([...(given.ignoreChecks ?? []), ...(opts.ignoreChecks ?? [])])];
  const plan: ClusterPlan = ignore.length > 0 ? { ...given, ignoreChecks: ignore } : given;
  // Each wave's steps receive the stage's declared inputs, checked here once, before any host.
  const waves = bindWaves(stage, plan.files);
  const now = opts.now ?? Date.now;
  const emit: RunListener = opts.listener ?? (() => undefined);
  const runId = opts.runId ?? newRunId();
  const startedAt = now();
  const startedIso = new Date(startedAt).toISOString();
  const stop = startStop(opts.signal, opts.runTimeoutMs);
  // A stopped run lets every host waiting for the pacer go at once (each then finds the run stopped and is skipped),
  // as a race of each wait against the stop did: one listener for the run instead of one per wait.
  const pacer = opts.pacer;
  const releasePacer = (): void => pacer?.dispose();
  if (pacer) {
    if (stop.signal.aborted) pacer.dispose();
    else stop.signal.addEventListener('abort', releasePacer, { once: true });
  }
  const connections = new HostConnections();
  const ctx: HostContext = {
    now,
    emit,
    stop,
    stdin: stdinReader(opts.readStdin),
    ignore: new Set(ignore),
    plan,
    transport: opts.transport,
    connections,
    ...(opts.connectTimeoutSec !== undefined ? { connectTimeoutSec: opts.connectTimeoutSec } : {}),
  };

  const states = new Map<string, HostState>();
  // A host's connection is closed after the last wave that includes it, so it is reused across waves.
  const lastWave = new Map<string, number>();
  waves.forEach((wave, i) => wave.hosts(plan).forEach((h) => lastWave.set(h.label, i)));
  const order = plan.hosts;

  emit({ type: 'run', runId, stage: stage.name, hosts: order, parallelism: plan.parallelism, startedAt: startedIso });

  const stateOf = (host: PlannedHost): HostState => {
    let s = states.get(host.label);
    if (!s) {
      s = newHostState(host);
      states.set(host.label, s);
    }
    return s;
  };

  /** After a host's last wave: close its connection and tell the reporters, whatever happened in the wave. */
  async function finishHost(s: HostState, waveIndex: number): Promise<void> {
    if (lastWave.get(s.result.host.label) !== waveIndex) return;
    await connections.close(s.result.host.label);
    emit({ type: 'host-done', result: s.result });
  }

  async function runAndFinish(wave: Wave, waveIndex: number, host: PlannedHost): Promise<void> {
    const s = stateOf(host);
    try {
      await runHost(ctx, wave, s);
    } finally {
      await finishHost(s, waveIndex);
    }
  }

  try {
    for (const [waveIndex, wave] of waves.entries()) {
      const hosts = wave.hosts(plan);
      if (hosts.length === 0) continue;
      if (stop.signal.aborted) {
        // Stopped between waves: later hosts were never started, whatever an earlier wave's gate would say.
        for (const host of hosts) await runAndFinish(wave, waveIndex, host);
        continue;
      }
      const failedLabels = new Set(
        [...states.values()].filter((s) => s.result.status !== 'ok').map((s) => s.result.host.label),
      );
      const gated = wave.gate?.({ failedLabels, plan });
      if (gated !== undefined) {
        for (const host of hosts) {
          const s = stateOf(host);
          skipHost(ctx, s, gated);
          await finishHost(s, waveIndex);
        }
        continue;
      }
      await eachLimited(hosts, plan.parallelism, async (host) => {
        const backlog = admitted(opts.admit, stop.signal);
        if (backlog) await backlog;
        if (!pacer) return runAndFinish(wave, waveIndex, host);
        const paced = pacer.admit();
        if (paced) await paced;
        try {
          await runAndFinish(wave, waveIndex, host);
        } finally {
          pacer.finished();
        }
      });
    }
  } finally {
    stop.signal.removeEventListener('abort', releasePacer);
    stop.dispose();
    pacer?.dispose();
    await connections.closeAll();
  }

  if (stage.judgeAcrossHosts) {
    const facts = [...states.values()].map((s) => ({
      label: s.result.host.label,
      ok: s.result.status === 'ok',
      facts: s.result.facts,
    }));
    for (const [label, f] of stage.judgeAcrossHosts(facts)) {
      const s = states.get(label);
      if (!s) continue;
      if (isIgnored({ name: f.check }, ctx.ignore)) {
        s.result.checks.push({ name: f.check, status: 'ignored', detail: f.message });
        continue;
      }
      s.result.checks.push({ name: f.check, status: 'fail', detail: f.message });
      if (s.result.status === 'ok') {
        s.result.status = 'failed';
        s.result.failedStep = f.step;
        s.result.reason = f.message;
      } else {
        s.result.reason = `${s.result.reason ?? ''}; ${f.message}`.replace(/^; /, '');
      }
    }
  }

  const hosts = order.map((h): HostResult => {
    const s = states.get(h.label);
    if (s) return s.result;
    // A host no wave ever reached (the run stopped first).
    return {
      host: h,
      status: 'skipped',
      reason: stop.status().reason('before this host started'),
      steps: [],
      checks: [],
      facts: {},
      durationMs: 0,
    };
  });
  for (const [i, r] of hosts.entries()) {
    emit({ type: 'host-result', result: r });
    const backlog = admitted(opts.admit, stop.signal);
    if (backlog) await backlog;
    // 10,000 records in one go would hold the event loop (progress, Ctrl-C) for a long moment: let it breathe.
    if (i % HOST_RESULT_BATCH === HOST_RESULT_BATCH - 1) await new Promise((r) => setImmediate(r));
  }
  const result: StageResult = {
    runId,
    stage: stage.name,
    summaryName: stage.summaryName,
    startedAt: startedIso,
    durationMs: now() - startedAt,
    hosts,
    ...(ctx.ignore.size > 0 ? { ignoredChecks: ignoredChecks([...ctx.ignore], hosts) } : {}),
    interrupted: stop.cause?.kind === 'interrupt',
    timedOut: stop.cause?.kind === 'deadline',
  };
  emit({ type: 'summary', result });
  return result;
}
