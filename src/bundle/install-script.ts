/**
 * Renders the node-side scripts of the bundle from the real, shellcheck-able files in templates/:
 * `dcos_install.sh` (templates/dcos_install.sh.tmpl) and `dcos_node_upgrade.sh` (templates/dcos_node_upgrade.sh.tmpl).
 *
 * Placeholder syntax: `@@name@@` (lower-case letters, digits, underscores) stands for one shell word. Every value is
 * substituted single-quoted, so no config text is ever interpreted by the shell that runs the script. A placeholder
 * the renderer has no value for, a value the template never uses, or anything that looks like a misspelt
 * placeholder is an error: a template and its renderer cannot drift apart silently.
 */
import { packageFile } from '../package-files.js';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { ConfigValues } from '../config/types.js';
import type { ArtifactManifest } from './manifest.js';
import { InputError } from '../errors.js';
import { ENV_WORD_MESSAGE, isEnvWord, NODE_URL, NODE_URL_MESSAGE } from '../config/rules-node.js';

const PLACEHOLDER = /@@([a-z0-9_]+)@@/g;
/** Anything between @@ … @@ on one line: catches `@@Bootstrap_URL@@`, `@@ x @@` and friends. */
const LOOSE_PLACEHOLDER = /@@[^@\n]*@@/g;

/** The directory holding the templates shipped with the package. */
export function templatesDir(): string {
  return packageFile('templates');
}

const INCLUDE = /^# @include (\S+)\n/gm;

/**
 * A template's text with every `# @include lib/<file>` line replaced by that file (shared shell functions, kept in
 * one place for both node scripts); the included file's own `# shellcheck shell=` header line is dropped.
 */
