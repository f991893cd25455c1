/**
 * Run one stage over the plan's hosts: a sliding window of `parallelism` hosts, one connection per host reused by
 * all of its steps (across phases), steps in order, cleanups always, and every limit turned into a typed result.
 * It never throws because a host failed; it throws only for bugs.
 */
import { readFile } from 'node:fs/promises';
import pLimit from 'p-limit';
import type { ClusterPlan, PlannedHost } from '../derive/plan.js';
import { isCleanup, type Phase, type Stage, type StdinPart, type Step, type Verdict } from '../stages/types.js';
import { GenconfError } from '../errors.js';
import { ChannelRefusedError, CommandCutOffError, ConnectError, TransferStalledError } from '../transport/errors.js';
import { command } from '../transport/quote.js';
import type { Connection, ExecResult, Transport } from '../transport/transport.js';
import type { RunListener } from './events.js';
import type { HostResult, HostStatus, StageResult, StepResult } from './result.js';

export interface RunOptions {
  transport: Transport;
  /** Ctrl-C: stop starting work, abort running steps, run cleanups, report. */
  signal?: AbortSignal;
  /** Whole-run deadline (`--timeout`), in ms. */
  runTimeoutMs?: number;
  /** Shown in connect-timeout messages (`--connect-timeout`). */
  connectTimeoutSec?: number;
  continueOnMasterFailure?: boolean;
  runId?: string;
  listener?: RunListener;
  /** Reads a file a step pipes to its command's stdin; injectable for tests. */
  readStdin?: (path: string) => Promise<Buffer>;
  now?: () => number;
}

const TAIL_BYTES = 8 * 1024;

