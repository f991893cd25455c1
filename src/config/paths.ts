/**
 * Where a file path written in config.yaml points. DC/OS 1.11 ran inside Docker with the genconf directory
 * mounted at `/genconf` and the working directory at `/`, so `/genconf/ip-detect`, `genconf/ip-detect` and
 * `./genconf/ip-detect` all named the same file, and any other path named a file the container could not see.
 * This tool runs on the host: a path that lands in the container's `/genconf` is mapped to the genconf
 * directory; any other relative path is taken relative to the directory holding genconf/ (as before), and any
 * other absolute path as a host path (an extension: 1.11 could not read it).
 */
import { statSync } from 'node:fs';
import path from 'node:path';

export interface PathContext {
  /** The genconf directory (the container's `/genconf`). */
  genconfDir: string;
  /** The directory holding genconf/ (the container's working directory `/`). */
  baseDir: string;
}

export interface ResolvedPath {
  /** The host path to open (not normalized: `..` is left to the kernel, as os.path.exists did). */
  full: string;
  /** True when the path lands in the container's /genconf, i.e. in the genconf directory. */
  inGenconf: boolean;
}

const MOUNT = 'genconf';

/**
 * Map a written path. Components are walked the way the container's kernel walked them: a `..` right after
 * `/genconf` leaves the mount; `.` and repeated slashes are nothing. Everything after the mount point is kept
 * as written so that `/genconf/missing/../ip-detect` still fails (the kernel needs `missing` to exist), and a
 * trailing slash still means "a directory".
 */
export function resolveConfigFile(written: string, ctx: PathContext): ResolvedPath {
  const parts = written.split('/');
  // The container's cwd is `/`: relative and absolute paths start at the same root there.
  let i = 0;
  while (i < parts.length && (parts[i] === '' || parts[i] === '.' || parts[i] === '..')) i++;
  if (parts[i] === MOUNT && i + 1 < parts.length) {
    const rest = parts.slice(i + 1);
    // `/genconf/..`: back at the container's root; map what follows again.
    let j = 0;
    while (j < rest.length && (rest[j] === '' || rest[j] === '.')) j++;
    if (rest[j] === '..') return resolveConfigFile('/' + rest.slice(j + 1).join('/'), ctx);
    return { full: ctx.genconfDir + '/' + rest.join('/'), inGenconf: true };
  }
  if (parts[i] === MOUNT && i + 1 === parts.length) return { full: ctx.genconfDir, inGenconf: true };
  const full = path.isAbsolute(written)
    ? written
    : path.join(ctx.baseDir, written) + (written.endsWith('/') ? '/' : '');
  return { full, inGenconf: false };
}

/** `genconf/<rest>` as the operator sees the genconf directory from the working directory. */
function shown(full: string): string {
  const rel = path.relative(process.cwd(), full);
  return rel === '' || rel.startsWith('..') || path.isAbsolute(rel) ? full : rel;
}

/**
 * Why a written path does not name a readable regular file, or undefined when it does. The text goes after
 * the 1.11 message ("… must exist") so the operator sees where this tool looked and what to write instead.
 */
export function explainMissing(written: string, ctx: PathContext): string | undefined {
  const r = resolveConfigFile(written, ctx);
  if (isRegularFile(r.full)) return undefined;
  if (r.inGenconf) {
    return `looked for ${shown(r.full)} (the genconf directory is what DC/OS 1.11 saw as /genconf); put the file there`;
  }
  const name = path.basename(written.replace(/\/+$/, '')) || 'the-file';
  return (
    `${shown(r.full)} is not there, and it is outside the genconf directory ${shown(ctx.genconfDir)}, which DC/OS 1.11's ` +
    `container could not see either (it saw only genconf/, as /genconf); put the file in the genconf directory and write genconf/${name}`
  );
}

function isRegularFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
