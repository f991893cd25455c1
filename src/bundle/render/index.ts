/**
 * Node-side content of the config packages: a pure function from the finalized arguments to every file
 * of `dcos-config--setup_<id>` and `dcos-metadata--setup_<id>`, as DC/OS 1.11 rendered them. Writes
 * nothing; packing and hashing happen elsewhere.
 */

import type { Arguments } from '../../config/types.js';
import { Args } from './args.js';
import { renderCore } from './core.js';
import { renderDiscovery } from './discovery.js';
import { renderExpanded } from './expanded.js';
import { renderMesos } from './mesos.js';
import { renderMetadata } from './metadata.js';
import { renderNetwork } from './network.js';
import { renderNodeEnv } from './node-env.js';
import { renderServices } from './services.js';
import type { BundleEntry, RenderContext } from './types.js';

export type { BundleEntry, RenderContext } from './types.js';

export function renderConfigPackage(args: Arguments, userArgs: Arguments, ctx: RenderContext): BundleEntry[] {
  const a = new Args(args);
  return sortedUnique([
    ...renderCore(a),
    ...renderMesos(a),
    ...renderNetwork(a),
    ...renderDiscovery(a),
    ...renderServices(a),
    ...renderNodeEnv(a),
    ...renderExpanded(a, userArgs, ctx),
  ]);
}

export function renderMetadataPackage(_args: Arguments, ctx: RenderContext): BundleEntry[] {
  return sortedUnique(renderMetadata(ctx));
}

/** Deterministic order (by path, as bytes) and a guard against two renderers claiming one file. */
function sortedUnique(entries: BundleEntry[]): BundleEntry[] {
  const sorted = [...entries].sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.path === sorted[i - 1]!.path) throw new Error(`config renderer: '${sorted[i]!.path}' rendered twice`);
  }
  return sorted;
}
