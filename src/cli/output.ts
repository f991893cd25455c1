/**
 * What happens when the process's own stdout or stderr goes away: a reader that closed early (`| head -1`, EPIPE),
 * a terminal that hung up (EIO), a full disk (`>/dev/full`, ENOSPC). None of these may crash the process or stop an
 * SSH run half-way: the error is recorded, later writes are dropped, and the exit code says so (see README "Exit
 * codes").
 */
import { ExitCode } from './exit-codes.js';

export interface OutputState {
  /** The error code (EPIPE, ENOSPC, …) of the first failed write to stdout, if any. */
  stdoutError?: string;
  stderrFailed: boolean;
}

/** Install error listeners on process.stdout and process.stderr (without one, a write error is an uncaught crash). */
export function watchOutput(
  stdout: NodeJS.WriteStream = process.stdout,
  stderr: NodeJS.WriteStream = process.stderr,
): OutputState {
  const state: OutputState = { stderrFailed: false };
  stdout.on('error', (err: NodeJS.ErrnoException) => {
    state.stdoutError ??= err.code ?? err.message;
  });
  stderr.on('error', () => {
    state.stderrFailed = true;
  });
  return state;
}

/**
 * The run's own exit code wins when it is not 0 (failed hosts stay failed). A run that succeeded but whose output
 * was lost exits 74 (EX_IOERR), so `genconf --genconf --json > /dev/full` is not mistaken for success.
 */
export function outputExitCode(code: number, state: OutputState): number {
  if (code !== ExitCode.OK || state.stdoutError === undefined) return code;
  return ExitCode.OUTPUT_FAILED;
}

/** Resolves once everything written to `stream` so far has been handed to the OS (or the stream failed). */
export function flushed(
  stream: NodeJS.WritableStream & { destroyed?: boolean; writableLength?: number },
): Promise<void> {
  if (stream.destroyed === true) return Promise.resolve();
  return new Promise((resolve) => {
    try {
      // An empty write's callback runs after every earlier chunk was flushed, or with the stream's error.
      stream.write('', () => resolve());
    } catch {
      resolve();
    }
  });
}

/**
 * The end of every run of the process: wait until stdout and stderr are flushed (a pipe with a slow reader must
 * still get the whole document), say so when stdout was lost, and exit. process.exit is called even then, because
 * a half-closed SSH socket must not keep the process alive.
 */
export async function exitWhenFlushed(code: number, output: OutputState): Promise<never> {
  process.exitCode = code;
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  const final = outputExitCode(code, output);
  if (final !== code && !output.stderrFailed) {
    process.stderr.write(
      `error: standard output could not be written (${output.stdoutError}); the run itself finished with exit ${code}\n`,
    );
    await flushed(process.stderr);
  }
  process.exit(final);
}
