/**
 * Links in artifacts/ and in a serve tree: genconf refuses to put a link into serve/ (a web server would follow it
 * anywhere), with a clear error instead of a link in the bundle or a stack trace, and --verify-bundle rejects a
 * served tree that holds one.
 */
import { lstatSync, renameSync, symlinkSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildBundle } from '../../src/bundle/build.js';
import { verifyDir } from '../../src/bundle/verify.js';
import { InputError } from '../../src/errors.js';
import { fakeArgs, fakeRenderers, makeArtifacts, makeGenconf, tempDir } from './helpers.js';

async function setup(): Promise<{ dir: string; artifacts: string; genconfDir: string; pkg: string }> {
  const dir = await tempDir();
  const artifacts = path.join(dir, 'artifacts');
  await makeArtifacts(artifacts);
  const genconfDir = await makeGenconf(dir);
  return { dir, artifacts, genconfDir, pkg: path.join(artifacts, 'packages/mesos/mesos--1.5.0.tar.xz') };
}

async function buildError(artifactsDir: string, genconfDir: string): Promise<unknown> {
  return buildBundle({ genconfDir, artifactsDir, ...fakeArgs(), renderers: fakeRenderers }).then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('links among the artifacts', () => {
  it('an absolute symlink is refused with a clear error, and nothing is served', async () => {
    const { dir, artifacts, genconfDir, pkg } = await setup();
    const real = path.join(dir, 'elsewhere.tar.xz');
    renameSync(pkg, real);
    symlinkSync(real, pkg);
    const err = await buildError(artifacts, genconfDir);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toContain('packages/mesos/mesos--1.5.0.tar.xz is a symbolic link');
    expect(() => lstatSync(path.join(genconfDir, 'serve'))).toThrow();
  });

  it('a relative symlink: the same error, not an internal error', async () => {
    const { artifacts, genconfDir, pkg } = await setup();
    renameSync(pkg, path.join(path.dirname(pkg), 'real.tar.xz'));
    symlinkSync('real.tar.xz', pkg);
    const err = await buildError(artifacts, genconfDir);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toContain('is a symbolic link');
  });
});

describe('--verify-bundle on a tree with links', () => {
  it('a link in serve/ is UNSAFE even when the digest of its target matches', async () => {
    const { dir, artifacts, genconfDir } = await setup();
    const r = await buildBundle({ genconfDir, artifactsDir: artifacts, ...fakeArgs(), renderers: fakeRenderers });
    const served = path.join(r.serveDir, 'packages/mesos/mesos--1.5.0.tar.xz');
    const outside = path.join(dir, 'outside.tar.xz');
    renameSync(served, outside);
    symlinkSync(outside, served);
    await writeFile(path.join(dir, 'unused'), '');
    const report = await verifyDir(r.serveDir);
    expect(report.problems).toEqual([
      expect.objectContaining({ kind: 'unsafe', path: 'packages/mesos/mesos--1.5.0.tar.xz' }),
    ]);
    expect(report.problems[0]!.detail).toContain('symbolic link');
  });
});
