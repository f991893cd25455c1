import type { CommandContext } from '../cli/context.js';
import { ExitCode } from '../cli/exit-codes.js';
import { UsageError } from '../errors.js';

/** Placeholder until its issue lands: says so plainly and exits 2. */
export async function run(ctx: CommandContext): Promise<ExitCode> {
  throw new UsageError(`--${ctx.options.action} is not implemented yet`);
}
