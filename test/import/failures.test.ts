/**
 * What the import refuses, and that every refusal is exit 1 with its message and leaves nothing behind: truncated
 * installers (cut in the script, the outer tar, a layer, the manifest, the end blocks), a corrupt payload, a layer
 * checksum mismatch, no #EOF#, traversal and absolute names, links out of the tree, an inconsistent image, a full disk.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GenconfError } from '../../src/errors.js';
import { importInstaller } from '../../src/import/installer.js';
import {
  BOOTSTRAP_ID,
  baseLayer,
  buildInstaller,
  COMMIT,
  simpleInstaller,
  tarOf,
  wrapper,
  type Entry,
  type InstallerSpec,
} from './fixture.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** Imports the bytes; expects exit 1 with the message, and the directory to hold only the installer afterwards. */
async function refused(bytes: Buffer, message: RegExp | string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'import-fail-'));
  dirs.push(dir);
  const file = path.join(dir, 'dcos_generate_config.sh');
  await writeFile(file, bytes);
  let caught: unknown;
  try {
    await importInstaller({ file, target: path.join(dir, 'artifacts') });
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(GenconfError);
  expect((caught as GenconfError).exitCode).toBe(1);
  expect((caught as Error).message).toMatch(message);
  expect(await readdir(dir)).toEqual(['dcos_generate_config.sh']);
  return (caught as Error).message;
}

async function withLayers(layers: Entry[][], more: Partial<InstallerSpec> = {}): Promise<Buffer> {
  return buildInstaller({
    layers: await Promise.all(layers.map((l) => tarOf(l))),
    commit: COMMIT,
    bootstrapId: BOOTSTRAP_ID,
    ...more,
  });
}

const PKGS = ['mesos--1.5.0', 'dcos-net--abc_1'];

