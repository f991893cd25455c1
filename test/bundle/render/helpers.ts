/** Shared fixtures and comparison helpers for the config-package renderer tests. */

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { ConfigValues } from '../../../src/config/types.js';
import type { BundleEntry, RenderContext } from '../../../src/bundle/render/index.js';

const here = dirname(fileURLToPath(import.meta.url));
export const GOLDEN_ROOT = join(here, '../../golden/render');
export const REFERENCE_DIR = join(GOLDEN_ROOT, 'reference-3-masters');

export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** The finalized arguments of the reference config, as the validator hands them over. */
export function referenceArgs(): Record<string, string> {
  return readJson(join(here, 'fixtures/reference-args.json'));
}

export function referenceUserArgs(): Record<string, string> {
  return readJson(join(here, 'fixtures/reference-user-args.json'));
}

export interface ReferenceIds {
  config_id: string;
  cluster_package_list_id: string;
  package_ids: string[];
  bootstrap_id: string;
  dcos_image_commit: string;
}

export const referenceIds = (): ReferenceIds => readJson(join(REFERENCE_DIR, 'ids.json'));

const sha1 = (s: string): string => createHash('sha1').update(s).digest('hex');

/**
 * A context whose ids differ from the reference's (ours are computed from other inputs), so the golden
 * comparison proves the id-bearing values come from the context and nothing else.
 */
export function contextFor(args: ConfigValues, seed = 'ours'): RenderContext {
  const ids = referenceIds();
  const configId = sha1(`config:${seed}`);
  const packageIds = ids.package_ids;
  const clusterPackages = [`dcos-config--setup_${configId}`, `dcos-metadata--setup_${configId}`, ...packageIds].sort();
  return {
    bootstrapId: args.bootstrap_id ?? ids.bootstrap_id,
    dcosImageCommit: args.dcos_image_commit ?? ids.dcos_image_commit,
    dcosVersion: args.dcos_version ?? '1.11.14-dev',
    dcosVariant: args.dcos_variant ?? 'open',
    configId,
    clusterPackageListId: sha1(`list:${seed}`),
    clusterPackages,
    packageIds,
    templateFilenames:
      '[\n  "dcos-config.yaml",\n  "cloud-config.yaml",\n  "dcos-metadata.yaml",\n  "dcos-services.yaml"\n]',
    configPackageNames: '[\n  "dcos-config",\n  "dcos-metadata"\n]',
  };
}

/** Every file under dir (relative '/'-separated paths), skipping the MODES.txt listing itself. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p).split('\\').join('/'));
    }
  };
  walk(dir);
  return out.filter((p) => p !== 'MODES.txt').sort();
}

/** MODES.txt of the reference: file path → mode (directories and the archive root left out). */
export function readModes(path: string): Map<string, number> {
  const modes = new Map<string, number>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^(\d{4}) (\S+)$/.exec(line);
    if (m && !m[2]!.endsWith('/')) modes.set(m[2]!, parseInt(m[1]!, 8));
  }
  return modes;
}

export function contentOf(e: BundleEntry): string {
  return typeof e.content === 'string' ? e.content : e.content.toString('utf8');
}

export function byPath(entries: BundleEntry[]): Map<string, BundleEntry> {
  return new Map(entries.map((e) => [e.path, e]));
}

/** KEY=value lines in order, blank lines and comments ignored: what systemd's EnvironmentFile reads. */
export function envPairs(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
}

/**
 * Golden records for variants: the files that differ from the reference render (content, plus MODES.txt)
 * and REMOVED.txt for files the variant does not render. UPDATE_GOLDEN=1 rewrites them from the render.
 */
export function goldenDir(name: string): string {
  return join(GOLDEN_ROOT, 'variants', name);
}

export function updateGolden(dir: string, entries: BundleEntry[], removed: string[]): void {
  if (existsSync(dir)) rmSync(dir, { recursive: true });
  for (const e of entries) {
    const p = join(dir, e.path);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, e.content);
  }
  writeFileSync(
    join(dir, 'MODES.txt'),
    entries.map((e) => `${e.mode.toString(8).padStart(4, '0')} ${e.path}\n`).join(''),
  );
  writeFileSync(join(dir, 'REMOVED.txt'), removed.map((p) => `${p}\n`).join(''));
}

export const UPDATE = process.env.UPDATE_GOLDEN === '1';

/** The reference's text of one package file, with the reference's ids replaced by the context's. */
export function referenceText(pkg: string, path: string, ctx: RenderContext): string {
  const ids = referenceIds();
  return readFileSync(join(REFERENCE_DIR, pkg, path), 'utf8')
    .split(ids.config_id)
    .join(ctx.configId)
    .split(ids.cluster_package_list_id)
    .join(ctx.clusterPackageListId);
}

// Files whose original layout came from template artifacts (blank lines left by switch blocks, odd
// indentation): same keys and values, cleaner text. Everything else must match byte for byte.
const ENV_FILES = new Set(['etc/mesos-master', 'etc_master/marathon']);
const JSON_FILES = new Set([
  'etc/ui-config.json',
  'etc/dcos-diagnostics-endpoint-config.json',
  'etc_master/dcos-dns.json',
  'etc/mesos-slave-dns.json',
]);

export function expectSameAsReference(path: string, ours: string, theirs: string): void {
  if (ENV_FILES.has(path)) {
    expect(envPairs(ours)).toEqual(envPairs(theirs));
    expect(ours.endsWith('\n')).toBe(true);
  } else if (JSON_FILES.has(path)) {
    expect(JSON.parse(ours)).toEqual(JSON.parse(theirs));
  } else {
    expect(ours).toBe(theirs);
  }
}
