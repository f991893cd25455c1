/**
 * `--print-fault-domain-detect auto|aws|azure|gcp`: print the fault-domain-detect script of that variant on stdout,
 * so that an operator gets one without copying a file out of the package
 * (`genconf --print-fault-domain-detect aws > genconf/fault-domain-detect`).
 */
import type { CommandContext } from '../cli/context.js';
import { ExitCode } from '../exit-codes.js';
import { faultDomainDetectScript, isFaultDomainVariant } from '../bundle/fault-domain-detect.js';

export async function run(ctx: CommandContext): Promise<ExitCode> {
  const variant = ctx.options.actionArg ?? '';
  // args.ts already limits the value to the variants; this guards a caller that builds options by hand.
  if (!isFaultDomainVariant(variant)) throw new Error(`unknown fault-domain-detect variant '${variant}'`);
  ctx.stdout.write(faultDomainDetectScript(variant));
  return Promise.resolve(ExitCode.OK);
}
