import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { IN_CI } from './tools.js';
import { buildExampleArtifacts, hashCheckoutList, writeExampleArtifacts } from '../../scripts/example-artifacts.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'example-artifacts-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function tarList(file: string): string[] {
  const r = spawnSync('tar', ['--numeric-owner', '-tvJf', file], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim().split('\n');
}

describe('example artifacts', () => {
  test('hash_checkout of a list matches the original (3-master reference render)', () => {
    // From the original 1.11 render: cluster_packages -> cluster_package_list_id.
    const ids = [
      'dcos-config--setup_bfbf80563ab805a41dd2b5b3378bf3a5245b30c0',
      'dcos-metadata--setup_bfbf80563ab805a41dd2b5b3378bf3a5245b30c0',
      'package--version',
    ];
    expect(hashCheckoutList(ids)).toBe('02b47e4e4fe9573c7be5ddf52365efafd2893126');
    expect(hashCheckoutList([...ids].reverse())).toBe('02b47e4e4fe9573c7be5ddf52365efafd2893126');
  });

  test('two builds are byte-identical', async () => {
    const a = await buildExampleArtifacts();
    const b = await buildExampleArtifacts();
    expect([...a.contents.keys()]).toEqual([...b.contents.keys()]);
    for (const [k, v] of a.contents) expect(Buffer.compare(v, b.contents.get(k) as Buffer), k).toBe(0);
  });

  test('writes the artifacts layout genconf reads, with ids that hold together', async () => {
    const out = path.join(dir, 'artifacts');
    const r = await writeExampleArtifacts(out);
    const complete = JSON.parse(fs.readFileSync(path.join(out, 'complete/complete.latest.json'), 'utf8')) as {
      bootstrap: string;
      packages: string[];
    };
    expect(complete.bootstrap).toBe(r.bootstrapId);
    expect(complete.packages).toEqual(r.packageIds);
    expect(complete.packages).toEqual([...complete.packages].sort());
    expect(fs.readFileSync(path.join(out, 'bootstrap.latest'), 'utf8')).toBe(r.bootstrapId);
    const active = JSON.parse(
      fs.readFileSync(path.join(out, `bootstrap/${r.bootstrapId}.active.json`), 'utf8'),
    ) as string[];
    // bootstrap_id = hash_checkout(the package ids inside the bootstrap tarball).
    expect(hashCheckoutList(active)).toBe(r.bootstrapId);
    const boot = tarList(path.join(out, `bootstrap/${r.bootstrapId}.bootstrap.tar.xz`));
    for (const id of active)
      expect(
        boot.some((l) => l.endsWith(`packages/${id}/pkginfo.json`)),
        id,
      ).toBe(true);
    expect(boot.some((l) => /^l.* bin\/pkgpanda -> \.\.\/packages\/pkgpanda--[^/]+\/bin\/pkgpanda$/.test(l))).toBe(
      true,
    );
    for (const id of complete.packages) {
      const name = id.split('--')[0] as string;
      const entries = tarList(path.join(out, `packages/${name}/${id}.tar.xz`));
      expect(
        entries.some((l) => l.endsWith(' pkginfo.json')),
        id,
      ).toBe(true);
      for (const l of entries) {
        expect(l, id).toMatch(/^\S+ 0\/0 /);
        if (/ bin\/\S+$/.test(l)) expect(l, id).toMatch(/^-rwxr-xr-x/);
      }
    }
  });

  test('replaces an earlier artifacts set, refuses any other directory', async () => {
    const out = path.join(dir, 'artifacts');
    await writeExampleArtifacts(out);
    fs.writeFileSync(path.join(out, 'stale'), 'x');
    await writeExampleArtifacts(out);
    expect(fs.existsSync(path.join(out, 'stale'))).toBe(false);
    const other = path.join(dir, 'home');
    fs.mkdirSync(other);
    fs.writeFileSync(path.join(other, 'precious.txt'), 'keep me');
    await expect(writeExampleArtifacts(other)).rejects.toThrow(/refusing to replace/);
    expect(fs.readFileSync(path.join(other, 'precious.txt'), 'utf8')).toBe('keep me');
    expect(fs.readdirSync(dir).sort()).toEqual(['artifacts', 'home']);
  });

  test('npm run example-artifacts -- DIR (the built script): writes the set, usage error without DIR', (ctx) => {
    const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/scripts/example-artifacts.js');
    if (!fs.existsSync(cli)) {
      if (!IN_CI) ctx.skip('dist/ is not built (npm run build)');
      throw new Error(`${cli} missing: the scripts must be built before the tests under CI`);
    }
    const out = path.join(dir, 'cli-artifacts');
    const ok = spawnSync(process.execPath, [cli, out], { encoding: 'utf8' });
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^Wrote the example artifacts set to /);
    expect(fs.existsSync(path.join(out, 'complete/complete.latest.json'))).toBe(true);
    const usage = spawnSync(process.execPath, [cli], { encoding: 'utf8' });
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('usage: npm run example-artifacts -- DIR');
  });
});
