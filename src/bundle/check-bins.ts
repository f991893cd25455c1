/**
 * Custom check binaries (`genconf/check_bins/`): shipped as the package
 * `custom-check-bins--<dirhash>` whose files land on the check search path of every node.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../errors.js';
import { digestFile, sha1Hex } from './digest.js';
import type { TarEntry } from './tar.js';

export const CHECK_BINS_PACKAGE_NAME = 'custom-check-bins';
/** As the original spelled it in its arguments (relative to the directory holding genconf/). */
export const CHECK_BINS_DIR_ARG = 'genconf/check_bins/';

export interface CheckBins {
  dir: string;
  /** checksumdir's sha1 dirhash: sha1 of the sorted per-file sha1 hex digests, concatenated. */
  hash: string;
  packageId: string;
  files: { name: string; abs: string; size: number }[];
}

/** Undefined when `<genconf>/check_bins` does not exist. */
export async function loadCheckBins(genconfDir: string): Promise<CheckBins | undefined> {
  const dir = path.join(genconfDir, 'check_bins');
  const st = await stat(dir).catch(() => undefined);
  if (!st) return undefined;
  const shown = path.join(path.basename(genconfDir), 'check_bins');
  if (!st.isDirectory()) throw new InputError(`${shown} must be a directory`, dir);
  const names = (await readdir(dir)).sort();
  const files: CheckBins['files'] = [];
  const digests: string[] = [];
  for (const name of names) {
    const abs = path.join(dir, name);
    const s = await stat(abs);
    if (!s.isFile()) throw new InputError(`${shown} must not contain any subdirectories (found ${name})`, abs);
    if (name === 'pkginfo.json')
      throw new InputError(`${shown} must not contain a file named pkginfo.json: the package needs that name`, abs);
    files.push({ name, abs, size: s.size });
    digests.push((await digestFile(abs, 'sha1')).hex);
  }
  const hash = sha1Hex(digests.sort().join(''));
  return { dir, hash, packageId: `${CHECK_BINS_PACKAGE_NAME}--${hash}`, files };
}

/** Package members: every check binary executable at the package root, plus an empty pkginfo.json. */
export function checkBinsEntries(bins: CheckBins): TarEntry[] {
  return [
    ...bins.files.map((f): TarEntry => ({
      name: f.name,
      type: 'file',
      mode: 0o755,
      source: { kind: 'file', path: f.abs, size: f.size },
    })),
    { name: 'pkginfo.json', type: 'file', mode: 0o644, source: { kind: 'bytes', data: Buffer.from('{}') } },
  ];
}