export function readTemplate(name: string): string {
  const dir = templatesDir();
  const text = fs.readFileSync(path.join(dir, name), 'utf8');
  return text.replace(INCLUDE, (_line, rel: string) => {
    if (!/^lib\/[A-Za-z0-9._-]+\.sh$/.test(rel))
      throw new Error(`template ${name}: bad include ${rel} (only lib/<file>.sh)`);
    const lib = fs.readFileSync(path.join(dir, rel), 'utf8').replace(/^# shellcheck shell=\S+\n/, '');
    if (/^# @include /m.test(lib)) throw new Error(`template ${rel}: includes may not nest`);
    return lib.endsWith('\n') ? lib : `${lib}\n`;
  });
}

/** One shell word that the shell reads back as exactly `value`: single quotes, with `'` written as `'\''`. */
export function shellQuote(value: string): string {
  if (value.includes('\0')) throw new Error('a NUL byte cannot be passed through a shell script');
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * Substitutes every `@@name@@` in `template` with the shell-quoted `values[name]`. Throws when the template uses a
 * name that has no value, when a value is never used, or when a malformed placeholder is present.
 */
export function renderTemplate(
  template: string,
  values: Readonly<Record<string, string>>,
  templateName: string,
): string {
  for (const m of template.matchAll(LOOSE_PLACEHOLDER)) {
    if (!/^@@[a-z0-9_]+@@$/.test(m[0])) {
      throw new Error(`template ${templateName}: malformed placeholder ${m[0]} (use @@lower_case_name@@)`);
    }
  }
  const used = new Set<string>();
  const out = template.replace(PLACEHOLDER, (_all, name: string) => {
    if (!Object.hasOwn(values, name)) throw new Error(`template ${templateName}: unknown placeholder @@${name}@@`);
    used.add(name);
    return shellQuote(values[name] as string);
  });
  const unused = Object.keys(values).filter((k) => !used.has(k));
  if (unused.length > 0) {
    throw new Error(`template ${templateName}: values never used by the template: ${unused.sort().join(', ')}`);
  }
  return out;
}

function need(args: ConfigValues, key: string): string {
  const v = args[key];
  if (v === undefined) throw new Error(`the finalized arguments lack '${key}', which the install script needs`);
  return v;
}

/**
 * DC/OS 1.11 keeps file contents that are embedded in YAML templates (`ip_detect_contents`, `rexray_config_contents`)
 * as YAML-dumped scalars (`'#!/bin/sh\n\n  echo 10.0.0.1\n\n  '`). Undo that to get the file's text; a value that
 * is not a quoted YAML scalar is taken as the text itself.
 */
export function fileContents(value: string): string {
  const t = value.trimStart();
  if (t.startsWith("'") || t.startsWith('"')) {
    try {
      const parsed: unknown = YAML.parse(value);
      if (typeof parsed === 'string') return parsed;
    } catch {
      // Not YAML after all: the raw text is the content.
    }
  }
  return value;
}

const SHA256 = /^[0-9a-f]{64}$/;
/** Relative, no `..`, no whitespace: one field of a line the node script splits on blanks. */
const SAFE_PATH = /^(?!\/)(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9@._+:/-]+$/;

/** The manifest as the scripts embed it: `<sha256> <size> <path>` a line, sorted by path. */
export function manifestLines(manifest: ArtifactManifest, keep: (path: string) => boolean = () => true): string {
  const files = manifest.files
    .filter((f) => keep(f.path))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const f of files) {
    if (!SHA256.test(f.sha256)) throw new Error(`manifest entry ${f.path}: sha256 is not 64 lower-case hex digits`);
    if (!Number.isSafeInteger(f.size) || f.size < 0) throw new Error(`manifest entry ${f.path}: bad size ${f.size}`);
    if (!SAFE_PATH.test(f.path)) throw new Error(`manifest entry ${JSON.stringify(f.path)}: not a safe relative path`);
  }
  return files.map((f) => `${f.sha256} ${f.size} ${f.path}`).join('\n');
}

/** The manifest must describe the same bundle as the arguments, or the node would verify the wrong files. */
function checkManifestMatches(args: ConfigValues, manifest: ArtifactManifest): void {
  if (manifest.bootstrapId !== need(args, 'bootstrap_id')) {
    throw new Error(
      `manifest bootstrap id ${manifest.bootstrapId} differs from bootstrap_id ${need(args, 'bootstrap_id')}`,
    );
  }
  if (manifest.clusterPackageListId !== need(args, 'cluster_package_list_id')) {
    throw new Error(
      `manifest package list id ${manifest.clusterPackageListId} differs from cluster_package_list_id ${need(args, 'cluster_package_list_id')}`,
    );
  }
}

/** Credentials go to /etc/mesosphere only when DC/OS does not own them and the operator asked for it (1.11 rule). */
function etcDockerCredentials(args: ConfigValues): string {
  const owned = need(args, 'cluster_docker_credentials_dcos_owned') === 'true';
  const toEtc = need(args, 'cluster_docker_credentials_write_to_etc') === 'true';
  return !owned && toEtc ? need(args, 'cluster_docker_credentials') : '';
}

/**
 * bootstrap_url ends up in a systemd unit's command line, which systemd splits on blanks and does not unquote like a
 * shell: only a plain URL can be carried there safely. Validation judges it (config/rules-node.ts); the last guard.
 */
function bootstrapUrl(args: ConfigValues): string {
  const url = need(args, 'bootstrap_url');
  if (!NODE_URL.test(url)) {
    throw new InputError(`bootstrap_url ${JSON.stringify(url)} cannot be used on the nodes: ${NODE_URL_MESSAGE}`);
  }
  return url;
}

/** bootstrap_url_mirrors (a JSON list, validated with the config) as base URLs, one a line, in the order given. */
export function mirrorLines(args: ConfigValues): string {
  const raw = args.bootstrap_url_mirrors ?? '[]';
  let list: unknown;
  try {
    list = JSON.parse(raw);
  } catch {
    throw new InputError(`bootstrap_url_mirrors must be a JSON list of URLs, got ${JSON.stringify(raw)}`);
  }
  if (!Array.isArray(list))
    throw new InputError(`bootstrap_url_mirrors must be a JSON list of URLs, got ${JSON.stringify(raw)}`);
  return list
    .map((m: unknown) => {
      if (typeof m !== 'string' || !/^https?:\/\/[^\s"'`\\$;&|<>(){}]+$/.test(m) || m.endsWith('/')) {
        throw new InputError(
          `bootstrap_url_mirrors entry ${JSON.stringify(m)} cannot be used: each must be an http:// or https:// base URL without ` +
            "blanks, quotes or shell characters, not ending in '/'",
        );
      }
      return m;
    })
    .join('\n');
}

/**
 * The proxy settings as the node writes them into environment files and a systemd drop-in: one word each, so no
 * blanks, quotes, backslashes, `$` or control characters (a proxy URL never needs them; percent-encode otherwise).
 */
function proxyValues(args: ConfigValues): {
  use_proxy: string;
  http_proxy: string;
  https_proxy: string;
  no_proxy: string;
} {
  if ((args.use_proxy ?? 'false') !== 'true')
    return { use_proxy: 'false', http_proxy: '', https_proxy: '', no_proxy: '' };
  // Validation judges these (config/rules-node.ts); the last guard.
  const word = (key: string): string => {
    const v = need(args, key);
    if (!isEnvWord(v)) throw new InputError(`${key} ${JSON.stringify(v)} ${ENV_WORD_MESSAGE}`);
    return v;
  };
  return {
    use_proxy: 'true',
    http_proxy: word('http_proxy'),
    https_proxy: word('https_proxy'),
    no_proxy: word('no_proxy_final'),
  };
}

/** genconf/serve/dcos_install.sh for these finalized arguments and this bundle's artifacts. */
export function renderInstallScript(args: ConfigValues, manifest: ArtifactManifest): string {
  checkManifestMatches(args, manifest);
  const values: Record<string, string> = {
    dcos_version: need(args, 'dcos_version'),
    bootstrap_url: bootstrapUrl(args),
    mirrors: mirrorLines(args),
    ...proxyValues(args),
    bootstrap_id: need(args, 'bootstrap_id'),
    cluster_package_list_id: need(args, 'cluster_package_list_id'),
    mesos_agent_work_dir: need(args, 'mesos_agent_work_dir'),
    rexray_config: fileContents(need(args, 'rexray_config_contents')),
    docker_credentials: etcDockerCredentials(args),
    ip_detect_script: fileContents(need(args, 'ip_detect_contents')),
    artifacts: manifestLines(manifest),
  };
  return renderTemplate(readTemplate('dcos_install.sh.tmpl'), values, 'dcos_install.sh.tmpl');
}

/** The cluster package ids, read from the manifest's `packages/<name>/<id>.tar.xz` entries, sorted. */
export function manifestPackageIds(manifest: ArtifactManifest): string[] {
  const ids: string[] = [];
  for (const f of manifest.files) {
    const m = /^packages\/([^/]+)\/([^/]+)\.tar\.xz$/.exec(f.path);
    if (m && m[2]?.startsWith(`${m[1]}--`)) ids.push(m[2]);
  }
  return ids.sort();
}

/**
 * upgrade/<id>/dcos_node_upgrade.sh: moves a node from `fromVersion` to this bundle's DC/OS version, downloading
 * (http(s)) and verifying every artifact it needs once, first, with the same mirrors and proxy as dcos_install.sh.
 */
export function renderNodeUpgradeScript(args: ConfigValues, manifest: ArtifactManifest, fromVersion: string): string {
  checkManifestMatches(args, manifest);
  const packageIds = manifestPackageIds(manifest);
  if (packageIds.length === 0) throw new Error('the manifest lists no packages: nothing to upgrade to');
  const values: Record<string, string> = {
    from_version: fromVersion,
    to_version: need(args, 'dcos_version'),
    bootstrap_url: bootstrapUrl(args),
    mirrors: mirrorLines(args),
    ...proxyValues(args),
    cluster_package_list_id: need(args, 'cluster_package_list_id'),
    package_ids: packageIds.join('\n'),
    // An upgrade fetches the package list and packages only; the bootstrap tarball is for new nodes.
    artifacts: manifestLines(manifest, (p) => p.startsWith('packages/') || p.startsWith('package_lists/')),
  };
  return renderTemplate(readTemplate('dcos_node_upgrade.sh.tmpl'), values, 'dcos_node_upgrade.sh.tmpl');
}
