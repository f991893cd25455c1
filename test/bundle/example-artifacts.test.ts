import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadArtifacts } from '../../src/bundle/artifacts.js';
import { buildBundle } from '../../src/bundle/build.js';
import { verifyBundle } from '../../src/bundle/verify.js';
import { writeExampleArtifacts } from '../../scripts/example-artifacts.js';
import { fakeArgs, fakeRenderers, makeGenconf, tempDir } from './helpers.js';

describe('the bundle writer on the example artifacts set (scripts/example-artifacts)', () => {
  it('reads the set, serves every package and builds a verifiable bundle', async () => {
    const dir = await tempDir();
    const artifactsDir = path.join(dir, 'artifacts');
    const example = await writeExampleArtifacts(artifactsDir);
    const set = await loadArtifacts(artifactsDir);
    expect(set.bootstrapId).toBe(example.bootstrapId);
    expect(set.packages.map((p) => p.id)).toEqual([...example.packageIds].sort());

    const genconfDir = await makeGenconf(dir);
    const r = await buildBundle({ genconfDir, artifactsDir, ...fakeArgs(), renderers: fakeRenderers });
    for (const id of example.packageIds) expect(r.clusterPackages).toContain(id);
    for (const rel of example.files.filter((f) => f.startsWith('packages/') || f.startsWith('bootstrap/'))) {
      expect(await readFile(path.join(r.serveDir, rel))).toEqual(await readFile(path.join(artifactsDir, rel)));
    }
    expect((await verifyBundle(r.serveDir)).every((rep) => rep.problems.length === 0)).toBe(true);
  });
});
