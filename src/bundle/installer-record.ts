/**
 * `installer.json`: what the import learned from the installer, written at the root of the artifacts directory.
 * `--genconf` reads it so that the bundle carries the installer's bootstrap id, variant and image commit, as the
 * original did with the BOOTSTRAP_ID / BOOTSTRAP_VARIANT / DCOS_IMAGE_COMMIT its wrapper exported.
 */
export const RECORD_NAME = 'installer.json';

export interface InstallerRecord {
  /** Basename of the installer file it came from. */
  installer: string;
  /** The image tar inside the installer, e.g. dcos-genconf.<commit18>-<bootstrap18>.tar. */
  image: string;
  layout: 'docker-save' | 'oci';
  /** dcos_version from the image's gen/calc.py; null when the image does not say. */
  dcos_version: string | null;
  /** `open` when BOOTSTRAP_VARIANT is empty, else BOOTSTRAP_VARIANT. */
  variant: string;
  bootstrap_variant: string;
  bootstrap_id: string;
  dcos_image_commit: string;
  package_ids: string[];
  /** Files of the image's /gen_extra (kept under gen_extra/), relative to it. */
  gen_extra: string[];
}

/** File-name prefix of the variant's `bootstrap.latest` and `complete.latest.json` (pkgpanda's variant_prefix). */
export function variantPrefix(bootstrapVariant: string): string {
  return bootstrapVariant === '' ? '' : `${bootstrapVariant}.`;
}

/** Validates a parsed installer.json; returns the problems (empty when it is usable). */
export function recordProblems(v: unknown): string[] {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return [`${RECORD_NAME}: must be a JSON object`];
  const r = v as Record<string, unknown>;
  const problems: string[] = [];
  for (const k of [
    'installer',
    'image',
    'variant',
    'bootstrap_variant',
    'bootstrap_id',
    'dcos_image_commit',
  ] as const) {
    if (typeof r[k] !== 'string') problems.push(`${RECORD_NAME}: "${k}" must be a string`);
  }
  if (r.dcos_version !== null && typeof r.dcos_version !== 'string')
    problems.push(`${RECORD_NAME}: "dcos_version" must be a string or null`);
  for (const k of ['package_ids', 'gen_extra'] as const) {
    if (!Array.isArray(r[k]) || !(r[k] as unknown[]).every((x) => typeof x === 'string'))
      problems.push(`${RECORD_NAME}: "${k}" must be a list of strings`);
  }
  return problems;
}
