/** `--version`: the tool's version and the DC/OS release its bundles target, as pretty JSON with sorted keys. */
import { packageVersion } from '../package-files.js';
import type { CommandContext } from '../cli/context.js';
import { ExitCode } from '../exit-codes.js';
import { DCOS_VERSION } from '../dcos-version.js';

export function versionInfo(): { dcos_version: string; variant: string; version: string } {
  // Keys in sorted order, as the original printed them; the variant is '' for open DC/OS.
  return { dcos_version: DCOS_VERSION, variant: '', version: packageVersion() };
}

export async function run(ctx: CommandContext): Promise<ExitCode> {
  return printVersion(ctx.stdout);
}

/** What `--version` prints; main.ts calls it directly when `--version` is the only argument. */
export function printVersion(out: NodeJS.WritableStream): ExitCode {
  out.write(`${JSON.stringify(versionInfo(), null, 2)}\n`);
  return ExitCode.OK;
}
