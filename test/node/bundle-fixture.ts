/**
 * Builds a small serve directory for the node tests, the way `genconf --genconf` lays one out, from the example
 * artifacts set plus a tiny stand-in config package (bin/detect_ip, etc/, etc_<role>/), so that dcos_install.sh can be
 * run against it without depending on the bundle writer. The install script is rendered with the real renderer.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ConfigValues } from '../../src/config/types.js';
import type { ArtifactManifest } from '../../src/bundle/manifest.js';
import { renderInstallScript, renderNodeUpgradeScript } from '../../src/bundle/install-script.js';
import { hashCheckoutList, tarXz, writeExampleArtifacts } from '../../scripts/example-artifacts.js';

export interface TestBundle {
  serveDir: string;
  args: ConfigValues;
  manifest: ArtifactManifest;
  packageIds: string[];
  configPackageId: string;
}

export const FIXED_ARGS: ConfigValues = {
  dcos_version: '1.11.14-dev',
  mesos_agent_work_dir: '/var/lib/mesos/slave',
  rexray_config_contents:
    '"rexray:\\n  loglevel: info\\n  modules:\\n    default-docker:\\n      disabled: true\\n\\\n  \\  service: vfs\\n"\n',
  cluster_docker_credentials: '{}',
  cluster_docker_credentials_dcos_owned: 'false',
  cluster_docker_credentials_write_to_etc: 'false',
  cluster_docker_credentials_enabled: 'false',
};

function sha256File(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** The manifest of every artifact under serveDir (bootstrap/, package_lists/, packages/), sorted by path. */
export function manifestOf(serveDir: string, bootstrapId: string, clusterPackageListId: string): ArtifactManifest {
  const files: ArtifactManifest['files'] = [];
  const walk = (rel: string): void => {
    for (const name of fs.readdirSync(path.join(serveDir, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const st = fs.statSync(path.join(serveDir, r));
      if (st.isDirectory()) walk(r);
      else files.push({ path: r, sha256: sha256File(path.join(serveDir, r)), size: st.size });
    }
  };
  for (const top of ['bootstrap', 'package_lists', 'packages']) walk(top);
  files.sort((a, b) => (a.path < b.path ? -1 : 1));
  return { bootstrapId, clusterPackageListId, files };
}

/**
 * serveDir gets: bootstrap/, packages/ (examples + config package), package_lists/, bootstrap.latest,
 * cluster-package-list.latest and dcos_install.sh rendered for bootstrap_url (default file:///opt/dcos_install_tmp,
 * where the tests copy the serve dir inside the sandbox, as the SSH deploy does).
 */
export async function buildTestBundle(
  serveDir: string,
  opts: { ip?: string; bootstrapUrl?: string; configVersion?: string; masterList?: string[] } = {},
): Promise<TestBundle> {
  const ip = opts.ip ?? '10.0.0.1';
  const artifacts = `${serveDir}.artifacts`;
  const example = await writeExampleArtifacts(artifacts);
  fs.mkdirSync(serveDir, { recursive: true });
  fs.cpSync(path.join(artifacts, 'bootstrap'), path.join(serveDir, 'bootstrap'), { recursive: true });
  fs.cpSync(path.join(artifacts, 'packages'), path.join(serveDir, 'packages'), { recursive: true });
  fs.rmSync(artifacts, { recursive: true, force: true });

  const configPackageId = `dcos-config--setup_${opts.configVersion ?? 'test1'}`;
  const detectIp = Buffer.from(`#!/bin/sh\necho ${ip}\n`);
  const masterList = JSON.stringify(opts.masterList ?? [ip]);
  const tarball = await tarXz([
    { name: 'bin/', type: 'directory', mode: 0o755 },
    { name: 'bin/detect_ip', type: 'file', mode: 0o755, content: detectIp },
    { name: 'etc/', type: 'directory', mode: 0o755 },
    { name: 'etc/master_list', type: 'file', mode: 0o644, content: Buffer.from(masterList) },
    { name: 'etc_master/', type: 'directory', mode: 0o755 },
    { name: 'etc_master/master_count', type: 'file', mode: 0o644, content: Buffer.from('1') },
    { name: 'etc_slave/', type: 'directory', mode: 0o755 },
    { name: 'etc_slave/slave-only.conf', type: 'file', mode: 0o644, content: Buffer.from('slave\n') },
    { name: 'etc_slave_public/', type: 'directory', mode: 0o755 },
    { name: 'etc_slave_public/public-only.conf', type: 'file', mode: 0o644, content: Buffer.from('public\n') },
    {
      name: 'pkginfo.json',
      type: 'file',
      mode: 0o644,
      content: Buffer.from(
        '{\n  "environment": {\n    "MESOS_IP_DISCOVERY_COMMAND": "/opt/mesosphere/bin/detect_ip",\n    "PROVIDER": "onprem"\n  }\n}\n',
      ),
    },
  ]);
  fs.mkdirSync(path.join(serveDir, 'packages', 'dcos-config'), { recursive: true });
  fs.writeFileSync(path.join(serveDir, 'packages', 'dcos-config', `${configPackageId}.tar.xz`), tarball);

  const packageIds = [...example.packageIds, configPackageId].sort();
  const listId = hashCheckoutList(packageIds);
  fs.mkdirSync(path.join(serveDir, 'package_lists'), { recursive: true });
  fs.writeFileSync(path.join(serveDir, 'package_lists', `${listId}.package_list.json`), JSON.stringify(packageIds));
  fs.writeFileSync(path.join(serveDir, 'bootstrap.latest'), example.bootstrapId);
  fs.writeFileSync(path.join(serveDir, 'cluster-package-list.latest'), listId);

  const args: ConfigValues = {
    ...FIXED_ARGS,
    bootstrap_url: opts.bootstrapUrl ?? 'file:///opt/dcos_install_tmp',
    bootstrap_id: example.bootstrapId,
    cluster_package_list_id: listId,
    ip_detect_contents: `'#!/bin/sh\n\n  echo ${ip}\n\n  '\n`,
  };
  const manifest = manifestOf(serveDir, example.bootstrapId, listId);
  fs.writeFileSync(path.join(serveDir, 'dcos_install.sh'), renderInstallScript(args, manifest), { mode: 0o755 });
  return { serveDir, args, manifest, packageIds, configPackageId };
}

export function writeUpgradeScript(bundle: TestBundle, fromVersion: string): string {
  const file = path.join(bundle.serveDir, 'upgrade', 'dcos_node_upgrade.sh');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, renderNodeUpgradeScript(bundle.args, bundle.manifest, fromVersion), { mode: 0o755 });
  return file;
}
