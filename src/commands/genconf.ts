/**
 * `--genconf` (the default action): judge config.yaml with the genconf rules, then build genconf/serve/.
 * Log lines follow the original's on stderr; stdout carries the result, or one JSON
 * document with --json.
 */
import path from 'node:path';
import { colorFor, type CommandContext } from '../cli/context.js';
import { ExitCode } from '../exit-codes.js';
import { GenconfError, InputError } from '../errors.js';
import type { BuildResult } from '../bundle/build.js';
import type { ConfigValues, Issue, ValidationResult } from '../config/types.js';

export interface GenerateOptions {
  upgradeFrom?: string;
  /**
   * Runs on the judged arguments before anything is built: returns the arguments to build with, or problems that
   * stop the run as an invalid config (the cloud templates use it for their own config rules).
   */
  prepare?: (args: ConfigValues) => { args: ConfigValues } | { problems: Issue[] };
}

/** Outcome of a generation: the bundle, or the judged config when it was invalid. */
export type GenerateOutcome =
  { ok: true; bundle: BuildResult; args: ConfigValues } | { ok: false; validation: ValidationResult };

/** Judge, report problems, build. Shared with --generate-node-upgrade-script, which is genconf plus one script. */
export async function generate(ctx: CommandContext, opts: GenerateOptions = {}): Promise<GenerateOutcome> {
  const { options } = ctx;
  const err = (line: string): void => void ctx.stderr.write(`${line}\n`);
  err('====> EXECUTING CONFIGURATION GENERATION');
  err('Generating configuration files...');
  // The bundle modules load while the config is judged.
  const bundleModules = Promise.all([import('../bundle/build.js'), import('../bundle/load-renderers.js')]);
  bundleModules.catch(() => undefined);
  const [{ judgeConfig }, { formatIssuesHuman }] = await Promise.all([
    import('../config/validate.js'),
    import('../config/report.js'),
  ]);
  const validation = await judgeConfig({
    genconfDir: options.genconfDir,
    baseDir: options.baseDir,
    target: 'genconf',
    strict: options.strict,
  });
  if (!validation.valid || !validation.args || !validation.userArgs) return { ok: false, validation };
  let args = validation.args;
  if (opts.prepare) {
    const prepared = opts.prepare(args);
    if ('problems' in prepared)
      return { ok: false, validation: { valid: false, errors: prepared.problems, warnings: validation.warnings } };
    args = prepared.args;
  }
  if (validation.warnings.length > 0)
    ctx.stderr.write(ensureNewline(formatIssuesHuman(validation, { color: colorFor(options, ctx.stderr) })));

  const [{ buildBundle }, { renderers }] = await bundleModules;
  const bundle = await buildBundle({
    genconfDir: options.genconfDir,
    artifactsDir: options.artifactsDir,
    args,
    userArgs: validation.userArgs,
    ...(validation.checkBins ? { checkBins: validation.checkBins } : {}),
    renderers,
    signal: ctx.signal,
    log: err,
    ...(opts.upgradeFrom !== undefined ? { upgradeFrom: opts.upgradeFrom } : {}),
  });
  return { ok: true, bundle, args };
}

/** Prints the config's problems: human lines on stderr, or the JSON report on stdout with --json. */
export async function reportInvalid(ctx: CommandContext, validation: ValidationResult): Promise<ExitCode> {
  const { formatIssuesHuman, issuesToJson } = await import('../config/report.js');
  if (ctx.options.json) ctx.stdout.write(`${asJsonText(issuesToJson(validation))}\n`);
  else ctx.stderr.write(ensureNewline(formatIssuesHuman(validation, { color: colorFor(ctx.options, ctx.stderr) })));
  return ExitCode.CONFIG_INVALID;
}

export async function run(ctx: CommandContext): Promise<ExitCode> {
  let outcome: GenerateOutcome;
  try {
    outcome = await generate(ctx);
  } catch (err) {
    // With --json the document is always printed, also when building failed after a valid config (the artifacts,
    // say); the error keeps its exit code.
    if (!ctx.options.json || !(err instanceof GenconfError)) throw err;
    ctx.stdout.write(`${JSON.stringify(buildFailureJson(err), null, 2)}\n`);
    ctx.stderr.write(`error: ${err.message}\n${err.hint ? `hint: ${err.hint}\n` : ''}`);
    return err.exitCode;
  }
  if (!outcome.ok) return reportInvalid(ctx, outcome.validation);
  const b = outcome.bundle;
  if (ctx.options.json) {
    ctx.stdout.write(`${JSON.stringify(bundleJson(b), null, 2)}\n`);
  } else {
    ctx.stdout.write('Generating Bash configuration files for DC/OS\n');
    ctx.stdout.write(summary(b, ctx.options.cwd));
  }
  return ExitCode.OK;
}

/** The `--json` document of a run that failed while building: the validation document's shape, key `bundle`. */
export function buildFailureJson(err: GenconfError): { valid: false; errors: Issue[]; warnings: Issue[] } {
  const issue: Issue = { key: 'bundle', message: err.message };
  if (err instanceof InputError && err.file !== undefined) issue.file = err.file;
  return { valid: false, errors: [issue], warnings: [] };
}

export function bundleJson(b: BuildResult): Record<string, unknown> {
  return {
    config_id: b.configId,
    cluster_package_list_id: b.clusterPackageListId,
    bootstrap_id: b.bootstrapId,
    cluster_packages: b.clusterPackages,
    serve_dir: b.serveDir,
    tarball: b.tarball,
    files: b.files.map((f) => ({
      path: f.path,
      mode: f.mode.toString(8).padStart(4, '0'),
      sha256: f.sha256,
      size: f.size,
    })),
    ...(b.upgrade ? { upgrade_script: b.upgrade } : {}),
  };
}

/** A path as the operator can use it from where they ran the command: relative below it, else absolute. */
export function displayPath(p: string, cwd: string): string {
  const rel = path.relative(cwd, p);
  return rel === '' || rel.startsWith('..') || path.isAbsolute(rel) ? p : rel;
}

function summary(b: BuildResult, cwd: string): string {
  const rel = (p: string): string => displayPath(p, cwd);
  return [
    `config_id: ${b.configId}`,
    `cluster_package_list_id: ${b.clusterPackageListId}`,
    `Bundle: ${rel(b.serveDir)}/ (${b.files.length} files; serve it at bootstrap_url)`,
    `Archive: ${rel(b.tarball.path)} sha256 ${b.tarball.sha256}`,
    '',
  ].join('\n');
}

function ensureNewline(s: string): string {
  return s === '' || s.endsWith('\n') ? s : `${s}\n`;
}

function asJsonText(v: unknown): string {
  return typeof v === 'string' ? v.replace(/\n$/, '') : JSON.stringify(v, null, 2);
}
