/**
 * `--verify-bundle`: check a serve dir or a dcos-install.tar against its SHA256SUMS. Every problem is listed
 * (missing, extra, changed) rather than stopping at the first, and contents are streamed through the hash.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { extract as tarExtract } from 'tar-stream';
import { formatLimit, INPUT_LIMITS, InputFileError, assertRegularFile, readInputFile } from '../config/input-file.js';
import { InputError } from '../errors.js';
import { digestFile } from './digest.js';
import { INSTALL_TAR_NAME, parseSums, SUMS_NAME } from './install-tar.js';

/** `unsafe`: a tar member that is not a plain file or directory, or whose name leaves the extraction dir. */
export type ProblemKind = 'missing' | 'extra' | 'changed' | 'unsafe';

export interface VerifyProblem {
  kind: ProblemKind;
  path: string;
  /** For `changed`: the digest SHA256SUMS lists, and the one found. */
  expected?: string;
  actual?: string;
  /** For `unsafe`: why. */
  detail?: string;
}

export interface VerifyReport {
  /** The dir or tarball that was checked. */
  target: string;
  form: 'dir' | 'tar';
  /** Files listed in SHA256SUMS. */
  listed: number;
  problems: VerifyProblem[];
}

/** A path: a serve dir (checked, then its dcos-install.tar if present) or a tarball. */
export async function verifyBundle(target: string): Promise<VerifyReport[]> {
  const st = await stat(target).catch(() => undefined);
  if (!st)
    throw new InputError(
      `${target} does not exist`,
      target,
      'give a serve directory or a dcos-install.tar (default: genconf/serve)',
    );
  if (st.isDirectory()) {
    const reports = [await verifyDir(target)];
    const tar = path.join(target, INSTALL_TAR_NAME);
    if (
      await stat(tar).then(
        (s) => s.isFile(),
        () => false,
      )
    )
      reports.push(await verifyTar(tar));
    return reports;
  }
  // A device (/dev/zero) or a FIFO would be read forever: only a regular file is taken as an archive.
  try {
    await assertRegularFile(target);
  } catch (err) {
    if (err instanceof InputFileError)
      throw new InputError(`${target} ${err.reason}`, target, 'give a serve directory or a dcos-install.tar');
    throw err;
  }
  return [await verifyTar(target)];
}

export async function verifyDir(dir: string): Promise<VerifyReport> {
  const sumsPath = path.join(dir, SUMS_NAME);
  let text: string;
  try {
    text = (await readInputFile(sumsPath, INPUT_LIMITS.sums)).toString('utf8');
  } catch (err) {
    if (err instanceof InputFileError && err.problem !== 'missing')
      throw new InputError(`${sumsPath} ${err.reason}`, sumsPath);
    throw new InputError(
      `${dir} has no ${SUMS_NAME}: it is not a bundle written by this tool`,
      sumsPath,
      'run --genconf to build it',
    );
  }
  const sums = parseSumsOrThrow(text, sumsPath);
  const unsafe: VerifyProblem[] = [];
  const present = new Set(await listFiles(dir, '', unsafe));
  // The manifest and the archive made from the tree are not part of the tree they describe.
  present.delete(SUMS_NAME);
  present.delete(INSTALL_TAR_NAME);
  const found = new Map<string, string>();
  for (const rel of [...sums.keys()].filter((p) => present.has(p)))
    found.set(rel, (await digestFile(path.join(dir, rel))).hex);
  // A link in the served tree is refused even when its target's digest matches: a web server would follow it
  // anywhere on the machine.
  const unsafePaths = new Set(unsafe.map((u) => u.path));
  const problems = [...unsafe, ...compare(sums, found, present).filter((p) => !unsafePaths.has(p.path))];
  problems.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { target: dir, form: 'dir', listed: sums.size, problems };
}

export async function verifyTar(file: string): Promise<VerifyReport> {
  const found = new Map<string, string>();
  const unsafe: VerifyProblem[] = [];
  let sumsText: string | undefined;
  const extract = tarExtract();
  const reading = pipeline(createReadStream(file), extract);
  try {
    for await (const entry of extract) {
      const name = entry.header.name.replace(/^\.\//, '');
      // This archive gets extracted as root on every node: links, devices or names escaping the target dir
      // are never written by genconf and could overwrite files outside it.
      const why =
        entry.header.type !== 'file' && entry.header.type !== 'directory'
          ? `a ${entry.header.type} member`
          : name.startsWith('/') || name.split('/').includes('..')
            ? 'a name outside the extraction directory'
            : undefined;
      if (why) unsafe.push({ kind: 'unsafe', path: name, detail: why });
      if (entry.header.type !== 'file' || why) {
        entry.resume();
        continue;
      }
      if (name === SUMS_NAME) {
        if (entry.header.size !== undefined && entry.header.size > INPUT_LIMITS.sums) {
          throw new Error(`its ${SUMS_NAME} is larger than the limit of ${formatLimit(INPUT_LIMITS.sums)}`);
        }
        const chunks: Buffer[] = [];
        for await (const c of entry as AsyncIterable<Buffer>) chunks.push(c);
        sumsText = Buffer.concat(chunks).toString('utf8');
      } else {
        const hash = createHash('sha256');
        for await (const c of entry as AsyncIterable<Buffer>) hash.update(c);
        found.set(name, hash.digest('hex'));
      }
    }
    await reading;
  } catch (err) {
    reading.catch(() => undefined);
    throw new InputError(`${file} is not a readable tar archive: ${(err as Error).message}`, file);
  }
  if (sumsText === undefined)
    throw new InputError(`${file} contains no ${SUMS_NAME}: it is not a bundle written by this tool`, file);
  const sums = parseSumsOrThrow(sumsText, `${file}:${SUMS_NAME}`);
  const problems = [...unsafe, ...compare(sums, found, new Set(found.keys()))].sort((a, b) =>
    a.path < b.path ? -1 : a.path > b.path ? 1 : 0,
  );
  return { target: file, form: 'tar', listed: sums.size, problems };
}

function parseSumsOrThrow(text: string, where: string): Map<string, string> {
  try {
    return parseSums(text);
  } catch (err) {
    throw new InputError(`${where}: ${(err as Error).message}`, where);
  }
}

function compare(sums: Map<string, string>, found: Map<string, string>, present: Set<string>): VerifyProblem[] {
  const problems: VerifyProblem[] = [];
  for (const [p, expected] of sums) {
    const actual = found.get(p);
    if (!present.has(p) || actual === undefined) problems.push({ kind: 'missing', path: p });
    else if (actual !== expected) problems.push({ kind: 'changed', path: p, expected, actual });
  }
  for (const p of present) if (!sums.has(p)) problems.push({ kind: 'extra', path: p });
  return problems.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * Every regular file below `dir`, relative, `/`-separated. Symbolic links (never followed) and other special files
 * are reported as `unsafe` instead: genconf writes only regular files into serve/.
 */
async function listFiles(dir: string, prefix: string, unsafe: VerifyProblem[]): Promise<string[]> {
  const out: string[] = [];
  for (const d of await readdir(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${d.name}` : d.name;
    if (d.isSymbolicLink())
      unsafe.push({
        kind: 'unsafe',
        path: rel,
        detail: 'a symbolic link; a web server would follow it out of the bundle',
      });
    else if (d.isDirectory()) out.push(...(await listFiles(dir, rel, unsafe)));
    else if (d.isFile()) out.push(rel);
    else unsafe.push({ kind: 'unsafe', path: rel, detail: 'not a regular file' });
  }
  return out;
}
