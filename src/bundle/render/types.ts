/**
 * Shapes shared by the config-package renderers and by the bundle writer, which takes the renderers
 * (src/bundle/render for the config packages, src/bundle/install-script.ts for the node scripts) as a
 * `Renderers` value rather than importing them, so the writer's file-level behaviour (atomic swap,
 * determinism, streaming) is tested on its own.
 */
import type { ConfigValues } from '../../config/types.js';
import type { ArtifactManifest } from '../manifest.js';

/** One file of a package: path relative to the package root, '/'-separated; directories are implied. */
export interface BundleEntry {
  path: string;
  mode: number;
  content: Buffer | string;
}

/**
 * What the renderers need besides the finalized arguments: the ids and lists that only exist once the
 * artifacts are read and the config id is computed (they are not inputs of config_id, so they cannot be
 * arguments in the hashing sense; the original added them to its argument dict afterwards).
 */
export interface RenderContext {
  bootstrapId: string;
  dcosImageCommit: string;
  dcosVersion: string;
  dcosVariant: string;
  configId: string;
  clusterPackageListId: string;
  /** Sorted ids of every cluster package, config packages included. */
  clusterPackages: string[];
  /** Ids of the packages from the artifacts (complete.latest.json plus custom-check-bins). */
  packageIds: string[];
  /** Pretty JSON text of the template file names, as the original stored it. */
  templateFilenames: string;
  /** Pretty JSON text of the config package names, as the original stored it. */
  configPackageNames: string;
}

export const MODE_FILE = 0o644;
export const MODE_EXEC = 0o755;
export const MODE_SECRET = 0o600;

export function file(path: string, content: string, mode: number = MODE_FILE): BundleEntry {
  return { path, mode, content };
}

/** One member of a rendered package as the writer takes it. `mode` is a number or an octal string such as '0644'. */
export interface RenderedEntry {
  path: string;
  mode: number | string;
  content: Buffer | string;
}

export interface Renderers {
  renderConfigPackage(args: ConfigValues, userArgs: ConfigValues, ctx: RenderContext): RenderedEntry[];
  renderMetadataPackage(args: ConfigValues, ctx: RenderContext): RenderedEntry[];
  renderInstallScript(args: ConfigValues, manifest: ArtifactManifest): string;
  renderNodeUpgradeScript(args: ConfigValues, manifest: ArtifactManifest, fromVersion: string): string;
}
