/** The real renderers, wired for the commands. Kept apart so the writer's tests need not load the templates. */
import { renderConfigPackage, renderMetadataPackage } from './render/index.js';
import { renderInstallScript, renderNodeUpgradeScript } from './install-script.js';
import type { Renderers } from './render/types.js';

export const renderers: Renderers = {
  renderConfigPackage,
  renderMetadataPackage,
  renderInstallScript,
  renderNodeUpgradeScript,
};
