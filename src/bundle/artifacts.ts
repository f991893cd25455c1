/**
 * The DC/OS artifacts the original carried inside its Docker image, read from a directory with the same layout:
 *
 *   bootstrap.latest                          the bootstrap id
 *   bootstrap/<bootstrap_id>.bootstrap.tar.xz
 *   bootstrap/<bootstrap_id>.active.json
 *   complete/complete.latest.json             {"bootstrap": "<id>", "packages": ["<name>--<version>", ...]}
 *   packages/<name>/<name>--<version>.tar.xz  one per package id
 *
 * A tree made by --import-installer is the image's /artifacts as is, plus installer.json (what the installer's
 * wrapper declared): its bootstrap id wins over bootstrap.latest, and its variant names the variant's files
 * (`bootstrap/<variant.>bootstrap.latest`, `complete/<variant.>complete.latest.json`), as in the original.
 *
 * Everything wrong is reported at once, naming each missing path, because fixing one problem per run is slow.
 */
import { packageRoot } from '../package-files.js';
import { existsSync } from 'node:fs';
import { lstat, stat } from 'node:fs/promises';
import path from 'node:path';
import pLimit from 'p-limit';
import { INPUT_LIMITS, InputFileError, readInputFile } from '../config/input-file.js';
import { InputError } from '../errors.js';
import { digestFile } from './digest.js';
import { isPackageIdError, packagePath, parsePackageId, type PackageId } from './package-id.js';
import { RECORD_NAME, recordProblems, variantPrefix, type InstallerRecord } from './installer-record.js';

/** Package names the bundle writer generates itself; an artifacts set must not bring its own. */
export const GENERATED_PACKAGE_NAMES: readonly string[] = ['dcos-config', 'dcos-metadata', 'custom-check-bins'];

const BOOTSTRAP_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export interface ArtifactRef {
  /** Path relative to the artifacts dir, which is also its path in the serve dir. */
  rel: string;
  abs: string;
  sha256: string;
  size: number;
  /** Permission bits on disk (decides whether the file can be hard-linked into the served tree). */
  mode: number;
}

export interface ArtifactSet {
  dir: string;
  bootstrapId: string;
  bootstrap: ArtifactRef;
  activeJson: ArtifactRef;
  /** Sorted by package id. */
  packages: (PackageId & { file: ArtifactRef })[];
  /** Present when the set was imported from an official installer. */
  installer?: InstallerRecord;
}

/**
 * How to write the example set from here: in a clone of the repository (src/ beside dist/) `npm run`; in an
 * installed package its own bin, which is on the PATH with `genconf` (never `npx`, which would ask the registry).
 */
export function exampleArtifactsCommand(dir: string, root: string = packageRoot()): string {
  return existsSync(path.join(root, 'src', 'main.ts'))
    ? `npm run example-artifacts -- ${dir}`
    : `genconf-example-artifacts ${dir}`;
}

export const EXAMPLE_ARTIFACTS_HINT = (dir: string): string =>
  `point --artifacts at a DC/OS 1.11 artifacts directory, or write the small example set with: ${exampleArtifactsCommand(dir)}`;

export interface LoadArtifactsOptions {
  /** bootstrap_id from config.yaml, which wins over bootstrap.latest (as BOOTSTRAP_ID did in the original). */
  bootstrapIdOverride?: string;
  /** Stops hashing a large artifacts set on Ctrl-C. */
  signal?: AbortSignal;
}

