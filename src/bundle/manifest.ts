/**
 * What `dcos_install.sh` and `dcos_node_upgrade.sh` verify on the node before installing anything:
 * the SHA-256 of every artifact they fetch. Built by the bundle writer once every artifact is in place.
 */
export interface ArtifactFile {
  /**
   * Relative to the serve directory (and so to bootstrap_url): `bootstrap/<id>.bootstrap.tar.xz`,
   * `bootstrap/<id>.active.json`, `package_lists/<id>.package_list.json`, `packages/<name>/<id>.tar.xz`.
   */
  path: string;
  sha256: string;
  size: number;
}

export interface ArtifactManifest {
  bootstrapId: string;
  clusterPackageListId: string;
  /** Sorted by path. */
  files: ArtifactFile[];
}