describe('--import-installer refuses, exits 1 and leaves nothing behind', () => {
  it('a truncated installer: cut in the script, the outer tar, a layer, the manifest, or the end blocks', async () => {
    const full = await simpleInstaller(PKGS);
    const eof = full.indexOf('#EOF#\n') + 6;
    await refused(full.subarray(0, 20), 'not a DC/OS installer: no #EOF# line');
    await refused(full.subarray(0, eof), /truncated after 0\.0 MiB/);
    await refused(full.subarray(0, eof + 200), /truncated after 0\.0 MiB/);
    const inLayer = full.indexOf('package mesos--1.5.0') + 5;
    expect(inLayer).toBeGreaterThan(eof);
    await refused(full.subarray(0, inLayer), /truncated after \d+\.\d MiB/);
    const inManifest = full.indexOf('"Layers"') + 3;
    expect(inManifest).toBeGreaterThan(inLayer);
    await refused(full.subarray(0, inManifest), /truncated after \d+\.\d MiB/);
    // Every member is there, only the end-of-archive blocks are missing: still not the file that was published.
    await refused(full.subarray(0, full.length - 1024), /truncated after/);
  });

  it('a corrupt payload that is not a tar', async () => {
    const full = await simpleInstaller(PKGS);
    const eof = full.indexOf('#EOF#\n') + 6;
    const bad = Buffer.concat([full.subarray(0, eof), randomBytes(4096), full.subarray(eof)]);
    await refused(bad, /corrupt installer at about byte \d+/);
  });

  it('a layer whose sha256 is not its diff_id, in both layouts', async () => {
    const layers = [baseLayer(PKGS), [{ name: 'artifacts/extra', data: 'x' }], [{ name: 'artifacts/more', data: 'y' }]];
    await refused(
      await withLayers(layers, { badDiffId: 2 }),
      /^layer 2 checksum mismatch: .*layer\.tar hashes to sha256:[0-9a-f]{64} but the image config says sha256:/,
    );
    await refused(await withLayers(layers, { badDiffId: 3, layout: 'oci' }), /^layer 3 checksum mismatch/);
    await refused(await withLayers(layers, { badDiffId: 1, manifestFirst: true }), /^layer 1 checksum mismatch/);
    // Applied early from the parent chain, checked when the config arrives.
    await refused(
      await withLayers(layers, { badDiffId: 2, dirs: ['a', 'b', 'c'].map((c) => c.repeat(64)) }),
      /^layer 2 checksum mismatch/,
    );
  });

  it('layer json parent ids that disagree with manifest.json', async () => {
    const layers = [baseLayer(PKGS), [{ name: 'artifacts/extra', data: 'x' }], [{ name: 'artifacts/more', data: 'y' }]];
    const [a, b, c] = ['a', 'b', 'c'].map((x) => x.repeat(64));
    // c claims to sit on a, so it is applied second; the manifest says b is second.
    await refused(
      await withLayers(layers, { dirs: [a!, b!, c!], parents: [null, c!, a!] }),
      `image: the layers' parent ids put ${c}/layer.tar at layer 2, but manifest.json puts ${b}/layer.tar there`,
    );
  });

  it('no #EOF# line', async () => {
    await refused(
      await simpleInstaller(PKGS, { noEof: true }),
      /^not a DC\/OS installer: no #EOF# line in .*dcos_generate_config\.sh$/,
    );
  });

  it('absolute names and .. in a layer', async () => {
    await refused(
      await withLayers([baseLayer(PKGS), [{ name: '../evil', data: 'x' }]]),
      /layer 2 .*entry '\.\.\/evil' climbs out of the tree with '\.\.'/,
    );
    await refused(
      await withLayers([baseLayer(PKGS), [{ name: 'artifacts/../../evil', data: 'x' }]]),
      /climbs out of the tree/,
    );
    await refused(
      await withLayers([baseLayer(PKGS), [{ name: '/artifacts/x', data: 'x' }]]),
      /entry '\/artifacts\/x' has an absolute path/,
    );
  });

  it('links that point out of the tree, directly or through another link, and writes through a link', async () => {
    await refused(
      await withLayers([
        baseLayer(PKGS),
        [{ name: 'artifacts/escape', type: 'symlink', linkname: '../../../etc/passwd' }],
      ]),
      /link \/artifacts\/escape points to '\.\.\/\.\.\/\.\.\/etc\/passwd', outside the tree/,
    );
    await refused(
      await withLayers([baseLayer(PKGS), [{ name: 'artifacts/abs', type: 'symlink', linkname: '/etc/passwd' }]]),
      /outside the tree/,
    );
    await refused(
      await withLayers([
        baseLayer(PKGS),
        [{ name: 'artifacts/hard', type: 'link', linkname: 'installer_internal_wrapper' }],
      ]),
      /hard link \/artifacts\/hard points to '\/installer_internal_wrapper', outside the tree/,
    );
    // Lexically inside, but `self` is the root itself, so the kernel would climb out of it.
    await refused(
      await withLayers([
        baseLayer(PKGS),
        [
          { name: 'artifacts/self', type: 'symlink', linkname: '.' },
          { name: 'artifacts/sneaky', type: 'symlink', linkname: 'self/../spool' },
        ],
      ]),
      /link \/artifacts\/sneaky resolves outside the tree/,
    );
    await refused(
      await withLayers([
        baseLayer(PKGS),
        [{ name: 'artifacts/d', type: 'symlink', linkname: 'bootstrap' }],
        [{ name: 'artifacts/d/x', data: 'x' }],
      ]),
      /would be written through the link \/artifacts\/d/,
    );
  });

  it('an image that does not hold what its wrapper declares', async () => {
    const missingPkg = baseLayer(PKGS).filter((e) => !e.name.includes('packages/mesos'));
    await refused(
      await withLayers([missingPkg]),
      /lists mesos--1\.5\.0 but \/artifacts\/packages\/mesos\/mesos--1\.5\.0\.tar\.xz is missing/,
    );
    const otherId = 'ffffffffffffffffffffffffffffffffffffffff';
    const wrong = baseLayer(PKGS).map((e) =>
      e.name === 'installer_internal_wrapper' ? { ...e, data: wrapper(otherId) } : e,
    );
    const msg = await refused(await withLayers([wrong]), /the wrapper's BOOTSTRAP_ID is 'f{40}'/);
    expect(msg).toContain(`/artifacts/bootstrap/${otherId}.bootstrap.tar.xz (the wrapper's BOOTSTRAP_ID) is missing`);
    await refused(
      await withLayers([baseLayer(PKGS)], { scriptVariant: 'ee' }),
      /'# variant: ee' line disagrees with the image's BOOTSTRAP_VARIANT=''/,
    );
    await refused(
      await withLayers([baseLayer(PKGS).filter((e) => e.name !== 'installer_internal_wrapper')]),
      /no \/installer_internal_wrapper/,
    );
    await refused(
      await withLayers([[{ name: 'etc/hostname', data: 'x' }]], { imageName: 'other.tar' }),
      /no \/installer_internal_wrapper/,
    );
  });

  it('an interrupted import (Ctrl-C) exits 130 and leaves nothing behind', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'import-fail-'));
    dirs.push(dir);
    const file = path.join(dir, 'dcos_generate_config.sh');
    await writeFile(
      file,
      await withLayers([
        baseLayer(PKGS, BOOTSTRAP_ID, '', [
          { name: 'artifacts/packages/big/blob', data: randomBytes(8 * 1024 * 1024) },
        ]),
      ]),
    );
    const abort = new AbortController();
    let caught: unknown;
    try {
      await importInstaller({
        file,
        target: path.join(dir, 'artifacts'),
        signal: abort.signal,
        onProgress: () => abort.abort(new Error('interrupted')),
      });
    } catch (err) {
      caught = err;
    }
    expect((caught as GenconfError).exitCode).toBe(130);
    expect(await readdir(dir)).toEqual(['dcos_generate_config.sh']);
  });

  it('a full disk (a small tmpfs): no space left, and nothing kept', async (ctx) => {
    const mnt = await mkdtemp(path.join(os.tmpdir(), 'import-tmpfs-'));
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt], { encoding: 'utf8' });
    if (mounted.status !== 0) {
      await rmdir(mnt);
      if (process.env.CI === 'true') throw new Error(`mounting a tmpfs failed (root is needed): ${mounted.stderr}`);
      ctx.skip();
    }
    try {
      const src = await mkdtemp(path.join(os.tmpdir(), 'import-src-'));
      dirs.push(src);
      const file = path.join(src, 'dcos_generate_config.sh');
      await writeFile(
        file,
        await withLayers([
          baseLayer(PKGS, BOOTSTRAP_ID, '', [
            { name: 'artifacts/packages/big/blob', data: randomBytes(3 * 1024 * 1024) },
          ]),
        ]),
      );
      let caught: unknown;
      try {
        await importInstaller({ file, target: path.join(mnt, 'artifacts') });
      } catch (err) {
        caught = err;
      }
      expect((caught as GenconfError).exitCode).toBe(1);
      expect((caught as Error).message).toMatch(new RegExp(`^no space left on the device of ${mnt} while importing`));
      expect(await readdir(mnt)).toEqual([]);
    } finally {
      spawnSync('umount', [mnt]);
      await rmdir(mnt);
    }
  });
});
