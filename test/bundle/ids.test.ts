import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeIds, type IdInputs } from '../../src/bundle/ids.js';
import { hashCheckout } from '../../src/config/hash-checkout.js';

const base: IdInputs = {
  commit: 'dcos-genconf-0.1.0',
  templateFilenames: '[\n  "dcos-config.yaml"\n]',
  args: { cluster_name: 'a', ip_detect_contents: '#!/bin/sh\necho 10.0.0.1\n' },
  digests: { 'bootstrap/x.bootstrap.tar.xz': 'aa', 'packages/p/p--1.tar.xz': 'bb' },
  packageIds: ['p--1'],
};

describe('computeIds', () => {
  it('follows pkgpanda: config packages named from config_id, list id = hash_checkout(sorted list)', () => {
    const ids = computeIds(base);
    expect(ids.configId).toMatch(/^[0-9a-f]{40}$/);
    expect(ids.clusterPackages).toEqual([
      `dcos-config--setup_${ids.configId}`,
      `dcos-metadata--setup_${ids.configId}`,
      'p--1',
    ]);
    expect(ids.clusterPackageListId).toBe(hashCheckout(ids.clusterPackages));
  });

  it('reproduces the original list id for the original config id', () => {
    // ids.json of the reference render: config_id bfbf…, package_ids ["package--version"].
    const configId = 'bfbf80563ab805a41dd2b5b3378bf3a5245b30c0';
    const list = [`dcos-config--setup_${configId}`, `dcos-metadata--setup_${configId}`, 'package--version'];
    expect(hashCheckout(list)).toBe('02b47e4e4fe9573c7be5ddf52365efafd2893126');
  });

  it('is a function of content only (argument order does not matter)', () => {
    const reversed = Object.fromEntries(Object.entries(base.args).reverse());
    expect(computeIds({ ...base, args: reversed }).configId).toBe(computeIds(base).configId);
  });

  it('ignores the arguments computed from config_id itself', () => {
    const withDerived = { ...base, args: { ...base.args, cluster_packages: '["x"]', cluster_package_list_id: 'y' } };
    expect(computeIds(withDerived).configId).toBe(computeIds(base).configId);
  });

  it('changes with any argument, artifact digest, commit or template list', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ minLength: 1 }), fc.constant('__proto__')), fc.string(), (key, value) => {
        fc.pre(
          ![
            'cluster_packages',
            'cluster_package_list_id',
            'config_id',
            'expanded_config',
            'expanded_config_full',
            '__artifact_digests',
          ].includes(key),
        );
        fc.pre(base.args[key] !== value);
        const args = Object.assign(Object.create(null) as Record<string, string>, base.args);
        Object.defineProperty(args, key, { value, enumerable: true });
        return computeIds({ ...base, args }).configId !== computeIds(base).configId;
      }),
    );
    const id = computeIds(base).configId;
    expect(computeIds({ ...base, digests: { ...base.digests, 'packages/p/p--1.tar.xz': 'cc' } }).configId).not.toBe(id);
    expect(computeIds({ ...base, commit: 'dcos-genconf-0.1.1' }).configId).not.toBe(id);
    expect(computeIds({ ...base, templateFilenames: '[]' }).configId).not.toBe(id);
  });
});

describe('ids follow the config package content', () => {
  it('a changed superuser_password_hash or unknown key (they land in user.config.yaml) changes both ids', async () => {
    const { buildBundle } = await import('../../src/bundle/build.js');
    const { fakeArgs, fakeRenderers, makeArtifacts, makeGenconf, tempDir } = await import('./helpers.js');
    const pathMod = await import('node:path');
    const build = async (extra: Record<string, string>) => {
      const dir = await tempDir();
      await makeArtifacts(pathMod.join(dir, 'artifacts'));
      const genconfDir = await makeGenconf(dir);
      const base = fakeArgs();
      return buildBundle({
        genconfDir,
        artifactsDir: pathMod.join(dir, 'artifacts'),
        args: base.args,
        userArgs: { ...base.userArgs, ...extra },
        renderers: fakeRenderers,
      });
    };
    const a = await build({ superuser_password_hash: '$6$one' });
    const b = await build({ superuser_password_hash: '$6$two' });
    const c = await build({ superuser_password_hash: '$6$one', some_unknown_key: 'x' });
    const again = await build({ superuser_password_hash: '$6$one' });
    expect(new Set([a.configId, b.configId, c.configId]).size).toBe(3);
    expect(new Set([a.clusterPackageListId, b.clusterPackageListId, c.clusterPackageListId]).size).toBe(3);
    expect(again.configId).toBe(a.configId);
  });
});
