/**
 * Run one step over a host's open connection and turn every way it can end into a typed StepResult: an exit code
 * judged by the step, a timeout naming the option that raises it, a transport failure by its class (never its
 * wording), or the run's stop.
 */
import { readFile } from 'node:fs/promises';
import type { PlannedHost } from '../derive/plan.js';
import { isCleanup, type StdinFilePart, type StdinPart, type Step, type Verdict } from '../stages/types.js';
import {
  ChannelRefusedError,
  CommandCutOffError,
  TransferFailedError,
  TransferStalledError,
} from '../transport/errors.js';
import { command } from '../transport/quote.js';
import type { Connection, ExecResult } from '../transport/transport.js';
import { LOG_STEP_CAP_BYTES, type RunListener } from './events.js';
import { applyIgnoredChecks } from './ignore-checks.js';
import type { StepResult } from './result.js';
import { seconds, type RunStop } from './stop.js';

const TAIL_BYTES = 8 * 1024;

function tail(s: string): string {
  return s.length > TAIL_BYTES ? s.slice(s.length - TAIL_BYTES) : s;
}

function mib(bytes: number): string {
  return bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MiB` : `${bytes} bytes`;
}

/**
 * A flood (100 MB from a chatty ip-detect) is kept as its tail only; a failure caused by it says how much there was
 * and how much was dropped, so that the operator is not left judging a cut text. Empty when nothing was dropped.
 */
export function droppedOutputNote(outBytes: number, errBytes: number): string {
  const parts: string[] = [];
  for (const [name, n] of [
    ['stdout', outBytes],
    ['stderr', errBytes],
  ] as const)
    if (n > TAIL_BYTES) parts.push(`${mib(n)} on ${name}`);
  if (parts.length === 0) return '';
  return `(the host printed ${parts.join(' and ')}; the last ${TAIL_BYTES / 1024} KiB of each are kept here, the first ${LOG_STEP_CAP_BYTES >> 20} MiB in the host's log, the rest was dropped)`;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Why a command that has no exit code ended, from the transport's typed failure (errors.ts), never its wording. */
function cutOffMessage(r: ExecResult): string {
  if (r.signal) return `ended by signal ${r.signal}`;
  // The command never started: say so, with where to look (sshd's MaxSessions), not "the connection closed".
  if (r.failure instanceof ChannelRefusedError)
    return r.failure.hint ? `${r.failure.message}; ${r.failure.hint}` : r.failure.message;
  if (r.failure instanceof CommandCutOffError) return r.failure.message;
  return 'the connection closed before the command finished';
}

/** What running a step needs from the run around it. */
export interface StepContext {
  now: () => number;
  emit: RunListener;
  stop: RunStop;
  /** A step's whole stdin (stdinReader). */
  stdin: (parts: readonly StdinPart[]) => Promise<Buffer>;
  /** Check ids the operator ignores (--ignore-check). */
  ignore: ReadonlySet<string>;
}

/**
 * Every host sends the same stdin: each file is read (and encoded) once per run, and a stdin made only of files is
 * assembled once per run too, not once per host. At 1,000 hosts the preflight's 48 KiB stdin, concatenated anew for
 * each host, was 48 MiB of buffers allocated, copied and collected for nothing. A part with text (it may be the
 * host's own) makes that step's stdin assembled per host.
 */
export function stdinReader(
  readStdin?: (path: string) => Promise<Buffer>,
): (parts: readonly StdinPart[]) => Promise<Buffer> {
  const read = readStdin ?? ((p: string) => readFile(p));
  const fileKey = (p: StdinFilePart): string => `${p.encoding ?? 'raw'}:${p.file}`;
  const files = new Map<string, Promise<Buffer>>();
  const wholes = new Map<string, Promise<Buffer>>();
  const part = (p: StdinPart): Promise<Buffer> => {
    if ('text' in p) return Promise.resolve(Buffer.from(p.text));
    const key = fileKey(p);
    let bytes = files.get(key);
    if (!bytes) {
      bytes = read(p.file).then((b) => (p.encoding === 'base64-line' ? Buffer.from(b.toString('base64') + '\n') : b));
      files.set(key, bytes);
    }
    return bytes;
  };
  const assemble = async (parts: readonly StdinPart[]): Promise<Buffer> =>
    parts.length === 1 ? part(parts[0]!) : Buffer.concat(await Promise.all(parts.map(part)));
  return (parts) => {
    if (parts.some((p) => 'text' in p)) return assemble(parts);
    // NUL cannot occur in a path: the key names the parts unambiguously.
    const key = parts.map((p) => fileKey(p as StdinFilePart)).join('\0');
    let whole = wholes.get(key);
    if (!whole) {
      whole = assemble(parts);
      wholes.set(key, whole);
    }
    return whole;
  };
}

export async function runStep(
  ctx: StepContext,
  conn: Connection,
  host: PlannedHost,
  step: Step,
  signal: AbortSignal,
): Promise<StepResult> {
  const { now, emit } = ctx;
  const t0 = now();
  const base = { id: step.id, title: step.title, kind: step.kind, cleanup: isCleanup(step) };
  let stdout = '';
  let stderr = '';
  let outBytes = 0;
  let errBytes = 0;
  const done = (r: Omit<StepResult, keyof typeof base | 'durationMs' | 'stdoutTail' | 'stderrTail'>): StepResult => {
    const note = r.status === 'ok' ? '' : droppedOutputNote(outBytes, errBytes);
    const result: StepResult = {
      ...base,
      ...r,
      ...(note ? { message: r.message ? `${r.message} ${note}` : note } : {}),
      durationMs: now() - t0,
      stdoutTail: tail(stdout),
      stderrTail: tail(stderr),
    };
    emit({ type: 'step-end', host, step, result });
    return result;
  };
  const stopped = (): StepResult => {
    const st = ctx.stop.status();
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
      // No status from the host: the connection went away mid-copy (the host died or was cut off).
      if (err instanceof TransferFailedError && err.remoteStatus === undefined)
        return done({ status: 'failed', exitCode: null, message: errorMessage(err), connectionLost: true });
      return done({ status: 'failed', exitCode: null, message: `copy failed: ${errorMessage(err)}` });
    }
  }

  const cmd = command(step.argv);
  emit({ type: 'step-start', host, step, command: cmd });
  let stdin: Buffer | undefined;
  if (step.stdin !== undefined && step.stdin.length > 0) {
    stdin = await ctx.stdin(step.stdin);
  }
  // exec never rejects because of the host (transport/errors.ts): a failure is in the result.
  const r = await conn.exec(cmd, {
    timeoutMs: step.timeout.ms,
    signal,
    ...(stdin ? { stdin } : {}),
    onStdout: (chunk) => {
      outBytes += Buffer.byteLength(chunk);
      stdout += chunk;
      if (stdout.length > 4 * TAIL_BYTES) stdout = tail(stdout);
      emit({ type: 'output', host, step, stream: 'stdout', chunk });
    },
    onStderr: (chunk) => {
      errBytes += Buffer.byteLength(chunk);
      stderr += chunk;
      if (stderr.length > 4 * TAIL_BYTES) stderr = tail(stderr);
      emit({ type: 'output', host, step, stream: 'stderr', chunk });
    },
  });
  // The transport may deliver output only in the result; keep whichever is longer.
  outBytes = Math.max(outBytes, Buffer.byteLength(r.stdout));
  errBytes = Math.max(errBytes, Buffer.byteLength(r.stderr));
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
    const lost = r.failure instanceof CommandCutOffError && r.failure.reason === 'connection-lost';
    return done({
      status: 'failed',
      exitCode: null,
      message: cutOffMessage(r),
      ...(lost ? { connectionLost: true } : {}),
    });
  }
  const judged: Verdict = step.judge
    ? step.judge({ exitCode: r.exitCode, stdout: r.stdout || stdout, stderr: r.stderr || stderr })
    : r.exitCode === 0
      ? { ok: true }
      : { ok: false, message: `exited ${r.exitCode}` };
  const verdict = applyIgnoredChecks(judged, ctx.ignore);
  return done({
    status: verdict.ok ? 'ok' : 'failed',
    exitCode: r.exitCode,
    ...(verdict.message !== undefined ? { message: verdict.message } : {}),
    ...(verdict.checks !== undefined ? { checks: verdict.checks } : {}),
    ...(verdict.facts !== undefined ? { facts: verdict.facts } : {}),
    ...(verdict.ok && verdict.done !== undefined ? { done: verdict.done } : {}),
  });
}
