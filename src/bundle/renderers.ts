/**
 * What the bundle writer needs from the renderers (src/bundle/render for the config packages,
 * src/bundle/install-script.ts for the node scripts). Passed in rather than imported, so the writer's
 * file-level behaviour (atomic swap, determinism, streaming) is tested on its own.
 */
import type { Arguments } from '../config/types.js';
import type { ArtifactManifest } from './manifest.js';

/** Values the config packages embed that are not config arguments. */
export interface RenderContext {
  bootstrapId: string;
  dcosImageCommit: string;
  dcosVersion: string;
  dcosVariant: string;
  configId: string;
  clusterPackageListId: string;
  clusterPackages: string[];
  packageIds: string[];
  /** Pretty JSON text of the template file names, as the original stored it. */
  templateFilenames: string;
  /** Pretty JSON text of the config package names. */
  configPackageNames: string;
}

/** One member of a rendered package. `mode` is a number or an octal string such as '0644'. */
export interface RenderedEntry {
  path: string;
  mode: number | string;
  content: Buffer | string;
}

export interface Renderers {
  renderConfigPackage(args: Arguments, userArgs: Arguments, ctx: RenderContext): RenderedEntry[];
  renderMetadataPackage(args: Arguments, ctx: RenderContext): RenderedEntry[];
  renderInstallScript(args: Arguments, manifest: ArtifactManifest): string;
  renderNodeUpgradeScript(args: Arguments, manifest: ArtifactManifest, fromVersion: string): string;
}
