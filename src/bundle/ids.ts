/**
 * The bundle's content ids, computed with pkgpanda's hash_checkout so that the same inputs give
 * the same ids on every run and machine, and any change gives new ones:
 *
 *   config_id               = hash_checkout({commit, template_filenames, argument_dict})
 *   cluster_packages        = sorted(dcos-config--setup_<config_id>, dcos-metadata--setup_<config_id>, package ids)
 *   cluster_package_list_id = hash_checkout(cluster_packages)
 *
 * argument_dict is every finalized argument except those computed from config_id itself, plus the SHA-256 of
 * every artifact: in the original the artifacts were fixed by the image commit; here they come from a directory
 * that can change under the same package ids. It also holds the hash of every key the operator wrote (userArgs),
 * unknown and enterprise keys included: they land in the package (user.config.yaml), so a package whose bytes
 * change must get a new id. (1.11 left them out, and a changed superuser_password_hash kept its config id.)
 */
import type { ConfigValues } from '../config/types.js';
import { hashCheckout } from '../config/hash-checkout.js';

export const CONFIG_PACKAGE_NAMES: readonly string[] = ['dcos-config', 'dcos-metadata'];
/** The original's template list; stored in the arguments as it was, so expanded.config.json keeps its shape. */
export const TEMPLATE_FILENAMES: readonly string[] = [
  'dcos-config.yaml',
  'cloud-config.yaml',
  'dcos-metadata.yaml',
  'dcos-services.yaml',
];

/** ConfigValues that are outputs of config_id, so cannot be inputs to it. */
export const ID_DERIVED_KEYS: readonly string[] = [
  'config_id',
  'cluster_packages',
  'cluster_package_list_id',
  'expanded_config',
  'expanded_config_full',
];

export interface BundleIds {
  configId: string;
  /** `dcos-config--setup_<config_id>`, `dcos-metadata--setup_<config_id>`. */
  configPackageIds: string[];
  /** Sorted. */
  clusterPackages: string[];
  clusterPackageListId: string;
}

export interface IdInputs {
  commit: string;
  /** JSON text, as the argument of the same name. */
  templateFilenames: string;
  args: ConfigValues;
  /** `relative path → sha256` of every artifact and input file that is not already inside `args`. */
  digests: Readonly<Record<string, string>>;
  /** Package ids from the artifacts (and custom-check-bins). */
  packageIds: readonly string[];
  /** Every key config.yaml set, as written (stringified); part of the config package's content. */
  userArgs?: ConfigValues;
}

export function computeIds(input: IdInputs): BundleIds {
  // No prototype: an argument named `__proto__` must count like any other.
  const argumentDict = Object.create(null) as Record<string, string>;
  for (const [k, v] of Object.entries(input.args)) if (!ID_DERIVED_KEYS.includes(k)) argumentDict[k] = v;
  // A key no DC/OS argument uses, so it cannot collide with one.
  argumentDict['__artifact_digests'] = hashCheckout(input.digests);
  if (input.userArgs !== undefined) {
    const user = Object.create(null) as Record<string, string>;
    for (const [k, v] of Object.entries(input.userArgs)) user[k] = v;
    argumentDict['__user_arguments'] = hashCheckout(user);
  }
  const configId = hashCheckout({
    commit: input.commit,
    template_filenames: input.templateFilenames,
    argument_dict: argumentDict,
  });
  const configPackageIds = CONFIG_PACKAGE_NAMES.map((n) => `${n}--setup_${configId}`);
  const clusterPackages = [...configPackageIds, ...input.packageIds].sort();
  return { configId, configPackageIds, clusterPackages, clusterPackageListId: hashCheckout(clusterPackages) };
}
