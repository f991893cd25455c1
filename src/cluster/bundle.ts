/**
 * The bundle a day-2 action installs: `genconf/serve/dcos-install.tar` as `--genconf` left it, or an archived copy
 * given with `--bundle FILE`. Its config_id is read from the bundle itself (cluster-package-info.json names
 * `dcos-config--setup_<config_id>`), never recomputed from config.yaml: adding nodes must not regenerate anything.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdtemp, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { extract as tarExtract } from 'tar-stream';
import { INSTALL_TAR_NAME } from '../bundle/install-tar.js';
import { InputError } from '../errors.js';

export interface BundleInfo {
  /** The archive nodes receive. */
  tar: string;
  sha256: string;
  configId: string;
  /** dcos_install.sh of this bundle (preflight runs it with --preflight-only). */
  installScript: string;
  /** Temporary files made for this bundle (an extracted dcos_install.sh); removed by dispose(). */
  dispose(): Promise<void>;
}

/** Largest member read into memory from an archive (cluster-package-info.json, dcos_install.sh). */
const MAX_MEMBER_BYTES = 8 * 1024 * 1024;

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** config_id from the text of cluster-package-info.json. */
export function configIdFromPackageInfo(text: string, where: string): string {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${where} is not valid JSON (${(err as Error).message})`, where);
  }
  const id = (doc as { 'dcos-config'?: { id?: unknown } } | null)?.['dcos-config']?.id;
  const m = typeof id === 'string' ? /^dcos-config--setup_([0-9a-f]+)$/.exec(id) : null;
  if (!m)
    throw new InputError(
      `${where} has no "dcos-config" package id of the form dcos-config--setup_<config_id>`,
      where,
      'give a dcos-install.tar written by --genconf',
    );
  return m[1]!;
}

/** The bundle in `genconf/serve`, as --genconf wrote it. */
export async function serveBundle(genconfDir: string): Promise<BundleInfo> {
  const serve = path.join(genconfDir, 'serve');
  const tar = path.join(serve, INSTALL_TAR_NAME);
  const hint = 'run --genconf first, or give the archived bundle with --bundle FILE';
  const st = await stat(tar).catch(() => undefined);
  if (!st?.isFile()) throw new InputError(`${tar} does not exist`, tar, hint);
  const infoFile = path.join(serve, 'cluster-package-info.json');
  const info = await readFile(infoFile, 'utf8').catch(() => undefined);
  if (info === undefined) throw new InputError(`${infoFile} does not exist`, infoFile, hint);
  return {
    tar,
    sha256: await sha256File(tar),
    configId: configIdFromPackageInfo(info, infoFile),
    installScript: path.join(serve, 'dcos_install.sh'),
    dispose: async () => undefined,
  };
}

/** An archived dcos-install.tar: its config_id and dcos_install.sh are read out of it (nothing else is unpacked). */
export async function archivedBundle(file: string): Promise<BundleInfo> {
  const st = await stat(file).catch(() => undefined);
  if (!st?.isFile()) throw new InputError(`--bundle ${file} does not exist or is not a file`, file);
  const wanted = new Set(['cluster-package-info.json', 'dcos_install.sh']);
  const got = new Map<string, Buffer>();
  const extract = tarExtract();
  const reading = pipeline(createReadStream(file), extract);
  try {
    for await (const entry of extract) {
      const name = entry.header.name.replace(/^\.\//, '');
      if (entry.header.type === 'file' && wanted.has(name) && (entry.header.size ?? 0) <= MAX_MEMBER_BYTES) {
        const chunks: Buffer[] = [];
        for await (const c of entry as AsyncIterable<Buffer>) chunks.push(c);
        got.set(name, Buffer.concat(chunks));
      } else {
        entry.resume();
      }
    }
    await reading;
  } catch (err) {
    reading.catch(() => undefined);
    throw new InputError(
      `${file} is not a readable tar archive: ${(err as Error).message}`,
      file,
      'give the dcos-install.tar that --genconf or --export-bundle wrote',
    );
  }
  for (const name of wanted) {
    if (!got.has(name))
      throw new InputError(`${file} has no ${name}: it is not a dcos-install.tar written by this tool`, file);
  }
  const configId = configIdFromPackageInfo(
    got.get('cluster-package-info.json')!.toString('utf8'),
    `${file}:cluster-package-info.json`,
  );
  const dir = await mkdtemp(path.join(os.tmpdir(), 'genconf-bundle-'));
  const installScript = path.join(dir, 'dcos_install.sh');
  await writeFile(installScript, got.get('dcos_install.sh')!, { mode: 0o700 });
  return {
    tar: path.resolve(file),
    sha256: await sha256File(file),
    configId,
    installScript,
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * `--export-bundle FILE`: the serve tree's archive, copied whole to FILE (through a temporary file and a rename, so
 * FILE is never half-written). The archive is deterministic (sorted members, owner 0, mtime 0): the same serve tree
 * always gives the same bytes and the same SHA-256.
 */
export async function exportBundle(
  genconfDir: string,
  dest: string,
): Promise<{ sha256: string; size: number; configId: string }> {
  const bundle = await serveBundle(genconfDir);
  const tmp = `${dest}.${process.pid}.tmp`;
  try {
    await copyFile(bundle.tar, tmp);
    const sha256 = await sha256File(tmp);
    if (sha256 !== bundle.sha256)
      throw new InputError(
        `${bundle.tar} changed while it was copied`,
        bundle.tar,
        'run --export-bundle again when no --genconf is running',
      );
    await rename(tmp, dest);
    return { sha256, size: (await stat(dest)).size, configId: bundle.configId };
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}
