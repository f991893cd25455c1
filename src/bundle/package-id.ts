/**
 * pkgpanda package ids (`<name>--<version>`), with the rules the nodes' pkgpanda enforces:
 * a bad id here would only fail later, on every node, so it is refused while the bundle is built.
 */

const NAME_RE = /^[a-zA-Z0-9@_+][a-zA-Z0-9@._+-]*$/;
const VERSION_RE = /^[a-zA-Z0-9@_+:.]+$/;

export interface PackageId {
  /** The whole id, e.g. `mesos--1.5.0-abc`. */
  id: string;
  name: string;
  version: string;
}

/** Parse an id, or return the reason it is not valid (phrased to follow `package id 'x' `). */
export function parsePackageId(id: string): PackageId | { error: string } {
  const parts = id.split('--');
  if (parts.length !== 2) {
    return { error: `must contain exactly one '--' separating name and version (found ${parts.length - 1})` };
  }
  const [name, version] = parts as [string, string];
  if (!NAME_RE.test(name)) {
    return { error: `has an invalid name '${name}': it must match ${NAME_RE.source}` };
  }
  if (!VERSION_RE.test(version)) {
    return { error: `has an invalid version '${version}': it must match ${VERSION_RE.source} (no '-')` };
  }
  return { id, name, version };
}

export function isPackageIdError(p: PackageId | { error: string }): p is { error: string } {
  return 'error' in p;
}

/** Where a package lives in a repository (serve dir or artifacts dir): `packages/<name>/<id>.tar.xz`. */
export function packagePath(p: Pick<PackageId, 'id' | 'name'>): string {
  return `packages/${p.name}/${p.id}.tar.xz`;
}
