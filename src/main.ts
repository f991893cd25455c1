#!/usr/bin/env node
/**
 * Process entry: argv → options → one command → exit code. The only place that calls process.exit and the
 * one top-level error handler: operator errors print a message, anything else is a bug (exit 70).
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Action, Command, CommandContext } from './cli/context.js';
import { ExitCode } from './exit-codes.js';
import { GenconfError, HelpShown } from './errors.js';
import { exitWhenFlushed, watchOutput } from './cli/output.js';

/** Commands are loaded lazily so that `--validate-config` never pays for ssh2 or tar. */
const COMMANDS: Record<Action, () => Promise<Command>> = {
  genconf: async () => (await import('./commands/genconf.js')).run,
  'validate-config': async () => (await import('./commands/validate.js')).run,
  preflight: async () => (await import('./commands/ssh-stage.js')).run,
  deploy: async () => (await import('./commands/ssh-stage.js')).run,
  postflight: async () => (await import('./commands/ssh-stage.js')).run,
  'install-prereqs': async () => (await import('./commands/ssh-stage.js')).run,
  uninstall: async () => (await import('./commands/ssh-stage.js')).run,
  'hash-password': async () => (await import('./commands/hash-password.js')).run,
  'generate-node-upgrade-script': async () => (await import('./commands/node-upgrade.js')).run,
  'verify-bundle': async () => (await import('./commands/verify-bundle.js')).run,
  status: async () => (await import('./commands/status.js')).run,
  'add-nodes': async () => (await import('./commands/add-nodes.js')).run,
  'export-bundle': async () => (await import('./commands/export-bundle.js')).run,
  decommission: async () => (await import('./commands/decommission.js')).run,
  'aws-cloudformation': async () => (await import('./commands/cloud.js')).run,
  'azure-arm': async () => (await import('./commands/cloud.js')).run,
  version: async () => (await import('./commands/version.js')).run,
  serve: async () => (await import('./commands/serve.js')).run,
  'import-installer': async () => (await import('./commands/import-installer.js')).run,
  'print-fault-domain-detect': async () => (await import('./commands/fault-domain-detect.js')).run,
};

export async function main(argv: readonly string[], cwd = process.cwd()): Promise<number> {
  const abort = new AbortController();
  const onSignal = (): void => {
    // A second Ctrl-C while cleanups run exits at once.
    if (abort.signal.aborted) process.exit(ExitCode.INTERRUPTED);
    abort.abort(new Error('interrupted'));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A dropped terminal (the operator's SSH session to the bootstrap node) is handled like SIGTERM: stop starting
  // work, clean up, write the state and the summary file. Node's default for SIGHUP is to die on the spot.
  process.on('SIGHUP', onSignal);
  try {
    // `--version` alone (what scripts probe an installation with) is answered before the argument parser loads.
    if (argv.length === 1 && argv[0] === '--version') {
      const { printVersion } = await import('./commands/version.js');
      return printVersion(process.stdout);
    }
    // Loaded here, not at the top: commander is the biggest module every action needs, and `--version` does not.
    const { parseArgs } = await import('./cli/args.js');
    const options = parseArgs(argv, cwd);
    const ctx: CommandContext = {
      options,
      signal: abort.signal,
      stdout: process.stdout,
      stderr: process.stderr,
      // A getter: reading process.stdin creates the stream (for a file it loads Node's file streams, fs/promises and
      // readline; for a terminal, tty and net), which only the actions that may prompt need.
      get interactive() {
        return process.stdin.isTTY === true;
      },
    };
    const command = await COMMANDS[options.action]();
    const code = await command(ctx);
    return abort.signal.aborted && code === ExitCode.OK ? ExitCode.INTERRUPTED : code;
  } catch (err) {
    return reportError(err, abort.signal.aborted);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
  }
}

function reportError(err: unknown, interrupted: boolean): number {
  if (err instanceof HelpShown) return ExitCode.OK;
  if (err instanceof GenconfError) {
    process.stderr.write(`error: ${err.message}\n`);
    if (err.hint) process.stderr.write(`hint: ${err.hint}\n`);
    return err.exitCode;
  }
  if (interrupted) {
    process.stderr.write('interrupted\n');
    return ExitCode.INTERRUPTED;
  }
  const stack = err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(
    `internal error: this is a bug in dcos-genconf, please report it with the output below.\n${stack}\n`,
  );
  return ExitCode.INTERNAL;
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

/**
 * The whole process around main(). The bundled CLI's launcher (src/launcher.ts) calls it; so does
 * `node dist/src/main.js`, below.
 */
export async function runProcess(argv: readonly string[] = process.argv.slice(2)): Promise<never> {
  const output = watchOutput();
  return exitWhenFlushed(await main(argv), output);
}

// Not a top-level await: the bundled CLI is a CommonJS script (so that V8 can cache its compiled code), and those
// have none. main() catches every error, so nothing is left unhandled.
if (isEntryPoint()) void runProcess();
