/**
 * A scripted Transport for unit tests: commands are matched against programmed responses, every call is
 * recorded per host, and ANY command or upload nobody programmed fails the test (at the end of the test,
 * via onTestFinished, so a runner that swallows the error cannot hide it).
 *
 * It fails the way the real transport does (src/transport/errors.ts): connect rejects with ConnectError; exec never
 * rejects, a cut-off command resolves with `exitCode: null` and a CommandCutOffError; uploads reject with
 * TransferStalledError / TransferFailedError, or InterruptedError on abort. test/transport/contract.ts runs the same
 * cases against this fake and against real sshd, so the two cannot drift apart.
 */
import { onTestFinished } from 'vitest';
import { InterruptedError } from '../../src/errors.js';
import {
  ChannelRefusedError,
  CommandCutOffError,
  ConnectError,
  TransferFailedError,
  TransferStalledError,
  type ConnectFailureKind,
  type CutOffReason,
} from '../../src/transport/errors.js';
import type {
  Connection,
  ExecOptions,
  ExecResult,
  HostTarget,
  PutOptions,
  Transport,
} from '../../src/transport/transport.js';

export interface FakeResponse {
  exitCode?: number | null;
  stdout?: string;
  stderr?: string;
  /** Take this long (ms) before answering; honours the step's timeout and abort signal meanwhile. */
  delayMs?: number;
  /** Never answer on its own: only a timeout or an abort ends it. */
  hang?: boolean;
  /** The connection dies during this command (exit null, later calls fail). */
  drop?: boolean;
  /** The host refuses the session channel (sshd MaxSessions): no exit status, a ChannelRefusedError. */
  refuseChannel?: boolean;
}

export type Matcher = string | RegExp | ((command: string) => boolean);
type Responder = FakeResponse | ((command: string, host: HostTarget) => FakeResponse);

export interface PutResponse {
  delayMs?: number;
  /** No byte moves: the upload fails as stalled after its stall timeout (or ends by its signal). */
  hang?: boolean;
  /** The host answers the upload with this error status, e.g. 'No space left on device'. */
  remoteStatus?: string;
  /** The connection dies during the upload (no status from the host; later calls fail). */
  drop?: boolean;
}

export interface FakeCall {
  host: string;
  kind: 'connect' | 'exec' | 'put' | 'close';
  command?: string;
  local?: string;
  remote?: string;
  mode?: number;
  stdin?: string;
  /** The command ended because of a timeout or the signal. */
  cut?: 'timeout' | 'abort';
}

function matches(m: Matcher, s: string): boolean {
  if (typeof m === 'string') return s.includes(m);
  if (m instanceof RegExp) return m.test(s);
  return m(s);
}

function hostMatches(pattern: string | undefined, host: HostTarget): boolean {
  return pattern === undefined || pattern === host.address || pattern === host.label;
}

export class FakeTransport implements Transport {
  readonly calls: FakeCall[] = [];
  readonly unexpected: string[] = [];
  private readonly execRules: Array<{ host?: string; match: Matcher; respond: Responder }> = [];
  private readonly putRules: Array<{ host?: string; match: Matcher; respond: PutResponse }> = [];
  private readonly unreachableHosts = new Map<string, { kind: ConnectFailureKind; message: string; delayMs: number }>();
  private readonly active = new Map<string, number>();
  /** Most hosts that had a command or upload in flight at the same moment. */
  maxConcurrentHosts = 0;

  constructor() {
    onTestFinished(() => {
      if (this.unexpected.length > 0) {
        throw new Error(`FakeTransport received calls nobody programmed:\n  ${this.unexpected.join('\n  ')}`);
      }
    });
  }

  /** Program a response for commands that match (on one host, or every host when `host` is omitted). Later rules win. */
  onExec(match: Matcher, respond: Responder, host?: string): this {
    this.execRules.unshift({ match, respond, ...(host !== undefined ? { host } : {}) });
    return this;
  }

  onPut(match: Matcher, respond: PutResponse = {}, host?: string): this {
    this.putRules.unshift({ match, respond, ...(host !== undefined ? { host } : {}) });
    return this;
  }

