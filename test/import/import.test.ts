/**
 * --import-installer on synthetic installers: the merged /artifacts tree, file by file, for the classic docker-save
 * layout, the OCI layout (plain and gzip layers) and a manifest that comes first (no spooling).
 */
import { lstat, mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importInstaller } from '../../src/import/installer.js';
import { BOOTSTRAP_ID, baseLayer, buildInstaller, COMMIT, sha256, tarOf, type InstallerSpec } from './fixture.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function tmp(): Promise<string> {
  const d = await mkdtemp(path.join(os.tmpdir(), 'import-test-'));
  dirs.push(d);
  return d;
}

const LONG = `artifacts/long/${'d'.repeat(90)}/${'f'.repeat(60)}.txt`;
const PAX = `artifacts/pax/${'p'.repeat(120)}/${'q'.repeat(120)}/${'r'.repeat(40)}.txt`;

async function layers(): Promise<Buffer[]> {
  const l1 = await tarOf(
    baseLayer(['mesos--1.5.0', 'dcos-net--abc_1'], BOOTSTRAP_ID, '', [
      { name: 'artifacts/old/', type: 'directory' },
      { name: 'artifacts/old/file1', data: 'old' },
      { name: 'artifacts/gone.txt', data: 'gone' },
      { name: 'artifacts/opq/', type: 'directory' },
      { name: 'artifacts/opq/lower.txt', data: 'lower' },
      { name: 'artifacts/opq/sub/deep.txt', data: 'deep' },
      { name: 'artifacts/replaced.txt', data: 'v1' },
      { name: 'artifacts/tools/run.sh', data: '#!/bin/sh\necho run\n', mode: 0o755 },
      { name: 'etc/not-kept', data: 'outside /artifacts' },
    ]),
    { typeBits: true },
  );
  const l2 = await tarOf([
    { name: './artifacts/replaced.txt', data: 'v2', mode: 0o600 },
    { name: './artifacts/.wh.gone.txt', data: '' },
    { name: './artifacts/.wh.old', data: '' },
    { name: './artifacts/opq/', type: 'directory', mode: 0o750 },
    { name: './artifacts/opq/.wh..wh..opq', data: '' },
    { name: './artifacts/opq/upper.txt', data: 'upper' },
    { name: LONG, data: 'long name in the ustar prefix' },
    { name: PAX, data: 'longer name in a pax header' },
    { name: 'artifacts/link-to-replaced', type: 'symlink', linkname: 'replaced.txt' },
    { name: 'artifacts/tools/run-again.sh', type: 'link', linkname: 'artifacts/tools/run.sh' },
    { name: 'artifacts/tools/suid', data: 'x', mode: 0o4755 },
  ]);
  const pkgs = ['mesos--1.5.0', 'dcos-net--abc_1', 'c--2'];
  const l3 = await tarOf(
    [
      { name: 'artifacts/packages/c/c--2.tar.xz', data: 'package c--2' },
      { name: `artifacts/bootstrap/${BOOTSTRAP_ID}.active.json`, data: JSON.stringify(pkgs) },
      {
        name: 'artifacts/complete/complete.latest.json',
        data: JSON.stringify({ bootstrap: BOOTSTRAP_ID, packages: pkgs }),
      },
    ],
    { typeBits: true },
  );
  return [l1, l2, l3];
}

/** Every path under dir: type, permission bits, and content digest or link target. */
async function snapshot(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(path.join(dir, rel))).sort()) {
    const r = rel ? `${rel}/${name}` : name;
    const abs = path.join(dir, r);
    const s = await lstat(abs);
    const mode = (s.mode & 0o7777).toString(8).padStart(4, '0');
    if (s.isDirectory()) out.push(`${r}/ ${mode}`, ...(await snapshot(dir, r)));
    else if (s.isSymbolicLink()) out.push(`${r} -> ${await readlink(abs)}`);
    else out.push(`${r} ${mode} ${sha256(await readFile(abs)).slice(0, 12)}`);
  }
  return out;
}

async function importSpec(
  spec: Partial<InstallerSpec>,
): Promise<{ target: string; result: Awaited<ReturnType<typeof importInstaller>> }> {
  const dir = await tmp();
  const file = path.join(dir, 'dcos_generate_config.sh');
  await writeFile(
    file,
    await buildInstaller({ layers: await layers(), commit: COMMIT, bootstrapId: BOOTSTRAP_ID, ...spec }),
  );
  const target = path.join(dir, 'artifacts');
  const result = await importInstaller({ file, target });
  return { target, result };
}

