import { chmod, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadArtifacts } from '../../src/bundle/artifacts.js';
import { isPackageIdError, parsePackageId } from '../../src/bundle/package-id.js';
import { InputError } from '../../src/errors.js';
import { makeArtifacts, tempDir } from './helpers.js';

async function failure(p: Promise<unknown>): Promise<InputError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return err as InputError;
  }
  throw new Error('expected loadArtifacts to fail');
}

describe('package ids', () => {
  it.each([
    ['mesos--1.5.0', 'mesos', '1.5.0'],
    ['dcos-config--setup_abc', 'dcos-config', 'setup_abc'],
    ['@x.y+z--a:b.c@_+', '@x.y+z', 'a:b.c@_+'],
  ])('accepts %s', (id, name, version) => {
    expect(parsePackageId(id)).toEqual({ id, name, version });
  });
  it.each([
    ['mesos', /exactly one '--'/],
    ['a--b--c', /exactly one '--'.*found 2/],
    ['-a--1', /invalid name/],
    ['.a--1', /invalid name/],
    ['a--1-2', /invalid version '1-2'/],
    ['a--', /invalid version/],
    ['a b--1', /invalid name/],
  ])('refuses %s', (id, message) => {
    const p = parsePackageId(id);
    expect(isPackageIdError(p) && p.error).toMatch(message);
  });
});

describe('loadArtifacts', () => {
  it('reads the layout and hashes every artifact', async () => {
    const dir = await tempDir();
    const made = await makeArtifacts(dir);
    const a = await loadArtifacts(dir);
    expect(a.bootstrapId).toBe(made.bootstrapId);
    expect(a.bootstrap.rel).toBe(`bootstrap/${made.bootstrapId}.bootstrap.tar.xz`);
    expect(a.packages.map((p) => p.id)).toEqual([...made.packages].sort());
    expect(a.packages[0]!.file.rel).toBe('packages/dcos-net/dcos-net--abc_1.tar.xz');
    expect(a.packages[0]!.file.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('says how to get artifacts when the directory is absent', async () => {
    const dir = path.join(await tempDir(), 'artifacts');
    const err = await failure(loadArtifacts(dir));
    expect(err.message).toBe(`artifacts directory ${dir} does not exist`);
    expect(err.hint).toContain(`npm run example-artifacts -- ${dir}`);
  });

  it('names every missing file at once', async () => {
    const dir = await tempDir();
    const { bootstrapId } = await makeArtifacts(dir);
    await rm(path.join(dir, 'packages', 'mesos'), { recursive: true });
    await rm(path.join(dir, 'bootstrap', `${bootstrapId}.active.json`));
    const err = await failure(loadArtifacts(dir));
    expect(err.message).toContain(`missing bootstrap/${bootstrapId}.active.json`);
    expect(err.message).toContain('missing packages/mesos/mesos--1.5.0.tar.xz');
    expect(err.hint).toContain('npm run example-artifacts');
  });

  it('names a missing complete.latest.json and bootstrap.latest', async () => {
    const dir = await tempDir();
    await makeArtifacts(dir);
    await rm(path.join(dir, 'complete'), { recursive: true });
    await rm(path.join(dir, 'bootstrap.latest'));
    const err = await failure(loadArtifacts(dir));
    expect(err.message).toContain('missing complete/complete.latest.json');
    expect(err.message).toContain('missing bootstrap.latest');
  });

  it('refuses bad package ids, duplicates, reserved names and a bootstrap id mismatch', async () => {
    const dir = await tempDir();
    await makeArtifacts(dir);
    await writeFile(
      path.join(dir, 'complete', 'complete.latest.json'),
      JSON.stringify({
        bootstrap: 'other',
        packages: ['mesos--1.5.0', 'mesos--1.6.0', 'bad', 'x--1-2', 'dcos-config--setup_1'],
      }),
    );
    const err = await failure(loadArtifacts(dir));
    expect(err.message).toContain("package id 'bad' must contain exactly one '--'");
    expect(err.message).toContain("package id 'x--1-2' has an invalid version '1-2'");
    expect(err.message).toContain("package name 'mesos' is listed twice");
    expect(err.message).toContain("'dcos-config--setup_1' has a name reserved");
    expect(err.message).toMatch(/bootstrap.latest says '[0-9a-f]+' but complete\/complete.latest.json says 'other'/);
  });

  it('lets bootstrap_id from the config choose another bootstrap, which must exist', async () => {
    const dir = await tempDir();
    await makeArtifacts(dir);
    const err = await failure(loadArtifacts(dir, { bootstrapIdOverride: 'feedface' }));
    expect(err.message).toContain('missing bootstrap/feedface.bootstrap.tar.xz');
    await makeArtifacts(dir, { bootstrapId: 'feedface' });
    expect((await loadArtifacts(dir, { bootstrapIdOverride: 'feedface' })).bootstrapId).toBe('feedface');
  });

  it('reports malformed JSON with the file name', async () => {
    const dir = await tempDir();
    await makeArtifacts(dir);
    await writeFile(path.join(dir, 'complete', 'complete.latest.json'), '{"packages": [');
    const err = await failure(loadArtifacts(dir));
    expect(err.message).toMatch(/complete\/complete.latest.json: not valid JSON/);
  });

  it('records the mode so unreadable artifacts are copied, not linked', async () => {
    const dir = await tempDir();
    await makeArtifacts(dir);
    await chmod(path.join(dir, 'packages', 'mesos', 'mesos--1.5.0.tar.xz'), 0o600);
    const a = await loadArtifacts(dir);
    expect(a.packages.find((p) => p.name === 'mesos')!.file.mode).toBe(0o600);
  });
});
