/**
 * `--export-bundle FILE`: the archive a new node needs, written where the operator wants it. The archive is
 * genconf/serve/dcos-install.tar: deterministic, so exporting the same serve tree twice gives the same SHA-256.
 * Copied by hand to a node and unpacked there, `bash dcos_install.sh slave` (or `slave_public`) installs it.
 */
import path from 'node:path';
import type { CommandContext } from '../cli/context.js';
import { ExitCode } from '../exit-codes.js';
import { exportBundle } from '../cluster/bundle.js';
import { UsageError } from '../errors.js';

export async function run(ctx: CommandContext): Promise<ExitCode> {
  const o = ctx.options;
  if (!o.actionArg) throw new UsageError('--export-bundle needs a file name', 'e.g. --export-bundle dcos-install.tar');
  const dest = path.resolve(o.actionArg);
  const r = await exportBundle(o.genconfDir, dest);
  if (o.json)
    ctx.stdout.write(JSON.stringify({ file: dest, sha256: r.sha256, size: r.size, configId: r.configId }) + '\n');
  else {
    ctx.stdout.write(`${r.sha256}  ${dest}\n`);
    ctx.stdout.write(
      `config_id ${r.configId}, ${r.size} bytes. On a new node: tar -xf ${path.basename(dest)} && sudo bash dcos_install.sh slave (or slave_public)\n`,
    );
  }
  return ExitCode.OK;
}
