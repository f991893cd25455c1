/**
 * Gather what a stage declared it sends (stages/types.ts `Stage.inputs`), each input from its one source: the
 * serve tree, config.yaml's scripts, or the package's remote scripts. Every file is checked here, before any host
 * is touched, so that a missing bundle is one clear error (exit 1) and never a column of failed hosts.
 */
import { packageFile } from '../package-files.js';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { configIdFromPackageInfo } from '../cluster/bundle.js';
import { resolveConfigFile } from '../config/paths.js';
import type { ConfigValues } from '../config/types.js';
import type { PlanFiles } from '../derive/plan.js';
import { InputError } from '../errors.js';
import type { Stage, StageInput } from '../stages/types.js';

/** templates/remote/<name>, shipped with the package. */
export function remoteScriptPath(name: string): string {
  const file = packageFile('templates', 'remote', name);
  if (!existsSync(file)) throw new Error(`templates/remote/${name} is missing from the installation`);
  return file;
}

/** templates/lib/<name>: shell functions the node scripts share (a remote script gets them on stdin before it). */
export function libScriptPath(name: string): string {
  const file = packageFile('templates', 'lib', name);
  if (!existsSync(file)) throw new Error(`templates/lib/${name} is missing from the installation`);
  return file;
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function mustExist(file: string, what: string, hint: string): Promise<void> {
  try {
    const s = await stat(file);
    if (!s.isFile()) throw new Error('not a file');
  } catch {
    throw new InputError(`${what} does not exist: ${file}`, file, hint);
  }
}

/** The config_id of the bundle in genconf/serve (cluster-package-info.json), or null when it has none. */
export async function bundleConfigId(genconfDir: string): Promise<string | null> {
  const infoFile = path.join(genconfDir, 'serve', 'cluster-package-info.json');
  const info = await readFile(infoFile, 'utf8').catch(() => undefined);
  return info === undefined ? null : configIdFromPackageInfo(info, infoFile);
}

export interface InputContext {
  genconfDir: string;
  baseDir: string;
  args: ConfigValues;
}

/** One source of inputs: the inputs it provides, and how it reads them (I/O, checked). */
interface Source {
  provides: readonly StageInput[];
  read(ctx: InputContext): Promise<PlanFiles>;
}

function serveDir(ctx: InputContext): { serve: string; rel: string; runGenconf: string } {
  const serve = path.join(ctx.genconfDir, 'serve');
  const rel = path.relative(process.cwd(), serve) || serve;
  return { serve, rel, runGenconf: `run --genconf first to build ${rel}` };
}

const SOURCES: readonly Source[] = [
  {
    provides: ['installScript'],
    async read(ctx) {
      const { serve, rel, runGenconf } = serveDir(ctx);
      const installScript = path.join(serve, 'dcos_install.sh');
      await mustExist(installScript, path.join(rel, 'dcos_install.sh'), runGenconf);
      return { installScript };
    },
  },
  {
    provides: ['bundleTar', 'bundleSha256'],
    async read(ctx) {
      const { serve, rel, runGenconf } = serveDir(ctx);
      const bundleTar = path.join(serve, 'dcos-install.tar');
      await mustExist(bundleTar, path.join(rel, 'dcos-install.tar'), runGenconf);
      return { bundleTar, bundleSha256: await sha256File(bundleTar) };
    },
  },
  {
    provides: ['bundleConfigId'],
    async read(ctx) {
      const configId = await bundleConfigId(ctx.genconfDir);
      return configId !== null ? { bundleConfigId: configId } : {};
    },
  },
  {
    provides: ['pullUrl', 'installScriptSha256', 'installScriptSize', 'pullSettings'],
    async read(ctx) {
      const { pullFiles } = await import('../serve/pull.js');
      return pullFiles(serveDir(ctx).serve, ctx.args.bootstrap_url);
    },
  },
  {
    provides: ['ipDetect'],
    async read(ctx) {
      // The bundle's own ip-detect when the serve tree carries one, else the script config.yaml names.
      const inServe = path.join(ctx.genconfDir, 'serve', 'detect_ip');
      const configured = path.resolve(resolveConfigFile(ctx.args.ip_detect_filename ?? 'genconf/ip-detect', ctx).full);
      const ipDetect = existsSync(inServe) ? inServe : configured;
      await mustExist(
        ipDetect,
        'the ip-detect script',
        'set ip_detect_filename in config.yaml or write genconf/ip-detect',
      );
      return { ipDetect };
    },
  },
  {
    provides: ['faultDomainDetect'],
    async read(ctx) {
      // The fault-domain script travels in the bundle's dcos-config package; config_id covers its contents, so the
      // configured file is the one the bundle carries.
      if (!ctx.args.fault_domain_detect_contents) return {};
      const file = path.resolve(
        resolveConfigFile(ctx.args.fault_domain_detect_filename ?? 'genconf/fault-domain-detect', ctx).full,
      );
      return existsSync(file) ? { faultDomainDetect: file } : {};
    },
  },
  { provides: ['preflightScript'], read: async () => ({ preflightScript: remoteScriptPath('preflight.sh') }) },
  {
    provides: ['pullScript', 'pullLib'],
    read: async () => ({
      pullScript: remoteScriptPath('pull-install.sh'),
      pullLib: libScriptPath('fetch-artifacts.sh'),
    }),
  },
  { provides: ['uninstallScript'], read: async () => ({ uninstallScript: remoteScriptPath('uninstall.sh') }) },
  { provides: ['prereqsScript'], read: async () => ({ prereqsScript: remoteScriptPath('install-prereqs.sh') }) },
];

/** Read the given inputs, each source once, in the order SOURCES lists them (the first missing file is reported). */
export async function gatherInputs(wanted: readonly StageInput[], ctx: InputContext): Promise<PlanFiles> {
  let files: PlanFiles = {};
  for (const source of SOURCES) {
    if (!source.provides.some((k) => wanted.includes(k))) continue;
    files = { ...files, ...(await source.read(ctx)) };
  }
  return files;
}

/** Everything the stages of a workflow declared, required and optional. */
export function stageFiles(stages: readonly Stage[], ctx: InputContext): Promise<PlanFiles> {
  return gatherInputs(
    stages.flatMap((s) => [...s.inputs.required, ...(s.inputs.optional ?? [])]),
    ctx,
  );
}
