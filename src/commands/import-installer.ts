/**
 * `--import-installer FILE`: unpack the official DC/OS installer into the artifacts directory (`--artifacts`,
 * default `artifacts/` beside the genconf directory). Progress on stderr; the summary (or one JSON document with
 * --json) on stdout.
 */
import path from 'node:path';
import { isTty, type CommandContext } from '../cli/context.js';
import { ExitCode } from '../cli/exit-codes.js';
import { UsageError } from '../errors.js';
import { importInstaller, type ImportResult } from '../import/installer.js';
import { ImportProgress } from '../import/progress.js';

export async function run(ctx: CommandContext): Promise<ExitCode> {
  const { options } = ctx;
  const file = options.installerFile;
  if (file === undefined)
    throw new UsageError(
      '--import-installer needs the installer file',
      'e.g. --import-installer dcos_generate_config.sh',
    );
  const progress = new ImportProgress(ctx.stderr, isTty(ctx.stderr));
  progress.note(`import: reading ${file} into ${options.artifactsDir}`);
  let result: ImportResult;
  try {
    result = await importInstaller({
      file,
      target: options.artifactsDir,
      force: options.force,
      signal: ctx.signal,
      onProgress: (b, t) => progress.update(b, t),
      log: (line) => (options.verbose ? progress.note(line) : undefined),
    });
  } finally {
    progress.done();
  }
  const r = result.record;
  if (options.json) {
    ctx.stdout.write(`${JSON.stringify(importJson(result), null, 2)}\n`);
  } else {
    const lines = [
      `Imported ${path.basename(file)} into ${result.target}`,
      `DC/OS version: ${r.dcos_version ?? 'unknown (the image has no gen/calc.py)'}`,
      `Variant: ${r.variant}`,
      `Bootstrap id: ${r.bootstrap_id}`,
      `Packages: ${r.package_ids.length}`,
    ];
    if (r.gen_extra.length > 0) {
      lines.push(
        `gen_extra/: ${r.gen_extra.length} file(s) of calculation overrides kept (${r.gen_extra.join(', ')});`,
        '  --genconf refuses these artifacts: it cannot apply the overrides the original applied',
      );
    }
    ctx.stdout.write(`${lines.join('\n')}\n`);
  }
  return ExitCode.OK;
}

export function importJson(result: ImportResult): Record<string, unknown> {
  const r = result.record;
  return {
    artifacts_dir: result.target,
    installer: r.installer,
    installer_bytes: result.bytes,
    image: r.image,
    layout: result.image.layout,
    layers: result.image.layers,
    layers_spooled: result.image.spooled,
    dcos_version: r.dcos_version,
    variant: r.variant,
    bootstrap_variant: r.bootstrap_variant,
    bootstrap_id: r.bootstrap_id,
    dcos_image_commit: r.dcos_image_commit,
    packages: r.package_ids.length,
    package_ids: r.package_ids,
    gen_extra: r.gen_extra,
    genconf_ready: r.gen_extra.length === 0,
  };
}
