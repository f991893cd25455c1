/**
 * Run one host's steps of one wave: connect (or reuse the host's connection), run the work steps in order until one
 * fails, then the cleanups whatever happened. The host's result records every step; the first failure decides its
 * status.
 */
import type { ClusterPlan, PlannedHost } from '../derive/plan.js';
import { GenconfError } from '../errors.js';
import { isCleanup, type Wave, type Step } from '../stages/types.js';
import { ConnectError } from '../transport/errors.js';
import type { Transport } from '../transport/transport.js';
import type { HostResult, HostStatus, StepResult } from './result.js';
import { keptStep } from './retain.js';
import { errorMessage, runStep, type StepContext } from './run-step.js';
import type { HostConnections } from './stop.js';

export interface HostState {
  result: HostResult;
  startedAt?: number;
  endedAt?: number;
}

export function newHostState(host: PlannedHost): HostState {
  return { result: { host, status: 'ok', steps: [], checks: [], facts: {}, durationMs: 0 } };
}

/** What running a host needs from the run around it. */
export interface HostContext extends StepContext {
  plan: ClusterPlan;
  transport: Transport;
  connections: HostConnections;
  /** Shown in connect-timeout messages (`--connect-timeout`). */
  connectTimeoutSec?: number;
}

export function failHost(s: HostState, status: HostStatus, step: Step | undefined, reason: string): void {
  // The first failure decides the host's status; later ones (a cleanup after a failed install) only add steps.
  if (s.result.status !== 'ok') return;
  s.result.status = status;
  s.result.reason = reason;
  if (step) {
    s.result.failedStep = step.title;
    s.result.failedStepId = step.id;
  }
}

/** Keep a finished step in the host's result (retain.ts: only what the reports read, in strings of its own). */
function record(s: HostState, step: StepResult): void {
  const r = keptStep(step);
  s.result.steps.push(r);
  if (r.checks) s.result.checks.push(...r.checks);
  if (r.facts) Object.assign(s.result.facts, r.facts);
}

/** A connect failure caused by a bastion (transport/jump.ts BastionError): which one, and why. */
function bastionOf(err: unknown): { bastion: string; reason: string } | undefined {
  const e = err as { via?: unknown; viaReason?: unknown } | null;
  return typeof e?.via === 'string' && typeof e.viaReason === 'string'
    ? { bastion: e.via, reason: e.viaReason }
    : undefined;
}

/** Mark a host skipped (it was never started in this wave); a host that already failed keeps its status. */
export function skipHost(ctx: HostContext, s: HostState, reason: string): void {
  if (s.result.status !== 'ok') return;
  s.result.status = 'skipped';
  s.result.reason = reason;
  ctx.emit({ type: 'host', host: s.result.host, state: 'skipped' });
}

/** Run `wave`'s steps on `host`. Never throws because of the host: its result says what happened. */
export async function runHost(ctx: HostContext, wave: Wave, s: HostState): Promise<void> {
  const { emit, stop, now } = ctx;
  const host = s.result.host;
  if (s.result.status !== 'ok' || stop.signal.aborted) {
    // Already failed in an earlier wave (its later waves are pointless), or the run stopped first.
    skipHost(ctx, s, stop.status().reason('before this host started'));
    return;
  }
  s.startedAt ??= now();
  // The host's own signal, relaying the run's stop: each command, wait and transfer listens on it, so the run's
  // signal carries one listener per host in flight instead of several (EventTarget add/remove walk the whole list:
  // at --parallelism 500 that walk was a cost paid on every step).
  const hostStop = new AbortController();
  const relay = (): void => hostStop.abort(stop.signal.reason);
  stop.signal.addEventListener('abort', relay, { once: true });
  const signal = hostStop.signal;
  try {
    let conn = ctx.connections.get(host.label);
    if (!conn) {
      emit({ type: 'host', host, state: 'connecting' });
      try {
        conn = await ctx.transport.connect(host, {
          signal,
          onNote: (message) => emit({ type: 'note', host, message }),
        });
      } catch (err) {
        if (stop.signal.aborted) {
          const st = stop.status();
          failHost(s, st.status, undefined, st.reason('while connecting'));
        } else {
          let reason = errorMessage(err);
          const hint = err instanceof GenconfError ? err.hint : undefined;
          if (hint !== undefined && hint !== '' && !reason.includes(hint)) reason += `; ${hint}`;
          if (err instanceof ConnectError && err.kind === 'timeout' && !reason.includes('--connect-timeout')) {
            reason += ` (raise --connect-timeout${ctx.connectTimeoutSec ? `, now ${ctx.connectTimeoutSec} s` : ''})`;
          }
          failHost(s, 'unreachable', undefined, reason);
          const via = bastionOf(err);
          if (via) s.result.via = via;
        }
        return;
      }
      ctx.connections.set(host.label, conn);
      emit({ type: 'host', host, state: 'connected' });
    }

    const steps = wave.steps(ctx.plan, host);
    const work = steps.filter((st) => !isCleanup(st));
    const cleanups = steps.filter(isCleanup);
    // A step that did not finish may have left its remote command killed before it could tidy up after itself.
    let unfinished = false;
    for (const step of work) {
      if (stop.signal.aborted) {
        const st = stop.status();
        failHost(s, st.status, step, st.reason(`before "${step.title}"`));
        break;
      }
      const r = await runStep(ctx, conn, host, step, signal);
      record(s, r);
      // The host's connection ran through a bastion that went away: the host is unreachable because of it.
      const via =
        r.status !== 'ok'
          ? (conn as { lostVia?: () => { bastion: string; reason: string } | undefined }).lostVia?.()
          : undefined;
      if (via && s.result.status === 'ok') {
        failHost(s, 'unreachable', step, r.message ?? `${step.title} failed`);
        s.result.via = via;
        break;
      }
      if (r.status === 'timed-out' || r.status === 'interrupted' || (r.status === 'failed' && r.exitCode === null))
        unfinished = true;
      if (r.status !== 'ok') {
        failHost(
          s,
          // A host that went away mid-step is unreachable (exit 4), not a host whose command failed.
          r.connectionLost === true
            ? 'unreachable'
            : r.status === 'timed-out'
              ? 'timed-out'
              : r.status === 'interrupted'
                ? 'interrupted'
                : 'failed',
          step,
          r.message ?? `${step.title} failed`,
        );
        if (r.status !== 'failed' || step.continueOnFailure !== true) break;
      }
      if (r.status === 'ok' && r.done !== undefined) {
        // Nothing left to do on this host (it already holds this bundle): a success, its cleanups still run.
        s.result.note = r.done;
        break;
      }
    }
    // Cleanups run whatever happened above, with their own signal: an interrupted run still tidies up.
    for (const step of cleanups) {
      if (step.cleanup === 'after-abort' && !unfinished) continue;
      const r = await runStep(ctx, conn, host, step, new AbortController().signal);
      record(s, r);
      if (r.status !== 'ok')
        failHost(s, r.status === 'timed-out' ? 'timed-out' : 'failed', step, r.message ?? `${step.title} failed`);
    }
  } finally {
    stop.signal.removeEventListener('abort', relay);
    s.endedAt = now();
    s.result.durationMs = s.endedAt - (s.startedAt ?? s.endedAt);
  }
}
