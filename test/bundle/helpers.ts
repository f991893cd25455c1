/** Test fixtures for the bundle writer: a tiny artifacts set in the real layout, and small renderers. */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ConfigValues } from '../../src/config/types.js';
import type { ArtifactManifest } from '../../src/bundle/manifest.js';
import type { RenderContext, RenderedEntry, Renderers } from '../../src/bundle/render/types.js';
import { fileEntry, writePackage } from '../../src/bundle/tar.js';

export async function tempDir(prefix = 'genconf-test-'): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

export interface ArtifactSpec {
  bootstrapId?: string;
  packages?: string[];
  /** Extra bytes in each package (to vary contents without changing ids). */
  salt?: string;
}

/** Writes an artifacts dir: real .tar.xz bootstrap and packages, bootstrap.latest, complete.latest.json. */
export async function makeArtifacts(
  dir: string,
  spec: ArtifactSpec = {},
): Promise<{ bootstrapId: string; packages: string[] }> {
  const bootstrapId = spec.bootstrapId ?? '0123456789abcdef0123456789abcdef01234567';
  const packages = spec.packages ?? ['mesos--1.5.0', 'dcos-net--abc_1'];
  await mkdir(path.join(dir, 'bootstrap'), { recursive: true });
  await mkdir(path.join(dir, 'complete'), { recursive: true });
  await writePackage(
    [
      fileEntry('bin/pkgpanda', 0o755, '#!/bin/sh\necho pkgpanda stand-in\n'),
      fileEntry('active.buildinfo.full.json', 0o644, '{}'),
    ],
    path.join(dir, 'bootstrap', `${bootstrapId}.bootstrap.tar.xz`),
  );
  await writeFile(path.join(dir, 'bootstrap', `${bootstrapId}.active.json`), JSON.stringify(packages));
  await writeFile(path.join(dir, 'bootstrap.latest'), bootstrapId);
  await writeFile(
    path.join(dir, 'complete', 'complete.latest.json'),
    JSON.stringify({ bootstrap: bootstrapId, packages }),
  );
  for (const id of packages) {
    const name = id.split('--')[0]!;
    await mkdir(path.join(dir, 'packages', name), { recursive: true });
    await writePackage(
      [
        fileEntry('pkginfo.json', 0o644, '{}'),
        fileEntry(`bin/${name}`, 0o755, `#!/bin/sh\necho ${id} ${spec.salt ?? ''}\n`),
      ],
      path.join(dir, 'packages', name, `${id}.tar.xz`),
    );
  }
  return { bootstrapId, packages };
}

/** A genconf dir with an ip-detect script (config.yaml is not read by the writer itself). */
export async function makeGenconf(dir: string, ipDetect = '#!/bin/sh\necho 10.0.0.1\n'): Promise<string> {
  const genconf = path.join(dir, 'genconf');
  await mkdir(genconf, { recursive: true });
  await writeFile(path.join(genconf, 'ip-detect'), ipDetect);
  return genconf;
}

/** Finalized arguments as validation would give them, for the parts the fake renderers use. */
export function fakeArgs(ipDetect = '#!/bin/sh\necho 10.0.0.1\n'): { args: ConfigValues; userArgs: ConfigValues } {
  const userArgs = { cluster_name: 'test', bootstrap_url: 'http://10.0.0.100:8080', master_list: '["10.0.0.1"]' };
  return {
    userArgs,
    args: {
      ...userArgs,
      ip_detect_contents: ipDetect,
      dcos_version: '1.11.14-dev',
      dcos_variant: 'open',
      num_masters: '1',
    },
  };
}

/** Small renderers standing in for src/bundle/render and install-script.ts: same shapes, few files. */
export const fakeRenderers: Renderers = {
  renderConfigPackage(args: ConfigValues, userArgs: ConfigValues, ctx: RenderContext): RenderedEntry[] {
    return [
      { path: '/pkginfo.json', mode: '0644', content: '{"environment":{}}' },
      { path: '/bin/detect_ip', mode: 0o755, content: args.ip_detect_contents ?? '' },
      {
        path: '/etc/user.config.yaml',
        mode: 0o644,
        content: Object.keys(userArgs)
          .sort()
          .map((k) => `${k}: ${userArgs[k]}\n`)
          .join(''),
      },
      { path: '/etc/user.config.full.yaml', mode: 0o600, content: 'secret: x\n' },
      { path: '/etc_master/cluster', mode: 0o644, content: `${ctx.clusterPackageListId}\n` },
    ];
  },
  renderMetadataPackage(_args: ConfigValues, ctx: RenderContext): RenderedEntry[] {
    return [
      {
        path: '/pkginfo.json',
        mode: 0o644,
        content: JSON.stringify({ environment: { DCOS_VERSION: ctx.dcosVersion } }),
      },
      { path: '/etc/dcos-version.json', mode: 0o644, content: JSON.stringify({ 'bootstrap-id': ctx.bootstrapId }) },
    ];
  },
  renderInstallScript(args: ConfigValues, manifest: ArtifactManifest): string {
    return `#!/bin/bash\n# ${args.bootstrap_url}\n${manifest.files.map((f) => `${f.sha256}  ${f.path}`).join('\n')}\n`;
  },
  renderNodeUpgradeScript(_args: ConfigValues, manifest: ArtifactManifest, fromVersion: string): string {
    return `#!/bin/bash\n# upgrade from ${fromVersion} to ${manifest.clusterPackageListId}\n`;
  },
};
