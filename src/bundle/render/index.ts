/**
 * Node-side content of the config packages: a pure function from the finalized arguments to every file
 * of `dcos-config--setup_<id>` and `dcos-metadata--setup_<id>`, as DC/OS 1.11 rendered them. Writes
 * nothing; packing and hashing happen elsewhere.
 */

import type { ConfigValues } from '../../config/types.js';
import { ConfigReader } from './config-reader.js';
import { renderCore } from './core.js';
import { renderDiscovery } from './discovery.js';
import { NODE_SECRET_KEYS, renderExpanded } from './expanded.js';
import { renderMesos } from './mesos.js';
import { renderMetadata } from './metadata.js';
import { renderNetwork } from './network.js';
import { renderNodeEnv } from './node-env.js';
import { renderServices } from './services.js';
import { MODE_SECRET, type BundleEntry, type RenderContext } from './types.js';

export type { BundleEntry, RenderContext } from './types.js';

export function renderConfigPackage(args: ConfigValues, userArgs: ConfigValues, ctx: RenderContext): BundleEntry[] {
  const a = new ConfigReader(args);
  return restrictSecrets(
    sortedUnique([
      ...renderCore(a),
      ...renderMesos(a),
      ...renderNetwork(a),
      ...renderDiscovery(a),
      ...renderServices(a),
      ...renderNodeEnv(a),
      ...renderExpanded(a, userArgs, ctx),
    ]),
    [userArgs, args],
  );
}

/**
 * Every file that holds the value of a secret key (NODE_SECRET_KEYS) in clear becomes 0600: user.config.yaml and
 * expanded.config.json carry each value the operator wrote, and other files may embed one.
 */
function restrictSecrets(entries: BundleEntry[], sources: ConfigValues[]): BundleEntry[] {
  const secrets = new Set<string>();
  for (const src of sources) {
    for (const key of NODE_SECRET_KEYS) {
      const v = Object.hasOwn(src, key) ? src[key] : undefined;
      // Very short values would match by chance; a secret that short protects nothing anyway.
      if (v === undefined || v.trim().length < 4) continue;
      // As written, and as the JSON and YAML records spell it (escaped quotes; a multi-line value line by line).
      secrets.add(v);
      secrets.add(JSON.stringify(v).slice(1, -1));
      for (const line of v.split('\n')) if (line.trim().length >= 8) secrets.add(line.trim());
    }
  }
  if (secrets.size === 0) return entries;
  return entries.map((e) => {
    if ((e.mode & 0o077) === 0) return e;
    const text = typeof e.content === 'string' ? e.content : e.content.toString('utf8');
    for (const s of secrets)
      if (text.includes(s)) return { ...e, mode: (e.mode & 0o700) === 0o700 ? 0o700 : MODE_SECRET };
    return e;
  });
}

export function renderMetadataPackage(_args: ConfigValues, ctx: RenderContext): BundleEntry[] {
  return sortedUnique(renderMetadata(ctx));
}

/** Deterministic order (by path, as bytes) and a guard against two renderers claiming one file. */
function sortedUnique(entries: BundleEntry[]): BundleEntry[] {
  const sorted = [...entries].sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.path === sorted[i - 1]!.path)
      throw new Error(`config renderer: '${sorted[i]!.path}' rendered twice`);
  }
  return sorted;
}
