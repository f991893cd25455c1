/**
 * `--generate-node-upgrade-script VER`: a full genconf, plus
 * serve/upgrade/<random hex>/dcos_node_upgrade.sh for nodes upgrading from VER.
 */
import type { CommandContext } from '../cli/context.js';
import { ExitCode } from '../exit-codes.js';
import { bundleJson, generate, reportInvalid } from './genconf.js';

export async function run(ctx: CommandContext): Promise<ExitCode> {
  const from = ctx.options.actionArg?.trim();
  if (!from) {
    // The original's message; a missing argument is a usage error (exit 2), not an invalid config (1.11 said 1).
    ctx.stderr.write('Must provide the version of the cluster upgrading from\n');
    ctx.stderr.write('hint: give it after the flag, e.g. --generate-node-upgrade-script 1.10.0\n');
    return ExitCode.USAGE;
  }
  const outcome = await generate(ctx, { upgradeFrom: from });
  if (!outcome.ok) return reportInvalid(ctx, outcome.validation);
  const b = outcome.bundle;
  if (ctx.options.json) ctx.stdout.write(`${JSON.stringify(bundleJson(b), null, 2)}\n`);
  else ctx.stdout.write(`Node upgrade script URL: ${b.upgrade!.url}\n`);
  return ExitCode.OK;
}
