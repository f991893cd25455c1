/**
 * Every key the config package renderers (and the install script) read is one that validation resolves: a key
 * marked `"x-template": true` in schema/config.schema.json, a switch or switch-case key of target-dcos.ts, or a
 * value the build or the runner adds. A key printed by a renderer but marked nowhere would be missing from the
 * finalized arguments (ConfigReader throws, or its fallback silently replaces the operator's value).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigReader } from '../../src/bundle/render/config-reader.js';
import { renderConfigPackage, renderMetadataPackage } from '../../src/bundle/render/index.js';
import type { TargetSpec } from '../../src/config/engine.js';
import { BUILD_MUSTS } from '../../src/config/defaults-dcos.js';
import { GENCONF_OWN_TARGET } from '../../src/config/rules-genconf.js';
import { SSH_KEYS } from '../../src/config/rules-ssh.js';
import { loadSchema, templateKeys, type ConfigSchema } from '../../src/config/schema.js';
import { dcosTarget } from '../../src/config/target-dcos.js';
import { contextFor, referenceArgs, referenceUserArgs } from '../bundle/render/helpers.js';

const SRC = fileURLToPath(new URL('../../src/bundle/', import.meta.url));

/** Keys read although no target resolves them, each for a stated reason. */
const NOT_RESOLVED: Readonly<Record<string, string>> = {
  // Validation adds it after resolving (the script's text); the renderers read it with a fallback.
  fault_domain_detect_contents: 'added by validate.ts',
  // Read only when custom_auth is 'true', which open DC/OS calculates as 'false' (an Enterprise template branch).
  custom_auth_json: 'Enterprise only',
};

/** The string keys the renderers and the install script read: `a.get('k')`, `a.opt('k', …)`, `args.k` and so on. */
function keysReadInSource(): Set<string> {
  const files = [
    ...readdirSync(path.join(SRC, 'render')).map((f) => path.join(SRC, 'render', f)),
    path.join(SRC, 'install-script.ts'),
  ].filter((f) => f.endsWith('.ts'));
  const keys = new Set<string>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:\.(?:get|opt|line|flag)|\bfrag)\('([a-z0-9_]+)'/g)) keys.add(m[1]!);
    for (const m of text.matchAll(/\bargs\.([a-z0-9_]+)/g)) keys.add(m[1]!);
  }
  return keys;
}

/** Every key a target resolves: its variables, its switches and, recursively, every case's. */
function resolvedKeys(...targets: TargetSpec[]): Set<string> {
  const out = new Set<string>();
  const walk = (t: TargetSpec): void => {
    t.variables.forEach((v) => out.add(v));
    for (const [name, cases] of t.switches ?? []) {
      out.add(name);
      cases.forEach(([, sub]) => walk(sub));
    }
  };
  targets.forEach(walk);
  return out;
}

/** Keys read but resolved by no target and not excused: what this test reports. */
function unlisted(read: Iterable<string>, target: TargetSpec): string[] {
  const known = resolvedKeys(target, GENCONF_OWN_TARGET);
  SSH_KEYS.forEach((k) => known.add(k));
  return [...read].filter((k) => !known.has(k) && !(k in NOT_RESOLVED)).sort();
}

/** The genconf target as target-dcos.ts builds it, from a given schema. */
function targetFrom(schema: ConfigSchema): TargetSpec {
  return { variables: [...templateKeys(schema), ...BUILD_MUSTS], switches: dcosTarget().switches ?? [] };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('keys the config package renderers print', () => {
  const read = keysReadInSource();

  it('finds the reads (the scan is not empty by accident)', () => {
    expect(read.size).toBeGreaterThan(100);
    for (const k of ['cluster_name', 'mesos_recovery_timeout', 'exhibitor_zk_hosts', 'bootstrap_url_mirrors'])
      expect(read.has(k), k).toBe(true);
  });

  it('are each marked in the schema (x-template), a switch case of target-dcos.ts, or added by the build', () => {
    expect(unlisted(read, dcosTarget())).toEqual([]);
  });

  it('fails for a printed key whose schema mark is removed', () => {
    const schema = structuredClone(loadSchema());
    delete schema.properties.mesos_recovery_timeout!['x-template'];
    expect(unlisted(read, targetFrom(schema))).toEqual(['mesos_recovery_timeout']);
  });

  it('the source scan sees every key the reference render reads', () => {
    // A spy calls through to the real method and records each key asked for.
    const spies = [vi.spyOn(ConfigReader.prototype, 'get'), vi.spyOn(ConfigReader.prototype, 'opt')];
    const args = referenceArgs();
    const ctx = contextFor(args);
    renderConfigPackage(args, referenceUserArgs(), ctx);
    renderMetadataPackage(args, ctx);
    const seen = new Set(spies.flatMap((spy) => spy.mock.calls.map((call) => call[0])));
    expect(seen.size).toBeGreaterThan(50);
    expect([...seen].filter((k) => !read.has(k))).toEqual([]);
  });

  it('the schema marks only keys it describes as settable or calculated DC/OS keys', () => {
    const schema = loadSchema();
    for (const k of templateKeys(schema)) expect(schema.properties[k]!.description, k).toBeTruthy();
    expect(templateKeys(schema).slice(0, 2)).toEqual(['cluster_name', 'bootstrap_url']);
  });
});