  unreachable(
    host: string,
    kind: ConnectFailureKind = 'refused',
    message = `connect ECONNREFUSED ${host}`,
    delayMs = 0,
  ): this {
    this.unreachableHosts.set(host, { kind, message, delayMs });
    return this;
  }

  commands(host: string): string[] {
    return this.calls.filter((c) => c.host === host && c.kind === 'exec').map((c) => c.command!);
  }

  callsOf(host: string): FakeCall[] {
    return this.calls.filter((c) => c.host === host);
  }

  connects(host: string): number {
    return this.calls.filter((c) => c.host === host && c.kind === 'connect').length;
  }

  private begin(host: HostTarget): void {
    this.active.set(host.label, (this.active.get(host.label) ?? 0) + 1);
    this.maxConcurrentHosts = Math.max(this.maxConcurrentHosts, this.active.size);
  }

  private end(host: HostTarget): void {
    const n = (this.active.get(host.label) ?? 1) - 1;
    if (n <= 0) this.active.delete(host.label);
    else this.active.set(host.label, n);
  }

  async connect(host: HostTarget, opts?: { signal?: AbortSignal }): Promise<Connection> {
    this.calls.push({ host: host.label, kind: 'connect' });
    const u = this.unreachableHosts.get(host.address) ?? this.unreachableHosts.get(host.label);
    if (u) {
      if (u.delayMs > 0 && (await wait(u.delayMs, undefined, opts?.signal)) === 'abort') throw new InterruptedError();
      throw new ConnectError(u.kind, host.label, u.message);
    }
    return new FakeConnection(this, host);
  }

  /** @internal */
  async runExec(conn: FakeConnection, command: string, opts: ExecOptions): Promise<ExecResult> {
    const host = conn.host;
    const call: FakeCall = { host: host.label, kind: 'exec', command };
    if (typeof opts.stdin === 'string' || Buffer.isBuffer(opts.stdin)) call.stdin = opts.stdin.toString();
    this.calls.push(call);
    if (conn.dead)
      return cutOff(
        host,
        'connection-lost',
        `${host.label}: connection lost before the command started: ${conn.dead}`,
        0,
      );
    const rule = this.execRules.find((r) => hostMatches(r.host, host) && matches(r.match, command));
    if (!rule) {
      this.unexpected.push(`${host.label}: exec ${command}`);
      return {
        exitCode: 127,
        stdout: '',
        stderr: `fake: no response programmed for: ${command}`,
        timedOut: false,
        durationMs: 0,
      };
    }
    const r = typeof rule.respond === 'function' ? rule.respond(command, host) : rule.respond;
    if (r.refuseChannel) {
      const failure = new ChannelRefusedError(
        host.label,
        `${host.label}: cannot start the command: (SSH) Channel open failure: open failed`,
      );
      return {
        exitCode: null,
        stdout: '',
        stderr: '',
        timedOut: false,
        durationMs: 0,
        failure,
        error: failure.message,
      };
    }
    this.begin(host);
    const t0 = Date.now();
    try {
      const waited = await wait(r.hang ? Number.POSITIVE_INFINITY : (r.delayMs ?? 0), opts.timeoutMs, opts.signal);
      if (waited !== 'done') {
        call.cut = waited;
        return waited === 'timeout'
          ? cutOff(host, 'timeout', `${host.label}: command timed out after ${opts.timeoutMs} ms`, Date.now() - t0)
          : cutOff(host, 'interrupted', `${host.label}: command interrupted`, Date.now() - t0);
      }
      if (r.stdout) opts.onStdout?.(r.stdout);
      if (r.stderr) opts.onStderr?.(r.stderr);
      if (r.drop) {
        conn.dead = 'the host dropped the connection';
        return {
          ...cutOff(
            host,
            'connection-lost',
            `${host.label}: connection lost while the command ran: ${conn.dead}`,
            Date.now() - t0,
          ),
          stdout: r.stdout ?? '',
          stderr: r.stderr ?? '',
        };
      }
      return {
        exitCode: r.exitCode === undefined ? 0 : r.exitCode,
        stdout: r.stdout ?? '',
        stderr: r.stderr ?? '',
        timedOut: false,
        durationMs: Date.now() - t0,
      };
    } finally {
      this.end(host);
    }
  }

