/**
 * The record of the configuration on every node: what the operator wrote (user.config.yaml) and every
 * finalized argument (expanded.config.json). dcos-diagnostics bundles the non-secret versions; the full
 * ones are owner-only.
 */

import type { ConfigValues } from '../../config/types.js';
import { ConfigReader } from './config-reader.js';
import { type JsonNode, pyJsonDumpTree } from '../../pycompat/json-tree.js';
import { pyStrCompare } from '../../pycompat/py.js';
import { dumpedScript, scriptText } from './contents.js';
import { dumpLiteralMapping, dumpString } from '../../pycompat/yaml-dump.js';
import { checkRunnerConfig } from './services.js';
import { rexrayConf } from './node-env.js';
import { type BundleEntry, MODE_SECRET, type RenderContext, file } from './types.js';

/** ConfigValues whose values never appear in world-readable files (DC/OS 1.11 branch tip's list). */
export const SECRET_KEYS: readonly string[] = [
  'aws_secret_access_key',
  'cluster_docker_credentials',
  'exhibitor_admin_password',
  'exhibitor_azure_account_key',
];
export const HIDDEN = '**HIDDEN**';
/**
 * Keys whose values are secrets on a node. 1.11 hid only SECRET_KEYS in the world-readable records and wrote the
 * enterprise ones (accepted here, unused by open DC/OS) into them in clear. The file set stays 1.11's; any file of the
 * config package that holds one of these values is written 0600 (root only) instead of 0644.
 */
export const NODE_SECRET_KEYS: readonly string[] = [
  ...SECRET_KEYS,
  'superuser_password_hash',
  'zk_super_credentials',
  'zk_master_credentials',
  'zk_agent_credentials',
  'license_key_contents',
  'customer_key',
];
/**
 * Settings of the SSH runner that the validator hands over with the DC/OS arguments. DC/OS 1.11's genconf
 * never resolved them, so they are not part of the node's record (ssh_key_path would also leak a path of
 * the operator's machine).
 */
export const RUNNER_ONLY_KEYS: readonly string[] = [
  'agent_list',
  // Read by dcos_install.sh only (fallback download URLs), like the SSH settings not part of 1.11's record.
  'bootstrap_url_mirrors',
  'process_timeout',
  'public_agent_list',
  'ssh_config_file',
  'ssh_host_overrides',
  'ssh_key_path',
  'ssh_parallelism',
  'ssh_port',
  'ssh_user',
];
// The original put this placeholder in the argument dict while it serialized the dict into itself.
const EXPANDED_PLACEHOLDER = '"DO NOT USE THIS AS AN ARGUMENT TO OTHER ARGUMENTS. IT IS TEMPORARY"';

export function renderExpanded(a: ConfigReader, userArgs: ConfigValues, ctx: RenderContext): BundleEntry[] {
  const hidden: Record<string, string> = {};
  for (const [k, v] of Object.entries(userArgs)) hidden[k] = SECRET_KEYS.includes(k) ? HIDDEN : v;
  const userYamlFull = dumpLiteralMapping(userArgs);
  const userYaml = dumpLiteralMapping(hidden);

  const full = expandedArguments(a, userArgs, hidden, userYaml, userYamlFull, ctx);
  const visible: Record<string, string> = {};
  for (const [k, v] of Object.entries(full)) if (!SECRET_KEYS.includes(k) && !k.endsWith('_full')) visible[k] = v;

  return [
    file('etc/user.config.yaml', asBlockContent(userYaml)),
    file('etc/user.config.full.yaml', asBlockContent(userYamlFull), MODE_SECRET),
    file('etc/expanded.config.json', `${prettySorted(visible)}\n`),
    file('etc/expanded.config.full.json', `${prettySorted(full)}\n`, MODE_SECRET),
  ];
}

/**
 * Every argument as the original recorded it: the ids and lists known only after hashing come from the
 * context, script contents are kept YAML-quoted (the form the original's templates embedded), and the
 * derived records of the user's input are added.
 */
function expandedArguments(
  a: ConfigReader,
  userArgs: ConfigValues,
  hidden: Record<string, string>,
  userYaml: string,
  userYamlFull: string,
  ctx: RenderContext,
): Record<string, string> {
  const full: Record<string, string> = { ...a.all };
  for (const k of RUNNER_ONLY_KEYS) delete full[k];
  const ipDetect = a.get('ip_detect_contents');
  full.ip_detect_contents = dumpedScript(ipDetect);
  full.ip_detect_public_contents = dumpedScript(a.opt('ip_detect_public_contents', ipDetect));
  const faultDomain = scriptText(a.opt('fault_domain_detect_contents', ''));
  // Open 1.11 never calculated it; keep the key only when a script is actually shipped.
  if (faultDomain === '') delete full.fault_domain_detect_contents;
  else full.fault_domain_detect_contents = dumpString(faultDomain);
  full.check_config_contents = dumpString(checkRunnerConfig(a));
  full.rexray_config_contents = dumpString(rexrayConf(a));

  full.bootstrap_id = ctx.bootstrapId;
  full.dcos_image_commit = ctx.dcosImageCommit;
  full.dcos_version = ctx.dcosVersion;
  full.dcos_variant = ctx.dcosVariant;
  full.cluster_package_list_id = ctx.clusterPackageListId;
  full.cluster_packages = pyList(ctx.clusterPackages);
  full.package_ids = pyList(ctx.packageIds);
  full.template_filenames = ctx.templateFilenames;
  full.config_package_names = ctx.configPackageNames;

  full.user_arguments_full = prettySorted(userArgs);
  full.user_arguments = prettySorted(hidden);
  full.config_yaml_full = indentText(userYamlFull, 6);
  full.config_yaml = indentText(userYaml, 6);
  full.expanded_config_full = EXPANDED_PLACEHOLDER;
  full.expanded_config = EXPANDED_PLACEHOLDER;
  return full;
}

/** The original's json_prettyprint: sorted keys, indent 2, `"key":"value"`. */
export function prettySorted(map: Readonly<Record<string, string>>): string {
  const entries = Object.keys(map)
    .sort(pyStrCompare)
    .map((k): [string, JsonNode] => [k, { t: 'str', v: map[k]! }]);
  return pyJsonDumpTree({ t: 'obj', entries: new Map(entries) }, { indent: 2, separators: [',', ':'] });
}

/** `json.dumps(list)`: `["a", "b"]`. */
function pyList(items: readonly string[]): string {
  return pyJsonDumpTree({ t: 'arr', items: items.map((v): JsonNode => ({ t: 'str', v })) });
}

/** Python's textwrap.indent: prefix every line that is not blank. */
function indentText(text: string, n: number): string {
  const prefix = ' '.repeat(n);
  return text
    .split(/(?<=\n)/)
    .map((l) => (l.trim() === '' ? l : prefix + l))
    .join('');
}

/** What a YAML `|` block (clip) around this text yields: the text with exactly one final newline. */
function asBlockContent(text: string): string {
  const body = text.replace(/\n+$/, '');
  return body === '' ? '' : `${body}\n`;
}
