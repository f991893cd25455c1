/**
 * `--genconf`'s bundle writer: artifacts + finalized arguments → genconf/serve/, plus the
 * deterministic dcos-install.tar and SHA256SUMS. The whole tree is built in a temp dir and swapped in at the end
 * (serve-dir.ts). Artifacts are hard-linked or copied by the kernel and hashed as streams: memory does not grow
 * with their size.
 */
import { randomBytes } from 'node:crypto';
import { chmod, copyFile, link, mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ConfigValues } from '../config/types.js';
import { InterruptedError } from '../errors.js';
import { loadArtifacts, type ArtifactRef, type ArtifactSet } from './artifacts.js';
import { DCOS_VERSION } from '../dcos-version.js';
import { dcosImageCommit, DEFAULT_DCOS_VARIANT } from './build-info.js';
import { CHECK_BINS_PACKAGE_NAME, type CheckBinsInput } from '../config/inputs.js';
import { CHECK_BINS_DIR_ARG, checkBinsEntries, checkBinsPackage, type CheckBins } from './check-bins.js';
import { sha256Hex } from './digest.js';
import { CONFIG_PACKAGE_NAMES, computeIds, TEMPLATE_FILENAMES, type BundleIds } from './ids.js';
import { formatSums, INSTALL_TAR_NAME, SUMS_NAME, writeInstallTar, type ServedFile } from './install-tar.js';
import type { ArtifactManifest } from './manifest.js';
import { packagePath, parsePackageId, type PackageId } from './package-id.js';
import { pyFromJson } from '../pycompat/py.js';
import { pyJsonDumps, pyJsonPretty } from '../pycompat/json.js';
import type { RenderContext, RenderedEntry, Renderers } from './render/types.js';
import { beginServeWork } from './serve-dir.js';
import { writePackage, type TarEntry } from './tar.js';

export interface BuildOptions {
  genconfDir: string;
  artifactsDir: string;
  /** Finalized arguments from validation (DC/OS 1.11 names, string values). */
  args: ConfigValues;
  /** The keys the user wrote (source of user.config.yaml). */
  userArgs: ConfigValues;
  /** genconf/check_bins/ as validation read it (validation also put its package on the check search path). */
  checkBins?: CheckBinsInput;
  renderers: Renderers;
  /** With --generate-node-upgrade-script: the DC/OS version the cluster upgrades from. */
  upgradeFrom?: string;
  signal?: AbortSignal;
  /** Progress lines, as the original logged them. */
  log?: (line: string) => void;
}

export interface BuildResult {
  configId: string;
  clusterPackageListId: string;
  clusterPackages: string[];
  bootstrapId: string;
  serveDir: string;
  tarball: { path: string; sha256: string; size: number };
  /** Every file of the serve tree listed in SHA256SUMS, sorted by path. */
  files: ServedFile[];
  /** Content of cluster-package-info.json and genconf/cluster_packages.json. */
  clusterPackageInfo: Record<string, { filename: string; id: string }>;
  upgrade?: { path: string; url: string };
}

/**
 * The arguments the bundle adds: everything that comes from the artifacts, genconf/check_bins and this build.
 * Validation leaves these blank (the user may not set them). The check search path and the checks config derived
 * from it were computed once, by validation, which read genconf/check_bins/.
 */