  /** @internal */
  async runPut(conn: FakeConnection, local: string, remote: string, opts: PutOptions): Promise<void> {
    const host = conn.host;
    this.calls.push({
      host: host.label,
      kind: 'put',
      local,
      remote,
      ...(opts.mode !== undefined ? { mode: opts.mode } : {}),
    });
    if (conn.dead)
      throw new TransferFailedError(
        host.label,
        remote,
        `${host.label}: connection lost before the upload: ${conn.dead}`,
      );
    const rule = this.putRules.find((r) => hostMatches(r.host, host) && matches(r.match, remote));
    if (!rule) {
      this.unexpected.push(`${host.label}: put ${local} -> ${remote}`);
      throw new Error(`fake: no upload programmed for ${remote}`);
    }
    this.begin(host);
    try {
      const waited = await wait(
        rule.respond.hang ? Number.POSITIVE_INFINITY : (rule.respond.delayMs ?? 0),
        opts.stallTimeoutMs,
        opts.signal,
      );
      if (waited === 'timeout') {
        throw new TransferStalledError(
          host.label,
          remote,
          opts.stallTimeoutMs!,
          `${host.label}: upload of ${remote} made no progress for ${opts.stallTimeoutMs} ms`,
        );
      }
      if (waited === 'abort') throw opts.signal?.reason instanceof Error ? opts.signal.reason : new InterruptedError();
      if (rule.respond.drop) {
        conn.dead = 'the host dropped the connection';
        throw new TransferFailedError(
          host.label,
          remote,
          `${host.label}: connection lost while uploading ${remote}: ${conn.dead}`,
        );
      }
      const status = rule.respond.remoteStatus;
      if (status !== undefined)
        throw new TransferFailedError(
          host.label,
          remote,
          `${host.label}: upload of ${remote} failed: ${status}`,
          status,
        );
      opts.onProgress?.(100, 100);
    } finally {
      this.end(host);
    }
  }
}

function cutOff(host: HostTarget, reason: CutOffReason, message: string, durationMs: number): ExecResult {
  const failure = new CommandCutOffError(host.label, reason, message);
  return {
    exitCode: null,
    stdout: '',
    stderr: '',
    timedOut: reason === 'timeout',
    durationMs,
    error: message,
    failure,
  };
}

class FakeConnection implements Connection {
  /** Why the connection is gone, once it is. */
  dead: string | false = false;
  constructor(
    private readonly fake: FakeTransport,
    readonly host: HostTarget,
  ) {}
  exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    return this.fake.runExec(this, command, opts);
  }
  putFile(localPath: string, remotePath: string, opts: PutOptions = {}): Promise<void> {
    return this.fake.runPut(this, localPath, remotePath, opts);
  }
  async close(): Promise<void> {
    this.fake.calls.push({ host: this.host.label, kind: 'close' });
    this.dead ||= 'closed by genconf';
  }
}

/** Wait `ms` (Infinity = forever) unless the timeout or the signal comes first. */
function wait(
  ms: number,
  timeoutMs: number | undefined,
  signal: AbortSignal | undefined,
): Promise<'done' | 'timeout' | 'abort'> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve('abort');
    const timers: NodeJS.Timeout[] = [];
    const finish = (v: 'done' | 'timeout' | 'abort'): void => {
      timers.forEach(clearTimeout);
      signal?.removeEventListener('abort', onAbort);
      resolve(v);
    };
    const onAbort = (): void => finish('abort');
    signal?.addEventListener('abort', onAbort, { once: true });
    if (Number.isFinite(ms)) timers.push(setTimeout(() => finish('done'), ms));
    if (timeoutMs !== undefined && (!Number.isFinite(ms) || timeoutMs < ms))
      timers.push(setTimeout(() => finish('timeout'), timeoutMs));
  });
}
