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
    // The original's message and exit status.
    ctx.stderr.write('Must provide the version of the cluster upgrading from\n');
    return ExitCode.CONFIG_INVALID;
  }
  const outcome = await generate(ctx, { upgradeFrom: from });
  if (!outcome.ok) return reportInvalid(ctx, outcome.validation);
  const b = outcome.bundle;
  if (ctx.options.json) ctx.stdout.write(`${JSON.stringify(bundleJson(b), null, 2)}\n`);
  else ctx.stdout.write(`Node upgrade script URL: ${b.upgrade!.url}\n`);
  return ExitCode.OK;
}
