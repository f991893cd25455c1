/**
 * The whole chain on the reference config: config.yaml and ip-detect through the validator and the bundle's
 * build-time arguments into the renderer, against what DC/OS 1.11 rendered for the same input. This is what
 * proves the argument hand-over (names, forms such as YAML-dumped script texts) between the stages.
 */

import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ArtifactSet } from '../../../src/bundle/artifacts.js';
import { bundleArguments } from '../../../src/bundle/build.js';
import { renderConfigPackage } from '../../../src/bundle/render/index.js';
import { judgeConfigSync } from '../../../src/config/validate.js';
import {
  REFERENCE_DIR,
  byPath,
  contentOf,
  contextFor,
  expectSameAsReference,
  listFiles,
  referenceIds,
  referenceText,
} from './helpers.js';

const work = mkdtempSync(join(tmpdir(), 'render-pipeline-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function judge(target: 'genconf' | 'ssh'): { args: Record<string, string>; user: Record<string, string> } {
  const genconf = join(work, 'genconf');
  mkdirSync(genconf, { recursive: true });
  copyFileSync(join(REFERENCE_DIR, 'config.yaml'), join(genconf, 'config.yaml'));
  writeFileSync(join(genconf, 'ip-detect'), '#!/bin/sh\necho 10.0.0.1\n');
  const result = judgeConfigSync({ genconfDir: genconf, baseDir: work, target, strict: false });
  expect(result.errors).toEqual([]);
  const ids = referenceIds();
  // Only ids and package lists are used from the artifact set here.
  const artifacts = { bootstrapId: ids.bootstrap_id, packages: ids.package_ids.map((id) => ({ id })) } as unknown as ArtifactSet;
  const args = bundleArguments(result.args!, artifacts, undefined);
  // The reference was rendered with a stand-in image commit; ours names the tool's version.
  args.dcos_image_commit = ids.dcos_image_commit;
  return { args, user: { ...result.userArgs! } };
}

describe.each(['genconf', 'ssh'] as const)('config.yaml → validator (%s target) → renderer', (target) => {
  const { args, user } = judge(target);
  const ctx = contextFor(args);
  const entries = renderConfigPackage(args, user, ctx);
  const rendered = byPath(entries);

  it('renders the files the original rendered', () => {
    expect(entries.map((e) => e.path)).toEqual(listFiles(join(REFERENCE_DIR, 'dcos-config')));
  });

  it.each(listFiles(join(REFERENCE_DIR, 'dcos-config')))('%s matches the original', (path) => {
    expectSameAsReference(path, contentOf(rendered.get(path)!), referenceText('dcos-config', path, ctx));
  });
});