const h = (s: string): string => sha256(s).slice(0, 12);

describe('--import-installer: the merged /artifacts tree', () => {
  it('classic docker-save layout: replacements, whiteouts, opaque dirs, long and ./ names, type bits, links', async () => {
    const { target, result } = await importSpec({});
    const snap = (await snapshot(target)).filter((l) => !l.startsWith('installer.json'));
    expect(snap).toEqual(
      [
        `bootstrap/ 0755`,
        `bootstrap/${BOOTSTRAP_ID}.active.json 0644 ${h(JSON.stringify(['mesos--1.5.0', 'dcos-net--abc_1', 'c--2']))}`,
        `bootstrap/${BOOTSTRAP_ID}.bootstrap.tar.xz 0644 ${h(`bootstrap ${BOOTSTRAP_ID}`)}`,
        `bootstrap/bootstrap.latest 0644 ${h(BOOTSTRAP_ID)}`,
        `complete/ 0755`,
        `complete/complete.latest.json 0644 ${h(JSON.stringify({ bootstrap: BOOTSTRAP_ID, packages: ['mesos--1.5.0', 'dcos-net--abc_1', 'c--2'] }))}`,
        `link-to-replaced -> replaced.txt`,
        `long/ 0755`,
        `long/${'d'.repeat(90)}/ 0755`,
        `long/${'d'.repeat(90)}/${'f'.repeat(60)}.txt 0644 ${h('long name in the ustar prefix')}`,
        `opq/ 0750`,
        `opq/upper.txt 0644 ${h('upper')}`,
        `packages/ 0755`,
        `packages/c/ 0755`,
        `packages/c/c--2.tar.xz 0644 ${h('package c--2')}`,
        `packages/dcos-net/ 0755`,
        `packages/dcos-net/dcos-net--abc_1.tar.xz 0644 ${h('package dcos-net--abc_1')}`,
        `packages/mesos/ 0755`,
        `packages/mesos/mesos--1.5.0.tar.xz 0644 ${h('package mesos--1.5.0')}`,
        `pax/ 0755`,
        `pax/${'p'.repeat(120)}/ 0755`,
        `pax/${'p'.repeat(120)}/${'q'.repeat(120)}/ 0755`,
        `pax/${'p'.repeat(120)}/${'q'.repeat(120)}/${'r'.repeat(40)}.txt 0644 ${h('longer name in a pax header')}`,
        `replaced.txt 0600 ${h('v2')}`,
        `tools/ 0755`,
        `tools/run-again.sh 0755 ${h('#!/bin/sh\necho run\n')}`,
        `tools/run.sh 0755 ${h('#!/bin/sh\necho run\n')}`,
        `tools/suid 4755 ${h('x')}`,
      ].sort(),
    );
    // The hard link is one file, as in the image.
    expect((await stat(path.join(target, 'tools/run.sh'))).ino).toBe(
      (await stat(path.join(target, 'tools/run-again.sh'))).ino,
    );
    expect(result.record).toMatchObject({
      bootstrap_id: BOOTSTRAP_ID,
      bootstrap_variant: '',
      variant: 'open',
      dcos_version: '1.11.7',
      dcos_image_commit: COMMIT,
      layout: 'docker-save',
      package_ids: ['c--2', 'dcos-net--abc_1', 'mesos--1.5.0'],
      gen_extra: [],
    });
    expect(result.image).toMatchObject({ layout: 'docker-save', layers: 3 });
    expect(JSON.parse(await readFile(path.join(target, 'installer.json'), 'utf8'))).toEqual(result.record);
    // Nothing of the work directory is left beside the target.
    expect((await readdir(path.dirname(target))).sort()).toEqual(['artifacts', 'dcos_generate_config.sh']);
  });

  it('the OCI layout (plain and gzip layers) and a manifest that comes first give the same tree', async () => {
    const classic = await snapshot((await importSpec({})).target);
    const oci = await importSpec({ layout: 'oci' });
    expect(oci.result.image.layout).toBe('oci');
    const gz = await importSpec({ layout: 'oci', gzip: true });
    const first = await importSpec({ manifestFirst: true });
    // With the manifest and config first, every layer is applied as it streams past: nothing is spooled.
    expect(first.result.image).toEqual({ layout: 'docker-save', layers: 3, spooled: 0 });
    const strip = (s: string[]): string[] => s.filter((l) => !l.startsWith('installer.json'));
    expect(strip(await snapshot(oci.target))).toEqual(strip(classic));
    expect(strip(await snapshot(gz.target))).toEqual(strip(classic));
    expect(strip(await snapshot(first.target))).toEqual(strip(classic));
  });

  it('classic layout: layers that continue the parent chain of <dir>/json are applied as they stream past', async () => {
    const classic = await snapshot((await importSpec({})).target);
    const strip = (s: string[]): string[] => s.filter((l) => !l.startsWith('installer.json'));
    // Directories sorted in chain order: each layer's parent was applied just before it, nothing waits.
    const inOrder = await importSpec({ dirs: ['a', 'b', 'c'].map((c) => c.repeat(64)) });
    expect(inOrder.result.image).toEqual({ layout: 'docker-save', layers: 3, spooled: 0 });
    expect(strip(await snapshot(inOrder.target))).toEqual(strip(classic));
    // Reversed: the two upper layers arrive before their parents and wait in spool files; the base goes straight in.
    const reversed = await importSpec({ dirs: ['c', 'b', 'a'].map((c) => c.repeat(64)) });
    expect(reversed.result.image).toEqual({ layout: 'docker-save', layers: 3, spooled: 2 });
    expect(strip(await snapshot(reversed.target))).toEqual(strip(classic));
  });

  it('a whiteout of /artifacts itself empties the tree below it; gen_extra is kept and listed', async () => {
    const l1 = await tarOf(baseLayer(['a--1'], BOOTSTRAP_ID, '', [{ name: 'artifacts/stale', data: 's' }]));
    const l2 = await tarOf([{ name: '.wh.artifacts', data: '' }]);
    const l3 = await tarOf([
      ...baseLayer(['b--1']).filter((e) => e.name.startsWith('artifacts')),
      { name: 'gen_extra/calc.py', data: 'overrides' },
    ]);
    const dir = await tmp();
    const file = path.join(dir, 'installer.sh');
    await writeFile(file, await buildInstaller({ layers: [l1, l2, l3], commit: COMMIT, bootstrapId: BOOTSTRAP_ID }));
    const r = await importInstaller({ file, target: path.join(dir, 'artifacts') });
    expect(r.record.package_ids).toEqual(['b--1']);
    expect(r.record.gen_extra).toEqual(['calc.py']);
    const snap = await snapshot(path.join(dir, 'artifacts'));
    expect(snap.some((l) => l.startsWith('stale') || l.startsWith('packages/a/'))).toBe(false);
    expect(snap).toContain(`gen_extra/calc.py 0644 ${h('overrides')}`);
  });

  it('an Enterprise-style variant: prefixed latest files, and the script and wrapper agree', async () => {
    const dir = await tmp();
    const file = path.join(dir, 'dcos_generate_config.ee.sh');
    await writeFile(
      file,
      await buildInstaller({
        layers: [await tarOf(baseLayer(['a--1'], BOOTSTRAP_ID, 'ee'))],
        commit: COMMIT,
        bootstrapId: BOOTSTRAP_ID,
        scriptVariant: 'ee',
      }),
    );
    const r = await importInstaller({ file, target: path.join(dir, 'artifacts') });
    expect(r.record).toMatchObject({ variant: 'ee', bootstrap_variant: 'ee', package_ids: ['a--1'] });
    expect(await readFile(path.join(dir, 'artifacts/complete/ee.complete.latest.json'), 'utf8')).toContain('a--1');
  });

  it('--force replaces an existing artifacts directory; without it the import refuses and keeps it', async () => {
    const dir = await tmp();
    const file = path.join(dir, 'dcos_generate_config.sh');
    await writeFile(file, await buildInstaller({ layers: await layers(), commit: COMMIT, bootstrapId: BOOTSTRAP_ID }));
    const target = path.join(dir, 'artifacts');
    await importInstaller({ file, target: path.join(dir, 'artifacts') });
    await writeFile(path.join(target, 'marker'), 'old tree');
    await expect(importInstaller({ file, target })).rejects.toThrow(/already exists/);
    expect(await readFile(path.join(target, 'marker'), 'utf8')).toBe('old tree');
    await importInstaller({ file, target, force: true });
    await expect(stat(path.join(target, 'marker'))).rejects.toThrow();
    expect((await readdir(dir)).sort()).toEqual(['artifacts', 'dcos_generate_config.sh']);
  });
});