export async function loadArtifacts(dir: string, opts: LoadArtifactsOptions = {}): Promise<ArtifactSet> {
  const where = `artifacts directory ${dir}`;
  const st = await stat(dir).catch(() => undefined);
  if (!st) throw new InputError(`${where} does not exist`, dir, EXAMPLE_ARTIFACTS_HINT(dir));
  if (!st.isDirectory()) throw new InputError(`${where} is not a directory`, dir, EXAMPLE_ARTIFACTS_HINT(dir));

  const problems: string[] = [];
  const installer = await readInstallerRecord(dir, problems);
  const prefix = variantPrefix(installer?.bootstrap_variant ?? '');
  const completeRel = `complete/${prefix}complete.latest.json`;
  const complete = await readJson(dir, completeRel, problems);
  let completeBootstrap: string | undefined;
  let ids: string[] = [];
  if (complete !== undefined) {
    if (typeof complete !== 'object' || complete === null || Array.isArray(complete)) {
      problems.push(`${completeRel}: must be a JSON object {"bootstrap": "<id>", "packages": [...]}`);
    } else {
      const c = complete as Record<string, unknown>;
      if (c.bootstrap !== undefined) {
        if (typeof c.bootstrap === 'string') completeBootstrap = c.bootstrap;
        else problems.push(`${completeRel}: "bootstrap" must be a string`);
      }
      if (!Array.isArray(c.packages) || !c.packages.every((p) => typeof p === 'string')) {
        problems.push(`${completeRel}: "packages" must be a list of package ids (strings)`);
      } else ids = c.packages;
    }
  }

  const readLatest = (rel: string): Promise<string | undefined> =>
    readInputFile(path.join(dir, rel), INPUT_LIMITS.artifactMeta).then(
      (b) => b.toString('utf8').trim(),
      (err: unknown) => {
        if (err instanceof InputFileError && err.problem !== 'missing') problems.push(`${rel} ${err.reason}`);
        return undefined;
      },
    );
  const latest =
    installer?.bootstrap_id ??
    (await readLatest('bootstrap.latest')) ??
    (await readLatest(`bootstrap/${prefix}bootstrap.latest`));
  let bootstrapId = opts.bootstrapIdOverride ?? latest ?? completeBootstrap;
  if (opts.bootstrapIdOverride === undefined) {
    if (latest === undefined && completeBootstrap === undefined) {
      problems.push('missing bootstrap.latest (a file holding the bootstrap id)');
    } else if (latest !== undefined && completeBootstrap !== undefined && latest !== completeBootstrap) {
      problems.push(
        `bootstrap.latest says '${latest}' but ${completeRel} says '${completeBootstrap}': they must agree`,
      );
    }
  }
  if (bootstrapId !== undefined && !BOOTSTRAP_ID_RE.test(bootstrapId)) {
    problems.push(`bootstrap id '${bootstrapId}' is not valid: it must match ${BOOTSTRAP_ID_RE.source}`);
    bootstrapId = undefined;
  }

  const packages: PackageId[] = [];
  const seenNames = new Map<string, string>();
  for (const id of ids) {
    const p = parsePackageId(id);
    if (isPackageIdError(p)) {
      problems.push(`${completeRel}: package id '${id}' ${p.error}`);
      continue;
    }
    if (GENERATED_PACKAGE_NAMES.includes(p.name)) {
      problems.push(`${completeRel}: package '${id}' has a name reserved for the packages genconf generates`);
      continue;
    }
    const other = seenNames.get(p.name);
    if (other !== undefined) {
      problems.push(
        `${completeRel}: package name '${p.name}' is listed twice ('${other}' and '${id}'); a cluster runs one version of each`,
      );
      continue;
    }
    seenNames.set(p.name, id);
    packages.push(p);
  }
  packages.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

  const wanted: string[] = [];
  if (bootstrapId !== undefined)
    wanted.push(`bootstrap/${bootstrapId}.bootstrap.tar.xz`, `bootstrap/${bootstrapId}.active.json`);
  for (const p of packages) wanted.push(packagePath(p));
  const found = new Map<string, { size: number; mode: number }>();
  await Promise.all(
    wanted.map(async (rel) => {
      // lstat: a link would be hard-linked into serve/ as a link, which a web server follows anywhere.
      const s = await lstat(path.join(dir, rel)).catch(() => undefined);
      if (!s) problems.push(`missing ${rel}`);
      else if (s.isSymbolicLink())
        problems.push(
          `${rel} is a symbolic link; genconf serves only regular files: copy the file itself into the artifacts directory`,
        );
      else if (!s.isFile()) problems.push(`${rel} is not a regular file`);
      else found.set(rel, { size: s.size, mode: s.mode & 0o7777 });
    }),
  );

  if (bootstrapId !== undefined && found.has(`bootstrap/${bootstrapId}.active.json`)) {
    const active = await readJson(dir, `bootstrap/${bootstrapId}.active.json`, problems);
    if (active !== undefined && !(Array.isArray(active) && active.every((x) => typeof x === 'string'))) {
      problems.push(`bootstrap/${bootstrapId}.active.json: must be a JSON list of package ids`);
    }
  }

  if (installer && installer.gen_extra.length > 0) {
    throw new InputError(
      `${where} comes from ${installer.installer}, whose image has gen_extra/ calculation overrides (${installer.gen_extra.join(', ')}): ` +
        'this tool cannot apply them, and a bundle without them would not be what the original installer makes',
      dir,
      'Enterprise installers carry gen_extra/; use an open DC/OS installer, or the original installer for Enterprise',
    );
  }
  if (problems.length > 0 || bootstrapId === undefined) {
    problems.sort();
    throw new InputError(
      `${where} is incomplete or invalid:\n  ${problems.join('\n  ')}`,
      dir,
      EXAMPLE_ARTIFACTS_HINT(dir),
    );
  }

  // Every artifact is hashed once per run: the digests feed config_id, SHA256SUMS and the install script's
  // checks. A few at a time keeps several disks busy without thrashing one.
  const limit = pLimit(4);
  const refs = new Map<string, ArtifactRef>();
  await Promise.all(
    wanted.map((rel) =>
      limit(async () => {
        const abs = path.join(dir, rel);
        const d = await digestFile(abs, 'sha256', opts.signal);
        refs.set(rel, { rel, abs, sha256: d.hex, size: d.size, mode: found.get(rel)!.mode });
      }),
    ),
  );
  return {
    dir,
    bootstrapId,
    bootstrap: refs.get(`bootstrap/${bootstrapId}.bootstrap.tar.xz`)!,
    activeJson: refs.get(`bootstrap/${bootstrapId}.active.json`)!,
    packages: packages.map((p) => ({ ...p, file: refs.get(packagePath(p))! })),
    ...(installer ? { installer } : {}),
  };
}