export function bundleArguments(
  args: ConfigValues,
  artifacts: ArtifactSet,
  checkBins: CheckBins | undefined,
): Record<string, string> {
  const packageIds = artifacts.packages.map((p) => p.id);
  if (checkBins) packageIds.push(checkBins.packageId);
  // From an imported installer, the facts its wrapper exported, as the original took them from its environment.
  const installer = artifacts.installer;
  const out: Record<string, string> = {
    ...args,
    ...(installer?.dcos_version ? { dcos_version: installer.dcos_version } : {}),
    bootstrap_id: artifacts.bootstrapId,
    bootstrap_variant: installer?.bootstrap_variant ?? '',
    package_ids: pyJsonDumps(pyFromJson(packageIds)),
    dcos_image_commit: installer?.dcos_image_commit ?? dcosImageCommit(),
    template_filenames: pyJsonPretty(pyFromJson(TEMPLATE_FILENAMES)),
    config_package_names: pyJsonPretty(pyFromJson(CONFIG_PACKAGE_NAMES)),
    custom_check_bins_dir: CHECK_BINS_DIR_ARG,
    custom_check_bins_package_name: CHECK_BINS_PACKAGE_NAME,
    custom_check_bins_provided: checkBins ? 'true' : 'false',
    custom_check_bins_hash: checkBins?.hash ?? '',
    custom_check_bins_package_id: checkBins?.packageId ?? '',
  };
  return out;
}

/** ConfigValues validation resolves to absolute paths on this machine, for the SSH runner. */
const RUNNER_PATH_KEYS: readonly string[] = ['ssh_key_path'];

/**
 * Runner paths inside the project directory are stored relative to it, as DC/OS 1.11 stored them
 * (`genconf/ssh_key`): the bundle and its ids must not depend on where the project lives, and such paths mean
 * nothing on a node. Only named keys: a general rule would also rewrite node paths (`/var/lib/mesos/...`) when
 * the project happens to live under `/var`.
 */
export function relativizeProjectPaths(args: ConfigValues, baseDir: string): Record<string, string> {
  const out: Record<string, string> = { ...args };
  for (const k of RUNNER_PATH_KEYS) {
    const v = args[k];
    if (v === undefined || !path.isAbsolute(v)) continue;
    const rel = path.relative(baseDir, v);
    if (rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel)) out[k] = rel.split(path.sep).join('/');
  }
  return out;
}

/** Rendered package members → tar members: leading `/` dropped, modes numeric. */
export function toTarEntries(rendered: readonly RenderedEntry[]): TarEntry[] {
  return rendered.map((e): TarEntry => {
    const mode = typeof e.mode === 'number' ? e.mode : parseInt(e.mode, 8);
    if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777)
      throw new Error(`bad mode ${String(e.mode)} for ${e.path}`);
    const name = e.path.replace(/^\/+/, '').replace(/^\.\//, '');
    if (name.endsWith('/')) return { name, type: 'directory', mode };
    const data = Buffer.isBuffer(e.content) ? e.content : Buffer.from(e.content, 'utf8');
    return { name, type: 'file', mode, source: { kind: 'bytes', data } };
  });
}

