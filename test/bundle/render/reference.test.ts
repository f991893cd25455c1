/**
 * The reference render: our renderer on the reference config against every file DC/OS 1.11 wrote for it.
 * Env files compare as their KEY=value lines, JSON as parsed values (plus byte equality where our layout
 * is the original's), everything else byte for byte. Ids are substituted: ours come from the context.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderConfigPackage, renderMetadataPackage } from '../../../src/bundle/render/index.js';
import {
  REFERENCE_DIR,
  byPath,
  contentOf,
  contextFor,
  expectSameAsReference,
  listFiles,
  readModes,
  referenceArgs,
  referenceIds,
  referenceText,
  referenceUserArgs,
} from './helpers.js';

const args = referenceArgs();
const ctx = contextFor(args);
const ids = referenceIds();
const config = renderConfigPackage(args, referenceUserArgs(), ctx);
const metadata = renderMetadataPackage(args, ctx);

describe.each([
  ['dcos-config', config],
  ['dcos-metadata', metadata],
])('%s package of the reference config', (pkg, entries) => {
  const refDir = join(REFERENCE_DIR, pkg);
  const rendered = byPath(entries);

  it('has exactly the files the original rendered', () => {
    expect(entries.map((e) => e.path)).toEqual(listFiles(refDir));
  });

  it('gives every file the mode the original gave it', () => {
    const modes = readModes(join(refDir, 'MODES.txt'));
    expect(modes.size).toBe(entries.length);
    for (const e of entries) expect([e.path, e.mode.toString(8)]).toEqual([e.path, modes.get(e.path)!.toString(8)]);
  });

  it.each(listFiles(refDir))('%s matches the original', (path) => {
    expectSameAsReference(path, contentOf(rendered.get(path)!), referenceText(pkg, path, ctx));
  });
});

describe('id-bearing values', () => {
  it('come from the render context', () => {
    const expanded = JSON.parse(contentOf(byPath(config).get('etc/expanded.config.json')!)) as Record<string, string>;
    expect(expanded.cluster_package_list_id).toBe(ctx.clusterPackageListId);
    expect(JSON.parse(expanded.cluster_packages!)).toEqual(ctx.clusterPackages);
    expect(expanded.bootstrap_id).toBe(ctx.bootstrapId);
    expect(expanded.dcos_image_commit).toBe(ctx.dcosImageCommit);
  });

  it('are the only difference from the original (the substitution is not hiding anything else)', () => {
    const raw = readFileSync(join(REFERENCE_DIR, 'dcos-config/etc/expanded.config.full.json'), 'utf8');
    expect(raw).toContain(ids.config_id);
    expect(contentOf(byPath(config).get('etc/expanded.config.full.json')!)).not.toContain(ids.config_id);
  });
});
