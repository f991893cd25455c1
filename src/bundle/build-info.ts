/**
 * Facts about this build that the bundle records. The original baked DCOS_IMAGE_COMMIT into its Docker image;
 * ours is derived from the package version, so every machine running the same release computes the same ids.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEFAULT_DCOS_VARIANT = 'open';

let cached: string | undefined;

/** The `version` of our package.json, found upwards from this file (src/ under vitest, dist/src/ when built). */
export function toolVersion(): string {
  if (cached !== undefined) return cached;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'dcos-genconf' && typeof pkg.version === 'string') return (cached = pkg.version);
    } catch {
      // not here; keep looking upwards
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error('package.json of dcos-genconf not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

/** Our stand-in for the original's image commit: part of config_id, and shown in dcos-metadata. */
export function dcosImageCommit(): string {
  return `dcos-genconf-${toolVersion()}`;
}
