/**
 * `--validate-config`: judge config.yaml with the SSH rules (as DC/OS 1.11 did for this flag) and report every
 * problem at once. Human lines go to stderr; with --json, stdout carries exactly one JSON document.
 * Exit 0 when valid, 1 when not.
 */
import { colorFor, type CommandContext } from '../cli/context.js';
import { ExitCode } from '../exit-codes.js';
import { formatIssuesHuman, issuesToJson } from '../config/report.js';
import { judgeConfig } from '../config/validate.js';

export async function run(ctx: CommandContext): Promise<ExitCode> {
  const { options } = ctx;
  if (!options.json) ctx.stderr.write('====> VALIDATING CONFIGURATION\n');
  const result = await judgeConfig({
    genconfDir: options.genconfDir,
    baseDir: options.baseDir,
    target: 'ssh',
    strict: options.strict,
    checkSshKey: true,
  });
  if (options.json) ctx.stdout.write(`${JSON.stringify(issuesToJson(result), null, 2)}\n`);
  else ctx.stderr.write(formatIssuesHuman(result, { color: colorFor(options, ctx.stderr) }));
  return result.valid ? ExitCode.OK : ExitCode.CONFIG_INVALID;
}