function tail(s: string): string {
  return s.length > TAIL_BYTES ? s.slice(s.length - TAIL_BYTES) : s;
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

/** Why the run stops starting work: the operator interrupted it, or its deadline passed. */
type StopCause = { kind: 'interrupt' } | { kind: 'deadline'; ms: number };

interface HostState {
  result: HostResult;
  startedAt?: number;
  endedAt?: number;
}

function seconds(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  return Number.isInteger(s) ? `${s} s` : `${s.toFixed(1)} s`;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Why a command that has no exit code ended, from the transport's typed failure (errors.ts), never its wording. */
function cutOffMessage(r: ExecResult): string {
  if (r.signal) return `ended by signal ${r.signal}`;
  if (r.failure instanceof ChannelRefusedError) return r.failure.message;
  if (r.failure instanceof CommandCutOffError) return r.failure.message;
  return 'the connection closed before the command finished';
}

/** A connect failure caused by a bastion (transport/jump.ts BastionError): which one, and why. */
function bastionOf(err: unknown): { bastion: string; reason: string } | undefined {
  const e = err as { via?: unknown; viaReason?: unknown } | null;
  return typeof e?.via === 'string' && typeof e.viaReason === 'string'
    ? { bastion: e.via, reason: e.viaReason }
    : undefined;
}

export async function runStage(stage: Stage, plan: ClusterPlan, opts: RunOptions): Promise<StageResult> {
  const now = opts.now ?? Date.now;
  const emit: RunListener = opts.listener ?? (() => undefined);
  const readStdin = opts.readStdin ?? ((p: string) => readFile(p));
  // Every host sends the same stdin parts: read (and encode) each once per run, not once per host.
  const stdinParts = new Map<string, Promise<Buffer>>();
  const stdinPart = (part: StdinPart): Promise<Buffer> => {
    const key = `${part.encoding ?? 'raw'}:${part.file}`;
    let bytes = stdinParts.get(key);
    if (!bytes) {
      bytes = readStdin(part.file).then((b) =>
        part.encoding === 'base64-line' ? Buffer.from(b.toString('base64') + '\n') : b,
      );
      stdinParts.set(key, bytes);
    }
    return bytes;
  };
  const runId = opts.runId ?? newRunId();
  const startedAt = now();
  const startedIso = new Date(startedAt).toISOString();

  // One controller for "stop": Ctrl-C and the --timeout deadline both abort it; the cause says which.
  const stop = new AbortController();
  let cause: StopCause | undefined;
  const onUserAbort = (): void => {
    cause ??= { kind: 'interrupt' };
    stop.abort();
  };
  if (opts.signal?.aborted) onUserAbort();
  opts.signal?.addEventListener('abort', onUserAbort, { once: true });
  let deadline: NodeJS.Timeout | undefined;
  if (opts.runTimeoutMs !== undefined) {
    deadline = setTimeout(() => {
      cause ??= { kind: 'deadline', ms: opts.runTimeoutMs! };
      stop.abort();
    }, opts.runTimeoutMs);
  }

  const states = new Map<string, HostState>();
  const connections = new Map<string, Connection>();
  // A host's connection is closed after the last phase that includes it, so it is reused across phases.
  const lastPhase = new Map<string, number>();
  stage.phases.forEach((phase, i) => phase.hosts(plan).forEach((h) => lastPhase.set(h.label, i)));
  const order = plan.hosts;

  emit({ type: 'run', runId, stage: stage.name, hosts: order, parallelism: plan.parallelism, startedAt: startedIso });

  const stateOf = (host: PlannedHost): HostState => {
    let s = states.get(host.label);
    if (!s) {
      s = { result: { host, status: 'ok', steps: [], checks: [], facts: {}, durationMs: 0 } };
      states.set(host.label, s);
    }
    return s;
  };

  const stopStatus = (): { status: HostStatus; reason: (what: string) => string } =>
    cause?.kind === 'deadline'
      ? {
          status: 'timed-out',
          reason: (what) =>
            `the run's deadline passed ${what} (raise --timeout, now ${cause?.kind === 'deadline' ? seconds(cause.ms) : '?'})`,
        }
      : { status: 'interrupted', reason: (what) => `interrupted ${what}` };

  const fail = (s: HostState, status: HostStatus, step: Step | undefined, reason: string): void => {
    // The first failure decides the host's status; later ones (a cleanup after a failed install) only add steps.
    if (s.result.status !== 'ok') return;
    s.result.status = status;
    s.result.reason = reason;
    if (step) {
      s.result.failedStep = step.title;
      s.result.failedStepId = step.id;
    }
  };

  async function runStep(conn: Connection, host: PlannedHost, step: Step, signal: AbortSignal): Promise<StepResult> {
    const t0 = now();
    const base = { id: step.id, title: step.title, kind: step.kind, cleanup: isCleanup(step) };
    let stdout = '';
    let stderr = '';
    const done = (r: Omit<StepResult, keyof typeof base | 'durationMs' | 'stdoutTail' | 'stderrTail'>): StepResult => {
      const result: StepResult = {
        ...base,
        ...r,
        durationMs: now() - t0,
        stdoutTail: tail(stdout),
        stderrTail: tail(stderr),
      };
      emit({ type: 'step-end', host, step, result });
      return result;
    };
    const stopped = (): StepResult => {
      const st = stopStatus();
      return done({
        status: st.status === 'timed-out' ? 'timed-out' : 'interrupted',
        exitCode: null,
        message: st.reason(`during "${step.title}"`),
      });
    };

    if (step.kind === 'put') {
      emit({ type: 'step-start', host, step });
      try {
        await conn.putFile(step.local, step.remote, {
          ...(step.mode !== undefined ? { mode: step.mode } : {}),
          signal,
          stallTimeoutMs: step.timeout.ms,
          onProgress: (sent, total) => emit({ type: 'progress', host, step, sent, total }),
        });
        return done({ status: 'ok', exitCode: 0 });
      } catch (err) {
        if (signal.aborted) return stopped();
        if (err instanceof TransferStalledError) {
          return done({
            status: 'timed-out',
            exitCode: null,
            message: `${host.label}: "${step.title}" made no progress for ${seconds(step.timeout.ms)} (raise ${step.timeout.option})`,
          });
        }
        stderr = errorMessage(err);
        return done({ status: 'failed', exitCode: null, message: `copy failed: ${errorMessage(err)}` });
      }
    }

    const cmd = command(step.argv);
    emit({ type: 'step-start', host, step, command: cmd });
    let stdin: Buffer | undefined;
    if (step.stdin !== undefined && step.stdin.length > 0) {
      stdin = Buffer.concat(await Promise.all(step.stdin.map(stdinPart)));
    }
    // exec never rejects because of the host (transport/errors.ts): a failure is in the result.
    const r = await conn.exec(cmd, {
      timeoutMs: step.timeout.ms,
      signal,
      ...(stdin ? { stdin } : {}),
      onStdout: (chunk) => {
        stdout += chunk;
        if (stdout.length > 4 * TAIL_BYTES) stdout = tail(stdout);
        emit({ type: 'output', host, step, stream: 'stdout', chunk });
      },
      onStderr: (chunk) => {
        stderr += chunk;
        if (stderr.length > 4 * TAIL_BYTES) stderr = tail(stderr);
        emit({ type: 'output', host, step, stream: 'stderr', chunk });
      },
    });
    // The transport may deliver output only in the result; keep whichever is longer.
    if (r.stdout.length > stdout.length) stdout = r.stdout;
    if (r.stderr.length > stderr.length) stderr = r.stderr;
    if (r.timedOut) {
      return done({
        status: 'timed-out',
        exitCode: null,
        message: `${host.label}: "${step.title}" timed out after ${seconds(step.timeout.ms)} (raise ${step.timeout.option})`,
      });
    }
    if (r.exitCode === null) {
      if (signal.aborted) return stopped();
      return done({ status: 'failed', exitCode: null, message: cutOffMessage(r) });
    }
    const verdict: Verdict = step.judge
      ? step.judge({ exitCode: r.exitCode, stdout: r.stdout || stdout, stderr: r.stderr || stderr })
      : r.exitCode === 0
        ? { ok: true }
        : { ok: false, message: `exited ${r.exitCode}` };
    return done({
      status: verdict.ok ? 'ok' : 'failed',
      exitCode: r.exitCode,
      ...(verdict.message !== undefined ? { message: verdict.message } : {}),
      ...(verdict.checks !== undefined ? { checks: verdict.checks } : {}),
      ...(verdict.facts !== undefined ? { facts: verdict.facts } : {}),
    });
  }

  /** After a host's last phase: close its connection and tell the reporters, whatever happened in the phase. */
  async function finishHost(s: HostState, phaseIndex: number): Promise<void> {
    if (lastPhase.get(s.result.host.label) !== phaseIndex) return;
    await closeQuietly(s.result.host.label);
    emit({ type: 'host-done', result: s.result });
  }

  async function runHost(phase: Phase, phaseIndex: number, host: PlannedHost): Promise<void> {
    const s = stateOf(host);
    if (s.result.status !== 'ok' || stop.signal.aborted) {
      // Already failed in an earlier phase (its later phases are pointless), or the run stopped first.
      if (s.result.status === 'ok') {
        s.result.status = 'skipped';
        s.result.reason = stopStatus().reason('before this host started');
        emit({ type: 'host', host, state: 'skipped' });
      }
      await finishHost(s, phaseIndex);
      return;
    }
    s.startedAt ??= now();
    try {
      let conn = connections.get(host.label);
      if (!conn) {
        emit({ type: 'host', host, state: 'connecting' });
        try {
          conn = await opts.transport.connect(host, { signal: stop.signal });
        } catch (err) {
          if (stop.signal.aborted) {
            const st = stopStatus();
            fail(s, st.status, undefined, st.reason('while connecting'));
          } else {
            let reason = errorMessage(err);
            const hint = err instanceof GenconfError ? err.hint : undefined;
            if (hint !== undefined && hint !== '' && !reason.includes(hint)) reason += `; ${hint}`;
            if (err instanceof ConnectError && err.kind === 'timeout' && !reason.includes('--connect-timeout')) {
              reason += ` (raise --connect-timeout${opts.connectTimeoutSec ? `, now ${opts.connectTimeoutSec} s` : ''})`;
            }
            fail(s, 'unreachable', undefined, reason);
            const via = bastionOf(err);
            if (via) s.result.via = via;
          }
          return;
        }
        connections.set(host.label, conn);
        emit({ type: 'host', host, state: 'connected' });
      }

      const steps = phase.steps(plan, host);
      const work = steps.filter((st) => !isCleanup(st));
      const cleanups = steps.filter(isCleanup);
      let broken = false;
      // A step that did not finish may have left its remote command killed before it could tidy up after itself.
      let unfinished = false;
      for (const step of work) {
        if (broken) break;
        if (stop.signal.aborted) {
          const st = stopStatus();
          fail(s, st.status, step, st.reason(`before "${step.title}"`));
          break;
        }
        const r = await runStep(conn, host, step, stop.signal);
        record(s, r);
        // The host's connection ran through a bastion that went away: the host is unreachable because of it.
        const via =
          r.status !== 'ok'
            ? (conn as { lostVia?: () => { bastion: string; reason: string } | undefined }).lostVia?.()
            : undefined;
        if (via && s.result.status === 'ok') {
          fail(s, 'unreachable', step, r.message ?? `${step.title} failed`);
          s.result.via = via;
          broken = true;
          break;
        }
        if (r.status === 'timed-out' || r.status === 'interrupted' || (r.status === 'failed' && r.exitCode === null))
          unfinished = true;
        if (r.status !== 'ok') {
          fail(
            s,
            r.status === 'timed-out' ? 'timed-out' : r.status === 'interrupted' ? 'interrupted' : 'failed',
            step,
            r.message ?? `${step.title} failed`,
          );
          if (r.status !== 'failed' || step.continueOnFailure !== true) broken = true;
        }
      }
      // Cleanups run whatever happened above, with their own signal: an interrupted run still tidies up.
      for (const step of cleanups) {
        if (step.cleanup === 'after-abort' && !unfinished) continue;
        const r = await runStep(conn, host, step, new AbortController().signal);
        record(s, r);
        if (r.status !== 'ok')
          fail(s, r.status === 'timed-out' ? 'timed-out' : 'failed', step, r.message ?? `${step.title} failed`);
      }
    } finally {
      s.endedAt = now();
      s.result.durationMs = s.endedAt - (s.startedAt ?? s.endedAt);
      await finishHost(s, phaseIndex);
    }
  }

  function record(s: HostState, r: StepResult): void {
    s.result.steps.push(r);
    if (r.checks) s.result.checks.push(...r.checks);
    if (r.facts) Object.assign(s.result.facts, r.facts);
  }

  async function closeQuietly(label: string): Promise<void> {
    const conn = connections.get(label);
    connections.delete(label);
    if (conn) await conn.close().catch(() => undefined);
  }

  try {
    for (const [phaseIndex, phase] of stage.phases.entries()) {
      const hosts = phase.hosts(plan);
      if (hosts.length === 0) continue;
      if (stop.signal.aborted) {
        // Stopped between phases: later hosts were never started, whatever an earlier phase's gate would say.
        for (const host of hosts) await runHost(phase, phaseIndex, host);
        continue;
      }
      const failedLabels = new Set(
        [...states.values()].filter((s) => s.result.status !== 'ok').map((s) => s.result.host.label),
      );
      const gated = phase.gate?.({
        failedLabels,
        plan,
        continueOnMasterFailure: opts.continueOnMasterFailure === true,
      });
      if (gated !== undefined) {
        for (const host of hosts) {
          const s = stateOf(host);
          if (s.result.status === 'ok') {
            s.result.status = 'skipped';
            s.result.reason = gated;
            emit({ type: 'host', host, state: 'skipped' });
          }
          await finishHost(s, phaseIndex);
        }
        continue;
      }
      const limit = pLimit(plan.parallelism);
      await Promise.all(hosts.map((host) => limit(() => runHost(phase, phaseIndex, host))));
    }
  } finally {
    if (deadline) clearTimeout(deadline);
    opts.signal?.removeEventListener('abort', onUserAbort);
    await Promise.all([...connections.keys()].map((label) => closeQuietly(label)));
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
      s.result.checks.push({ name: f.check ?? 'unique address', status: 'fail', detail: f.message });
      if (s.result.status === 'ok') {
        s.result.status = 'failed';
        s.result.failedStep = f.step;
        s.result.reason = f.message;
      } else {
        s.result.reason = `${s.result.reason ?? ''}; ${f.message}`.replace(/^; /, '');
      }
    }
  }

  const hosts = order.map((h) => {
    const s = states.get(h.label);
    if (s) return s.result;
    // A host no phase ever reached (the run stopped first).
    const st = stopStatus();
    return {
      host: h,
      status: 'skipped' as const,
      reason: st.reason('before this host started'),
      steps: [],
      checks: [],
      facts: {},
      durationMs: 0,
    };
  });
  for (const r of hosts) emit({ type: 'host-result', result: r });
  const result: StageResult = {
    runId,
    stage: stage.name,
    summaryName: stage.summaryName,
    startedAt: startedIso,
    durationMs: now() - startedAt,
    hosts,
    interrupted: cause?.kind === 'interrupt',
    timedOut: cause?.kind === 'deadline',
  };
  emit({ type: 'summary', result });
  return result;
}
