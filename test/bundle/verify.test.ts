import { spawnSync } from 'node:child_process';
import { appendFile, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildBundle, type BuildResult } from '../../src/bundle/build.js';
import { verifyBundle, verifyDir, verifyTar } from '../../src/bundle/verify.js';
import { InputError } from '../../src/errors.js';
import { fakeArgs, fakeRenderers, makeArtifacts, makeGenconf, tempDir } from './helpers.js';

async function bundle(): Promise<BuildResult & { dir: string }> {
  const dir = await tempDir();
  await makeArtifacts(path.join(dir, 'artifacts'));
  const genconfDir = await makeGenconf(dir);
  const r = await buildBundle({
    genconfDir,
    artifactsDir: path.join(dir, 'artifacts'),
    ...fakeArgs(),
    renderers: fakeRenderers,
  });
  return { ...r, dir };
}

/** Copy the serve dir without hard links, so corrupting the copy leaves the artifacts alone. */
function copyTree(from: string, to: string): void {
  expect(spawnSync('cp', ['-r', from, to]).status).toBe(0);
}

describe('verifyBundle', () => {
  it('passes a fresh bundle, dir and tar', async () => {
    const b = await bundle();
    const reports = await verifyBundle(b.serveDir);
    expect(reports.map((r) => [r.form, r.problems.length, r.listed])).toEqual([
      ['dir', 0, b.files.length],
      ['tar', 0, b.files.length],
    ]);
    expect((await verifyBundle(b.tarball.path)).map((r) => r.form)).toEqual(['tar']);
  });

  it('refuses a corrupted artifact in a serve dir', async () => {
    const b = await bundle();
    const copy = path.join(b.dir, 'copy');
    copyTree(b.serveDir, copy);
    await appendFile(path.join(copy, 'packages/mesos/mesos--1.5.0.tar.xz'), 'x');
    const r = await verifyDir(copy);
    expect(r.problems).toEqual([
      {
        kind: 'changed',
        path: 'packages/mesos/mesos--1.5.0.tar.xz',
        expected: b.files.find((f) => f.path === 'packages/mesos/mesos--1.5.0.tar.xz')!.sha256,
        actual: expect.stringMatching(/^[0-9a-f]{64}$/),
      },
    ]);
  });

  it('reports missing and extra files in a serve dir', async () => {
    const b = await bundle();
    const copy = path.join(b.dir, 'copy');
    copyTree(b.serveDir, copy);
    await rm(path.join(copy, 'dcos_install.sh'));
    await writeFile(path.join(copy, 'packages', 'intruder.sh'), 'x');
    const r = await verifyDir(copy);
    expect(r.problems.map((p) => `${p.kind} ${p.path}`)).toEqual([
      'missing dcos_install.sh',
      'extra packages/intruder.sh',
    ]);
  });

  it('refuses a corrupted artifact inside dcos-install.tar', async () => {
    const b = await bundle();
    const tar = await readFile(b.tarball.path);
    // Flip one byte inside the mesos package's data (after its 512-byte header).
    const at = tar.indexOf(Buffer.from('packages/mesos/mesos--1.5.0.tar.xz\0'));
    expect(at).toBeGreaterThan(0);
    tar[at + 512 + 20] = tar[at + 512 + 20]! ^ 0xff;
    const bad = path.join(b.dir, 'bad.tar');
    await writeFile(bad, tar);
    const r = await verifyTar(bad);
    expect(r.problems.map((p) => `${p.kind} ${p.path}`)).toEqual(['changed packages/mesos/mesos--1.5.0.tar.xz']);
  });

  it('reports a member missing from the tar, and a truncated tar as unreadable', async () => {
    const b = await bundle();
    const dir = path.join(b.dir, 'x');
    copyTree(b.serveDir, dir);
    // Re-pack without dcos_install.sh, but with the original SHA256SUMS.
    const names = b.files.map((f) => f.path).filter((p) => p !== 'dcos_install.sh');
    expect(
      spawnSync('tar', ['-cf', path.join(b.dir, 'partial.tar'), 'SHA256SUMS', ...names], { cwd: dir }).status,
    ).toBe(0);
    expect((await verifyTar(path.join(b.dir, 'partial.tar'))).problems.map((p) => `${p.kind} ${p.path}`)).toEqual([
      'missing dcos_install.sh',
    ]);
    const cut = path.join(b.dir, 'cut.tar');
    await writeFile(cut, await readFile(b.tarball.path));
    await truncate(cut, 1500);
    await expect(verifyTar(cut)).rejects.toThrow(/is not a readable tar archive/);
  });

  it('flags links and escaping names in a tar, which genconf never writes', async () => {
    const b = await bundle();
    const dir = path.join(b.dir, 'x');
    copyTree(b.serveDir, dir);
    expect(spawnSync('ln', ['-s', '/etc', path.join(dir, 'evil')]).status).toBe(0);
    expect(spawnSync('tar', ['-cf', path.join(b.dir, 'links.tar'), '.'], { cwd: dir }).status).toBe(0);
    const r = await verifyTar(path.join(b.dir, 'links.tar'));
    expect(r.problems.filter((p) => p.kind === 'unsafe')).toEqual([
      { kind: 'unsafe', path: 'evil', detail: 'a symlink member' },
    ]);
  });

  it('says when there is no SHA256SUMS or no such path', async () => {
    const dir = await tempDir();
    await expect(verifyBundle(dir)).rejects.toThrow(`${dir} has no SHA256SUMS`);
    await expect(verifyBundle(path.join(dir, 'nope'))).rejects.toBeInstanceOf(InputError);
    await writeFile(path.join(dir, 'SHA256SUMS'), 'garbage\n');
    await expect(verifyDir(dir)).rejects.toThrow(/SHA256SUMS line 1 is not/);
  });
});