async function readInstallerRecord(dir: string, problems: string[]): Promise<InstallerRecord | undefined> {
  const text = await readInputFile(path.join(dir, RECORD_NAME), INPUT_LIMITS.artifactMeta).then(
    (b) => b.toString('utf8'),
    (err: unknown) => {
      if (err instanceof InputFileError && err.problem !== 'missing') problems.push(`${RECORD_NAME} ${err.reason}`);
      return undefined;
    },
  );
  if (text === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    problems.push(`${RECORD_NAME}: not valid JSON: ${(err as Error).message}`);
    return undefined;
  }
  const bad = recordProblems(v);
  if (bad.length > 0) {
    problems.push(...bad);
    return undefined;
  }
  return v as InstallerRecord;
}

async function readJson(dir: string, rel: string, problems: string[]): Promise<unknown> {
  let text: string;
  try {
    text = (await readInputFile(path.join(dir, rel), INPUT_LIMITS.artifactMeta)).toString('utf8');
  } catch (err) {
    if (err instanceof InputFileError)
      problems.push(err.problem === 'missing' ? `missing ${rel}` : `${rel} ${err.reason}`);
    else problems.push(`${rel}: cannot read: ${(err as Error).message}`);
    return undefined;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    problems.push(`${rel}: not valid JSON: ${(err as Error).message}`);
    return undefined;
  }
}
