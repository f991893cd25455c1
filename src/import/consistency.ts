/**
 * After the layers: the facts the installer states (script header, the image's wrapper, gen/calc.py) and the
 * consistency of the merged /artifacts tree with them. Every problem is reported at once.
 */
import { lstat, readFile } from 'node:fs/promises';
import path from 'node:path';
import { isPackageIdError, packagePath, parsePackageId } from '../bundle/package-id.js';
import { ImportError } from './errors.js';
import { calcVersion, scriptVariant, wrapperExports } from './header.js';
import type { InstallerRecord } from '../bundle/installer-record.js';
import { variantPrefix } from '../bundle/installer-record.js';
import type { ImageTree } from './tree.js';

const BOOTSTRAP_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export interface Facts {
  installerName: string;
  imageName: string;
  layout: InstallerRecord['layout'];
  script: string;
}

export async function recordIfConsistent(tree: ImageTree, facts: Facts): Promise<InstallerRecord> {
  const problems: string[] = [];
  const wrapperText = tree.special('installer_internal_wrapper')?.toString('utf8');
  if (wrapperText === undefined) {
    throw new ImportError(
      'the image has no /installer_internal_wrapper, so its BOOTSTRAP_ID is unknown: this is not a DC/OS installer image',
    );
  }
  const env = wrapperExports(wrapperText);
  const bootstrapId = env.get('BOOTSTRAP_ID');
  const commit = env.get('DCOS_IMAGE_COMMIT');
  if (bootstrapId === undefined || !BOOTSTRAP_ID_RE.test(bootstrapId))
    problems.push(`/installer_internal_wrapper: no valid 'export BOOTSTRAP_ID=...' line`);
  if (commit === undefined || commit === '')
    problems.push(`/installer_internal_wrapper: no 'export DCOS_IMAGE_COMMIT=...' line`);

  // The variant: the script's `# variant:` line and the wrapper's BOOTSTRAP_VARIANT must agree when both speak.
  const fromScript = scriptVariant(facts.script);
  const fromWrapper = env.get('BOOTSTRAP_VARIANT');
  const norm = (v: string): string => (v === 'open' ? '' : v);
  let bootstrapVariant = '';
  if (fromWrapper !== undefined && fromScript !== undefined && norm(fromWrapper) !== norm(fromScript)) {
    problems.push(
      `the script's '# variant: ${fromScript}' line disagrees with the image's BOOTSTRAP_VARIANT='${fromWrapper}'`,
    );
  } else if (fromWrapper === undefined && fromScript === undefined) {
    problems.push(
      `neither a '# variant:' line in the script nor BOOTSTRAP_VARIANT in /installer_internal_wrapper: the variant is unknown`,
    );
  } else {
    bootstrapVariant = norm(fromWrapper ?? fromScript ?? '');
  }
  if (bootstrapVariant !== '' && !/^[A-Za-z0-9_-]+$/.test(bootstrapVariant))
    problems.push(`variant '${bootstrapVariant}' is not a valid variant name`);

  // The image's own name repeats the commit and the bootstrap id (18 characters each).
  const named = /^dcos-genconf\.([^-]+)-(.+)\.tar$/.exec(facts.imageName);
  if (named && bootstrapId && commit && (named[1] !== commit.slice(0, 18) || named[2] !== bootstrapId.slice(0, 18))) {
    problems.push(
      `the image is named ${facts.imageName} but its wrapper says DCOS_IMAGE_COMMIT=${commit} BOOTSTRAP_ID=${bootstrapId}`,
    );
  }

  let dcosVersion: string | null = null;
  for (const p of tree.specialPaths().sort())
    if (p.endsWith('/gen/calc.py')) dcosVersion = calcVersion(tree.special(p)!.toString('utf8')) ?? dcosVersion;

  const root = tree.root;
  const prefix = variantPrefix(bootstrapVariant);
  const completeRel = `complete/${prefix}complete.latest.json`;
  let packageIds: string[] = [];
  let completeBootstrap: string | undefined;
  const complete = await readJsonFile(root, completeRel, problems);
  if (complete !== undefined) {
    const c = complete as { bootstrap?: unknown; packages?: unknown };
    if (!Array.isArray(c?.packages) || !c.packages.every((x) => typeof x === 'string'))
      problems.push(`/artifacts/${completeRel}: "packages" must be a list of package ids`);
    else packageIds = c.packages;
    if (typeof c?.bootstrap === 'string') completeBootstrap = c.bootstrap;
  }
  for (const id of packageIds) {
    const p = parsePackageId(id);
    if (isPackageIdError(p)) problems.push(`/artifacts/${completeRel}: package id '${id}' ${p.error}`);
    else if (!(await isFile(path.join(root, packagePath(p)))))
      problems.push(`/artifacts/${completeRel} lists ${id} but /artifacts/${packagePath(p)} is missing`);
  }
  if (bootstrapId !== undefined) {
    if (completeBootstrap !== undefined && completeBootstrap !== bootstrapId) {
      problems.push(
        `/artifacts/${completeRel} says bootstrap '${completeBootstrap}' but the wrapper's BOOTSTRAP_ID is '${bootstrapId}'`,
      );
    }
    const latestRel = `bootstrap/${prefix}bootstrap.latest`;
    const latest = await readFile(path.join(root, latestRel), 'utf8').then(
      (s) => s.trim(),
      () => undefined,
    );
    if (latest !== undefined && latest !== bootstrapId)
      problems.push(`/artifacts/${latestRel} says '${latest}' but the wrapper's BOOTSTRAP_ID is '${bootstrapId}'`);
    for (const rel of [`bootstrap/${bootstrapId}.bootstrap.tar.xz`, `bootstrap/${bootstrapId}.active.json`]) {
      if (!(await isFile(path.join(root, rel))))
        problems.push(`/artifacts/${rel} (the wrapper's BOOTSTRAP_ID) is missing`);
    }
  }
  if (problems.length > 0) {
    throw new ImportError(
      `${facts.installerName} is not a consistent DC/OS installer:\n  ${problems.sort().join('\n  ')}`,
    );
  }
  return {
    installer: facts.installerName,
    image: facts.imageName,
    layout: facts.layout,
    dcos_version: dcosVersion,
    variant: bootstrapVariant === '' ? 'open' : bootstrapVariant,
    bootstrap_variant: bootstrapVariant,
    bootstrap_id: bootstrapId!,
    dcos_image_commit: commit!,
    package_ids: [...packageIds].sort(),
    gen_extra: tree.files('gen_extra').map((p) => p.slice('gen_extra/'.length)),
  };
}

async function isFile(p: string): Promise<boolean> {
  const s = await lstat(p).catch(() => undefined);
  return s?.isFile() === true;
}

async function readJsonFile(root: string, rel: string, problems: string[]): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path.join(root, rel), 'utf8');
  } catch {
    problems.push(`/artifacts/${rel} is missing`);
    return undefined;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    problems.push(`/artifacts/${rel} is not valid JSON: ${(err as Error).message}`);
    return undefined;
  }
}
