/**
 * The package's own files (templates/, schema/, package.json), found one way from wherever this code runs: the source
 * tree under vitest (src/), the tsc build (dist/src/) and the bundled CLI (dist/cli/) all sit below the directory
 * holding dcos-genconf's package.json, so the lookup walks up from this module until it finds it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface PackageJson {
  name?: unknown;
  version?: unknown;
}

let root: { dir: string; pkg: PackageJson } | undefined;

function findRoot(): { dir: string; pkg: PackageJson } {
  if (root) return root;
  const here = fileURLToPath(import.meta.url);
  let dir = path.dirname(here);
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as PackageJson;
      if (pkg.name === 'dcos-genconf') return (root = { dir, pkg });
    } catch {
      // no package.json here (or another package's): keep looking upwards
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`the dcos-genconf installation is incomplete: no package.json above ${here}`);
    dir = up;
  }
}

/** The directory holding dcos-genconf's package.json. */
export function packageRoot(): string {
  return findRoot().dir;
}

/** A file or directory shipped with the package (`packageFile('templates', 'remote', 'preflight.sh')`). */
export function packageFile(...parts: string[]): string {
  return path.join(findRoot().dir, ...parts);
}

/** The package's own version (package.json). */
export function packageVersion(): string {
  const v = findRoot().pkg.version;
  if (typeof v !== 'string') throw new Error(`package.json in ${findRoot().dir} has no version`);
  return v;
}
