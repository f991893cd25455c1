/**
 * Running one command on a Session: no pty (stdout and stderr stay apart, no terminal mangles the output), output
 * tails capped, a timeout or an abort that really stops the remote processes, and a result in every case: exec never
 * rejects because of the host (see errors.ts).
 */
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { ClientChannel } from 'ssh2';
import { ChannelRefusedError, CommandCutOffError, type CutOffReason } from './errors.js';
import { shellQuote } from './quote.js';
import type { Session } from './session.js';
import { secs } from './timing.js';
import type { ExecOptions, ExecResult } from './transport.js';

/** Keeps the last `max` characters of a stream's text. */
class Tail {
  private text = '';
  truncated = false;
  constructor(private readonly max: number) {}
  add(s: string): void {
    this.text += s;
    if (this.text.length > this.max * 1.5) {
      this.text = this.text.slice(-this.max);
      this.truncated = true;
    }
  }
  value(): string {
    if (this.text.length > this.max) {
      this.truncated = true;
      return this.text.slice(-this.max);
    }
    return this.text;
  }
}

export function execCommand(session: Session, command: string, opts: ExecOptions = {}): Promise<ExecResult> {
  const label = session.host.label;
  const cutOff = (reason: CutOffReason, message: string): { failure: CommandCutOffError } => ({
    failure: new CommandCutOffError(label, reason, message),
  });
  const started = Date.now();
  const max = session.options.maxOutputBytes ?? 8 << 20;
  const out = new Tail(max);
  const err = new Tail(max);
  let timedOut = false;
  const result = (
    exitCode: number | null,
    extra: { signal?: string; failure?: CommandCutOffError | ChannelRefusedError } = {},
  ): ExecResult => ({
    exitCode,
    timedOut,
    stdout: out.value(),
    stderr: err.value(),
    durationMs: Date.now() - started,
    ...(extra.signal ? { signal: extra.signal } : {}),
    ...(extra.failure ? { error: extra.failure.message, failure: extra.failure } : {}),
  });
  if (session.closed)
    return Promise.resolve(result(null, cutOff('connection-lost', session.goneMessage('before the command started'))));
  const token = randomBytes(8).toString('hex');

  return session.channels.acquire(opts.signal).then(
    (release) =>
      new Promise<ExecResult>((resolve) => {
        let done = false;
        let channel: ClientChannel | undefined;
        let exitCode: number | null = null;
        let exitSignal: string | undefined;
        let sawExit = false;
        const finish = (r: ExecResult): void => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          opts.signal?.removeEventListener('abort', onAbort);
          resolve(r);
        };
        const lost = (reason: string): void => {
          release();
          session.onLost.delete(lost);
          finish(result(null, cutOff('connection-lost', session.lostMessage(reason, 'while the command ran'))));
        };
        session.onLost.add(lost);
        if (session.closed) return lost(session.lostReason ?? 'closed');
        // Stop the remote command. The SSH "signal" request alone is not enough: OpenSSH honours it only for
        // sessions with privilege separation, i.e. not for root, and sshd answers our channel close only once the
        // command's output ends — a hung command would hold the channel (and our slot) forever. So the command
        // runs under a marker name (see wrapCommand) and a second channel kills its whole session by that name.
        const stop = (): void => {
          if (!channel) return;
          try {
            channel.signal('KILL');
          } catch {
            /* channel already gone */
          }
          killRemote(session, token);
          try {
            channel.close();
          } catch {
            /* already closed */
          }
          // If the host never confirms the close, do not hold the slot forever.
          setTimeout(release, 5000).unref();
        };
        const timer =
          opts.timeoutMs !== undefined
            ? setTimeout(() => {
                timedOut = true;
                stop();
                finish(result(null, cutOff('timeout', `${label}: command timed out after ${secs(opts.timeoutMs!)}`)));
              }, opts.timeoutMs)
            : undefined;
        const onAbort = (): void => {
          stop();
          finish(result(null, cutOff('interrupted', `${label}: command interrupted`)));
        };
        if (opts.signal?.aborted) return onAbort();
        opts.signal?.addEventListener('abort', onAbort, { once: true });

        // Listeners go on inside the open callback itself: ssh2 parses a whole TCP read at once, so a quick
        // command's exit status and close can be emitted right after the callback, before any promise resolves.
        session
          .openChannel<ClientChannel>(
            (cb) => session.client.exec(wrapCommand(command, token), cb),
            (ch) => onChannel(undefined, ch),
          )
          .catch((e: Error) => onChannel(e));
        const onChannel = (e: Error | undefined, ch?: ClientChannel): void => {
          if (e || !ch) {
            release();
            session.onLost.delete(lost);
            return finish(
              result(
                null,
                session.closed
                  ? cutOff('connection-lost', session.goneMessage('before the command started'))
                  : { failure: new ChannelRefusedError(label, `${label}: cannot start the command: ${e?.message}`) },
              ),
            );
          }
          channel = ch;
          if (done) stop(); // timed out or aborted while the channel was opening
          // Made on a stream's first chunk: most commands print nothing on one of the two (a decoder holds a buffer).
          let outDec: StringDecoder | undefined;
          let errDec: StringDecoder | undefined;
          ch.on('data', (d: Buffer) => {
            const s = (outDec ??= new StringDecoder('utf8')).write(d);
            out.add(s);
            if (s) opts.onStdout?.(s);
          });
          ch.stderr.on('data', (d: Buffer) => {
            const s = (errDec ??= new StringDecoder('utf8')).write(d);
            err.add(s);
            if (s) opts.onStderr?.(s);
          });
          ch.on('exit', (code: number | null, sig?: string) => {
            sawExit = true;
            exitCode = typeof code === 'number' ? code : null;
            if (sig) exitSignal = sig;
          });
          ch.on('close', () => {
            release();
            session.onLost.delete(lost);
            const flush = (): void => {
              if (outDec) out.add(outDec.end());
              if (errDec) err.add(errDec.end());
              if (sawExit) return finish(result(exitCode, exitSignal ? { signal: exitSignal } : {}));
              // No exit status: the session ended abnormally. If the connection is going down, say why.
              finish(
                result(
                  null,
                  session.closed
                    ? cutOff('connection-lost', session.goneMessage('while the command ran'))
                    : cutOff('no-exit-status', `${label}: the command ended without an exit status`),
                ),
              );
            };
            // Let a simultaneous connection close be seen first, so its reason makes the message.
            if (sawExit) flush();
            else setImmediate(flush);
          });
          const stdin = opts.stdin;
          if (stdin === undefined) ch.end();
          else if (typeof stdin === 'string' || Buffer.isBuffer(stdin)) ch.end(stdin);
          else (stdin as Readable).pipe(ch);
        };
      }),
    () => result(null, cutOff('interrupted', `${label}: command interrupted before it started`)),
  );
}

