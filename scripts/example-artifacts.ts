#!/usr/bin/env node
/**
 * `npm run example-artifacts -- DIR`: writes the small example artifacts set that the examples, the README and the
 * tests use in place of the DC/OS artifacts the original carried in its Docker image:
 *
 *   bootstrap/<bootstrap_id>.bootstrap.tar.xz   what dcos-download unpacks into /opt/mesosphere on a node
 *   bootstrap/<bootstrap_id>.active.json        the package ids inside that tarball, a JSON list
 *   bootstrap.latest                            the bootstrap id, no trailing newline
 *   complete/complete.latest.json               {"bootstrap": <id>, "packages": [<every package id>]}
 *   packages/<name>/<name>--<version>.tar.xz    a few tiny packages (pkginfo.json and a file or two)
 *
 * The packages' files live in scripts/example-artifacts/<id>/. The pkgpanda package carries working stand-ins of
 * what the nodes run (bin/pkgpanda, bin/dcos-shell, bin/add_dcos_path.sh, bin/dcos-diagnostics): not DC/OS, but the
 * same on-disk contract, so that `dcos_install.sh` runs end to end against them. The bootstrap tarball holds the
 * pkgpanda package only (as the real bootstrap holds the packages needed to fetch the rest), so a node must fetch the
 * other packages from bootstrap_url. Output is byte-identical on every run: sorted tar entries, fixed mtime and
 * owner, explicit modes, single-threaded xz.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import tar from 'tar-stream';
import { hashCheckout } from '../src/config/hash-checkout.js';

/** A fixed mtime for every tar entry: the DC/OS 1.11.0 release day, so tarballs do not change between runs. */
const FIXED_MTIME = new Date('2018-03-07T00:00:00Z');

export interface ExampleArtifacts {
  bootstrapId: string;
  /** Every package id, sorted (what complete.latest.json lists). */
  packageIds: string[];
  /** Relative paths written, sorted. */
  files: string[];
}

export interface TarEntry {
  name: string;
  type: 'file' | 'directory' | 'symlink';
  mode: number;
  content?: Buffer;
  linkname?: string;
}

/** pkgpanda's hash_checkout of a list of package ids (the bootstrap id is this over the bootstrap's packages). */
export function hashCheckoutList(items: readonly string[]): string {
  return hashCheckout(items);
}

