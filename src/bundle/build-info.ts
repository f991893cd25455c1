/**
 * Facts about this build that the bundle records. The original baked DCOS_IMAGE_COMMIT into its Docker image;
 * ours is derived from the package version, so every machine running the same release computes the same ids.
 */
import { packageVersion } from '../package-files.js';

export const DEFAULT_DCOS_VARIANT = 'open';

/** The `version` of our package.json. */
export function toolVersion(): string {
  return packageVersion();
}

/** Our stand-in for the original's image commit: part of config_id, and shown in dcos-metadata. */
export function dcosImageCommit(): string {
  return `dcos-genconf-${toolVersion()}`;
}
