import { ExitCode } from './exit-codes.js';

/**
 * An error the operator can act on. The top-level handler in main.ts prints `message` (and `hint`)
 * without a stack trace and exits with `exitCode`. Anything that is not a GenconfError is a bug (exit 70).
 */
export class GenconfError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = ExitCode.CONFIG_INVALID,
    readonly hint?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad command line: exit 2. */
export class UsageError extends GenconfError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.USAGE, hint);
  }
}

/** A problem with an input file (config.yaml, ip-detect, artifacts, the bundle). Exit 1. */
export class InputError extends GenconfError {
  constructor(
    message: string,
    readonly file?: string,
    hint?: string,
  ) {
    super(message, ExitCode.CONFIG_INVALID, hint);
  }
}

/** Thrown when the run was interrupted (SIGINT/SIGTERM) before a command could finish its own cleanup. */
export class InterruptedError extends GenconfError {
  constructor(message = 'interrupted') {
    super(message, ExitCode.INTERRUPTED);
  }
}

/** Signals that --help printed usage; main exits 0. (Here, not in cli/args.ts, so main need not load commander.) */
export class HelpShown extends Error {}