/** Where the package payloads are, found from this module whether it runs from scripts/ or dist/scripts/. */
export function payloadDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'scripts', 'example-artifacts');
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('scripts/example-artifacts/ not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

/** Executables: everything under bin/ (or bin_<role>/) and every *.sh; the rest is data. */
function fileMode(rel: string): number {
  return /(^|\/)bin(_[a-z_]+)?\//.test(rel) || rel.endsWith('.sh') ? 0o755 : 0o644;
}

/** The entries of one package directory, relative to it, directories first in sorted order. */
function packageEntries(root: string, prefix = ''): TarEntry[] {
  const out: TarEntry[] = [];
  const walk = (rel: string): void => {
    const names = fs.readdirSync(path.join(root, rel)).sort();
    for (const name of names) {
      const r = rel ? `${rel}/${name}` : name;
      const st = fs.lstatSync(path.join(root, r));
      if (st.isDirectory()) {
        out.push({ name: `${prefix}${r}/`, type: 'directory', mode: 0o755 });
        walk(r);
      } else if (st.isFile()) {
        out.push({
          name: `${prefix}${r}`,
          type: 'file',
          mode: fileMode(r),
          content: fs.readFileSync(path.join(root, r)),
        });
      } else {
        throw new Error(`unexpected file type in the example payload: ${path.join(root, r)}`);
      }
    }
  };
  walk('');
  return out;
}

/** A deterministic .tar.xz: entries in the given order, owner 0:0, fixed mtime; xz single-threaded. */
export async function tarXz(entries: readonly TarEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const done = new Promise<void>((resolve, reject) => {
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  for (const e of entries) {
    const header = { name: e.name, mode: e.mode, mtime: FIXED_MTIME, uid: 0, gid: 0, uname: 'root', gname: 'root' };
    if (e.type === 'file') pack.entry({ ...header, type: 'file' }, e.content ?? Buffer.alloc(0));
    else if (e.type === 'symlink') pack.entry({ ...header, type: 'symlink', linkname: e.linkname ?? '' });
    else pack.entry({ ...header, type: 'directory' });
  }
  pack.finalize();
  await done;
  const xz = spawnSync('xz', ['--compress', '--stdout', '--threads=1', '-6', '--check=crc64'], {
    input: Buffer.concat(chunks),
    maxBuffer: 1 << 30,
  });
  if (xz.error || xz.status !== 0) {
    throw new Error(`xz failed (is xz-utils installed?): ${xz.error?.message ?? xz.stderr.toString()}`);
  }
  return xz.stdout;
}

/** Builds every artifact in memory: relative path → bytes. */
export async function buildExampleArtifacts(
  payload = payloadDir(),
): Promise<{ result: ExampleArtifacts; contents: Map<string, Buffer> }> {
  const packageIds = fs
    .readdirSync(payload)
    .filter((n) => fs.statSync(path.join(payload, n)).isDirectory())
    .sort();
  const pkgpanda = packageIds.find((id) => id.startsWith('pkgpanda--'));
  if (!pkgpanda) throw new Error('the example payload has no pkgpanda package');
  const bootstrapPackages = [pkgpanda];
  const bootstrapId = hashCheckoutList(bootstrapPackages);

  const contents = new Map<string, Buffer>();
  for (const id of packageIds) {
    const name = id.split('--')[0] ?? id;
    contents.set(`packages/${name}/${id}.tar.xz`, await tarXz(packageEntries(path.join(payload, id))));
  }

  // The bootstrap tarball is unpacked into /opt/mesosphere: the bootstrap packages, and bin/pkgpanda so that the
  // dcos-setup unit can run `/opt/mesosphere/bin/pkgpanda setup` before anything is activated.
  const boot: TarEntry[] = [{ name: 'bin/', type: 'directory', mode: 0o755 }];
  boot.push({ name: 'bin/pkgpanda', type: 'symlink', mode: 0o777, linkname: `../packages/${pkgpanda}/bin/pkgpanda` });
  boot.push({ name: 'packages/', type: 'directory', mode: 0o755 });
  for (const id of bootstrapPackages) {
    boot.push({ name: `packages/${id}/`, type: 'directory', mode: 0o755 });
    boot.push(...packageEntries(path.join(payload, id), `packages/${id}/`));
  }
  contents.set(`bootstrap/${bootstrapId}.bootstrap.tar.xz`, await tarXz(boot));
  contents.set(`bootstrap/${bootstrapId}.active.json`, Buffer.from(JSON.stringify(bootstrapPackages, null, 2) + '\n'));
  contents.set('bootstrap.latest', Buffer.from(bootstrapId));
  contents.set(
    'complete/complete.latest.json',
    Buffer.from(JSON.stringify({ bootstrap: bootstrapId, packages: packageIds }, null, 2) + '\n'),
  );
  const files = [...contents.keys()].sort();
  return { result: { bootstrapId, packageIds, files }, contents };
}

/** True when DIR is absent, empty, or an earlier output of this script (which may then be replaced). */
function replaceable(dir: string): boolean {
  if (!fs.existsSync(dir)) return true;
  if (!fs.statSync(dir).isDirectory()) return false;
  return fs.readdirSync(dir).length === 0 || fs.existsSync(path.join(dir, 'complete', 'complete.latest.json'));
}

/**
 * Writes the set to DIR: built in a temporary sibling directory, then renamed into place, so an interrupted run
 * never leaves half an artifacts directory. Refuses to replace a directory that is not an artifacts set.
 */
export async function writeExampleArtifacts(dir: string): Promise<ExampleArtifacts> {
  const target = path.resolve(dir);
  if (!replaceable(target)) {
    throw new UsageFailure(
      `${dir} exists and is not an artifacts directory (no complete/complete.latest.json); refusing to replace it`,
    );
  }
  const { result, contents } = await buildExampleArtifacts();
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = fs.mkdtempSync(`${target}.tmp-`);
  try {
    fs.chmodSync(tmp, 0o755);
    for (const [rel, bytes] of contents) {
      fs.mkdirSync(path.join(tmp, path.dirname(rel)), { recursive: true });
      fs.writeFileSync(path.join(tmp, rel), bytes, { mode: 0o644 });
    }
    let old: string | undefined;
    if (fs.existsSync(target)) {
      old = `${tmp}.old`;
      fs.renameSync(target, old);
    }
    fs.renameSync(tmp, target);
    if (old) fs.rmSync(old, { recursive: true, force: true });
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  return result;
}

/** An operator mistake on this script's command line: printed without a stack, exit 2. */
class UsageFailure extends Error {}

async function main(argv: string[]): Promise<number> {
  const dir = argv[0];
  if (!dir || argv.length > 1 || dir.startsWith('-')) {
    console.error('usage: npm run example-artifacts -- DIR   (writes the example artifacts set into DIR)');
    return 2;
  }
  try {
    const r = await writeExampleArtifacts(dir);
    console.log(`Wrote the example artifacts set to ${dir}`);
    console.log(`  bootstrap_id: ${r.bootstrapId}`);
    console.log(`  packages: ${r.packageIds.join(', ')}`);
    return 0;
  } catch (err) {
    if (err instanceof UsageFailure) {
      console.error(`error: ${err.message}`);
      return 2;
    }
    throw err;
  }
}

/** Run as a program (also through the installed bin, whose argv[1] is a symlink to this file)? */
function isMain(): boolean {
  if (!process.argv[1]) return false;
  try {
    return import.meta.url === pathToFileURL(fs.realpathSync(path.resolve(process.argv[1]))).href;
  } catch {
    return false;
  }
}

if (isMain()) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error('example-artifacts: this is a bug:', err);
      process.exit(70);
    },
  );
}