export async function buildBundle(opts: BuildOptions): Promise<BuildResult> {
  const log = opts.log ?? (() => undefined);
  const checkAbort = (): void => {
    if (opts.signal?.aborted) throw new InterruptedError();
  };
  const artifacts = await loadArtifacts(opts.artifactsDir, {
    bootstrapIdOverride: opts.userArgs.bootstrap_id || undefined,
    ...(opts.signal ? { signal: opts.signal } : {}),
  }).catch((err: unknown) => {
    checkAbort();
    throw err;
  });
  const checkBins = opts.checkBins ? checkBinsPackage(opts.checkBins) : undefined;

  const args = bundleArguments(relativizeProjectPaths(opts.args, path.dirname(opts.genconfDir)), artifacts, checkBins);
  const digests: Record<string, string> = {};
  for (const ref of [artifacts.bootstrap, artifacts.activeJson, ...artifacts.packages.map((p) => p.file)])
    digests[ref.rel] = ref.sha256;
  const packageIds = JSON.parse(args.package_ids!) as string[];
  const ids: BundleIds = computeIds({
    commit: args.dcos_image_commit!,
    templateFilenames: args.template_filenames!,
    args,
    digests,
    packageIds,
    userArgs: opts.userArgs,
  });
  const finalArgs: ConfigValues = {
    ...args,
    cluster_packages: pyJsonDumps(pyFromJson(ids.clusterPackages)),
    cluster_package_list_id: ids.clusterPackageListId,
  };
  const ctx: RenderContext = {
    bootstrapId: artifacts.bootstrapId,
    dcosImageCommit: args.dcos_image_commit!,
    dcosVersion: args.dcos_version ?? DCOS_VERSION,
    dcosVariant: args.dcos_variant ?? DEFAULT_DCOS_VARIANT,
    configId: ids.configId,
    clusterPackageListId: ids.clusterPackageListId,
    clusterPackages: ids.clusterPackages,
    packageIds,
    templateFilenames: args.template_filenames!,
    configPackageNames: args.config_package_names!,
  };
  // Rendering is pure and cheap: do it before touching the disk, so a template error writes nothing.
  const configEntries = toTarEntries(opts.renderers.renderConfigPackage(finalArgs, opts.userArgs, ctx));
  const metadataEntries = toTarEntries(opts.renderers.renderMetadataPackage(finalArgs, ctx));

  const work = await beginServeWork(opts.genconfDir);
  try {
    const root = work.tmpDir;
    const files: ServedFile[] = [];
    const dirs = new Set<string>(['.']);
    const ensureDir = async (rel: string): Promise<void> => {
      for (let d = path.posix.dirname(rel); d !== '.'; d = path.posix.dirname(d)) dirs.add(d);
      await mkdir(path.join(root, path.dirname(rel)), { recursive: true, mode: 0o755 });
    };
    const putBytes = async (rel: string, mode: number, content: string): Promise<void> => {
      await ensureDir(rel);
      const data = Buffer.from(content, 'utf8');
      await writeFile(path.join(root, rel), data, { mode });
      await chmod(path.join(root, rel), mode); // the umask must not decide what nodes can read
      files.push({ path: rel, mode, sha256: sha256Hex(data), size: data.length });
    };
    const putArtifact = async (ref: ArtifactRef): Promise<void> => {
      await ensureDir(ref.rel);
      await linkOrCopy(ref, path.join(root, ref.rel));
      files.push({ path: ref.rel, mode: 0o644, sha256: ref.sha256, size: ref.size });
    };
    const putPackage = async (p: Pick<PackageId, 'id' | 'name'>, entries: TarEntry[]): Promise<void> => {
      const rel = packagePath(p);
      await ensureDir(rel);
      const abs = path.join(root, rel);
      const d = await writePackage(entries, abs);
      await chmod(abs, 0o644);
      files.push({ path: rel, mode: 0o644, sha256: d.sha256, size: d.size });
    };

    // The generated packages compress in their own xz processes while the artifacts are linked in. Every task is
    // awaited before failing, so nothing still writes into the temp dir when it is removed.
    const generated: [PackageId, TarEntry[]][] = ids.configPackageIds.map((id, i) => [
      parsePackageId(id) as PackageId,
      i === 0 ? configEntries : metadataEntries,
    ]);
    if (checkBins) generated.push([parsePackageId(checkBins.packageId) as PackageId, checkBinsEntries(checkBins)]);
    const listRel = `package_lists/${ids.clusterPackageListId}.package_list.json`;
    const settled = await Promise.allSettled([
      ...generated.map(([p, entries]) => putPackage(p, entries)),
      (async () => {
        for (const ref of [artifacts.bootstrap, artifacts.activeJson, ...artifacts.packages.map((p) => p.file)]) {
          checkAbort();
          await putArtifact(ref);
        }
      })(),
      putBytes('bootstrap.latest', 0o644, artifacts.bootstrapId),
      putBytes(listRel, 0o644, pyJsonDumps(pyFromJson(ids.clusterPackages))),
      putBytes('cluster-package-list.latest', 0o644, ids.clusterPackageListId),
    ]);
    for (const r of settled) if (r.status === 'rejected') throw r.reason;
    // In the original's order.
    log(`Cluster package list: ${listRel}`);
    for (const [p] of generated) log(`Package filename: ${packagePath(p)}`);
    checkAbort();

    const clusterPackageInfo: BuildResult['clusterPackageInfo'] = {};
    for (const id of ids.clusterPackages) {
      const p = parsePackageId(id) as PackageId;
      clusterPackageInfo[p.name] = { filename: packagePath(p), id };
    }
    const infoText = pyJsonPretty(pyFromJson(clusterPackageInfo));
    await putBytes('cluster-package-info.json', 0o644, infoText);

    const byPath = new Map(files.map((f) => [f.path, f]));
    const manifestPaths = [
      artifacts.bootstrap.rel,
      artifacts.activeJson.rel,
      listRel,
      ...ids.clusterPackages.map((id) => packagePath(parsePackageId(id) as PackageId)),
    ];
    const manifest: ArtifactManifest = {
      bootstrapId: artifacts.bootstrapId,
      clusterPackageListId: ids.clusterPackageListId,
      files: manifestPaths.sort().map((p) => {
        const f = byPath.get(p);
        if (!f) throw new Error(`manifest: ${p} was not written`);
        return { path: p, sha256: f.sha256, size: f.size };
      }),
    };
    await putBytes('dcos_install.sh', 0o755, opts.renderers.renderInstallScript(finalArgs, manifest));

    let upgrade: BuildResult['upgrade'];
    if (opts.upgradeFrom !== undefined) {
      // Unguessable, as the original's uuid4 hex: the URL is the only thing that names the script.
      const rel = `upgrade/${randomBytes(16).toString('hex')}/dcos_node_upgrade.sh`;
      await putBytes(rel, 0o755, opts.renderers.renderNodeUpgradeScript(finalArgs, manifest, opts.upgradeFrom));
      upgrade = {
        path: path.join(work.serveDir, rel),
        url: `${(finalArgs.bootstrap_url ?? '').replace(/\/+$/, '')}/${rel}`,
      };
    }
    checkAbort();

    // Directories too must be readable by the web server whatever the umask.
    for (const d of dirs) await chmod(path.join(root, d), 0o755);
    files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const sums = formatSums(files);
    await writeFile(path.join(root, SUMS_NAME), sums, { mode: 0o644 });
    await chmod(path.join(root, SUMS_NAME), 0o644);
    const tar = await writeInstallTar(root, files, sums, path.join(root, INSTALL_TAR_NAME), opts.signal).catch(
      (err: unknown) => {
        checkAbort(); // an abort surfaces as AbortError from the pipeline: report it as the interruption it is
        throw err;
      },
    );
    await chmod(path.join(root, INSTALL_TAR_NAME), 0o644);
    checkAbort();

    await work.commit();
    // Beside serve/, as the original: written whole, then renamed over the old one.
    const cpj = path.join(opts.genconfDir, 'cluster_packages.json');
    await writeFile(`${cpj}.tmp-${process.pid}`, infoText, { mode: 0o644 });
    await rename(`${cpj}.tmp-${process.pid}`, cpj);

    return {
      configId: ids.configId,
      clusterPackageListId: ids.clusterPackageListId,
      clusterPackages: ids.clusterPackages,
      bootstrapId: artifacts.bootstrapId,
      serveDir: work.serveDir,
      tarball: { path: path.join(work.serveDir, INSTALL_TAR_NAME), ...tar },
      files,
      clusterPackageInfo,
      ...(upgrade ? { upgrade } : {}),
    };
  } finally {
    await work.release();
  }
}

/**
 * Hard-link when possible (no copy of a multi-GB artifact), else let the kernel copy it. A file nodes could not
 * read through the web server is copied and made 0644 instead, since chmod on a link would change the artifact.
 */
async function linkOrCopy(ref: ArtifactRef, dest: string): Promise<void> {
  if ((ref.mode & 0o444) === 0o444) {
    try {
      await link(ref.abs, dest);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EMLINK') throw err;
    }
  }
  await copyFile(ref.abs, dest);
  await chmod(dest, 0o644);
}
