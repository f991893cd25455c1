/**
 * Custom check binaries (`genconf/check_bins/`, read and hashed with the other inputs in config/inputs.ts): shipped
 * as the package `custom-check-bins--<dirhash>` whose files land on the check search path of every node.
 */
import { checkBinsPackageId, type CheckBinsInput } from '../config/inputs.js';
import type { TarEntry } from './tar.js';

/** As the original spelled it in its arguments (relative to the directory holding genconf/). */
export const CHECK_BINS_DIR_ARG = 'genconf/check_bins/';

/** genconf/check_bins/ as validation read it, with its package id. */
export interface CheckBins extends CheckBinsInput {
  packageId: string;
}

export function checkBinsPackage(input: CheckBinsInput): CheckBins {
  return { ...input, packageId: checkBinsPackageId(input) };
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