/**
 * Kill every process of the session that runs the command marked `token` (best effort, in the background). Uses
 * a channel outside the semaphore: sshd allows 10, the semaphore hands out at most 8, so there is room even when
 * every slot is held by a hung command. A non-root user retries through sudo for processes started with sudo.
 */
function killRemote(session: Session, token: string): void {
  if (session.closed) return;
  // The marker is in the environment of the command's processes, not in this script's, so it never matches
  // itself. The session id catches children that dropped the variable (e.g. sudo's env_reset).
  const script = [
    `for f in $(grep -lzx ${shellQuote(`${MARKER}=${token}`)} /proc/[0-9]*/environ 2>/dev/null); do`,
    '  p=${f#/proc/}; p=${p%/environ}',
    '  s=$(ps -o sid= -p "$p" | tr -d " ")',
    '  if [ -n "$s" ] && [ "$s" -gt 1 ] && [ "$s" != "$(ps -o sid= -p $$ | tr -d " ")" ]; then pkill -KILL -s "$s"; fi',
    '  kill -KILL "$p"',
    'done 2>/dev/null; true',
  ].join('\n');
  const full =
    session.host.user === 'root'
      ? script
      : `${script}\n[ "$(id -u)" = 0 ] || sudo -n sh -c ${shellQuote(script)} 2>/dev/null; true`;
  session
    .openChannel<ClientChannel>(
      (cb) => session.client.exec(full, cb),
      (ch) => {
        ch.on('data', () => undefined);
        ch.stderr.on('data', () => undefined);
        ch.end();
      },
    )
    .catch(() => undefined);
}

/**
 * The remote command, run so that killRemote can find it: by the same login shell as without the wrapper, with a
 * per-command marker variable in its environment (which every child inherits, and which survives the shell exec'ing
 * the last command).
 */
const MARKER = 'GENCONF_RUN';
export function wrapCommand(command: string, token: string): string {
  return `exec env ${MARKER}=${token} "\${SHELL:-/bin/sh}" -c ${shellQuote(command)}`;
}
