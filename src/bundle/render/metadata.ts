/** The dcos-metadata package: which DC/OS build this cluster runs. */

import { lines } from './config-reader.js';
import type { BundleEntry, RenderContext } from './types.js';
import { file } from './types.js';

export function renderMetadata(ctx: RenderContext): BundleEntry[] {
  return [
    file(
      'etc/dcos-version.json',
      lines(
        '{',
        `  "version": ${JSON.stringify(ctx.dcosVersion)},`,
        `  "dcos-image-commit": ${JSON.stringify(ctx.dcosImageCommit)},`,
        `  "bootstrap-id": ${JSON.stringify(ctx.bootstrapId)},`,
        `  "dcos-variant": ${JSON.stringify(ctx.dcosVariant)}`,
        '}',
      ),
    ),
    file(
      'pkginfo.json',
      lines(
        '{',
        '  "environment": {',
        `    "DCOS_VERSION": ${JSON.stringify(ctx.dcosVersion)},`,
        `    "DCOS_IMAGE_COMMIT": ${JSON.stringify(ctx.dcosImageCommit)},`,
        `    "DCOS_VARIANT": ${JSON.stringify(ctx.dcosVariant)}`,
        '  }',
        '}',
      ),
    ),
  ];
}
