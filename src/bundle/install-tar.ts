/**
 * `dcos-install.tar` and `SHA256SUMS`: the whole serve tree as one deterministic archive, the backup the DC/OS
 * docs ask operators to make by hand (`tar cf dcos-install.tar *`) for adding nodes later, with a manifest in
 * `sha256sum -c` format inside it and beside it.
 */
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { hashTap } from './hash-tap.js';
import { normalizeEntries, tarStream, type TarEntry } from './tar.js';

export const SUMS_NAME = 'SHA256SUMS';
export const INSTALL_TAR_NAME = 'dcos-install.tar';

/** One file of the serve tree, relative to it. */
export interface ServedFile {
  path: string;
  mode: number;
  sha256: string;
  size: number;
}

/** `sha256sum` output for `files`, sorted by path (byte order), one `<hex>  <path>` line each. */
export function formatSums(files: readonly Pick<ServedFile, 'path' | 'sha256'>[]): string {
  return [...files]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((f) => `${f.sha256}  ${f.path}\n`)
    .join('');
}

/** Parse SHA256SUMS text; throws with the line number on a malformed line. */
export function parseSums(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  text.split('\n').forEach((line, i) => {
    if (line === '') return;
    const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (!m)
      throw new Error(`${SUMS_NAME} line ${i + 1} is not '<sha256>  <path>': ${JSON.stringify(line.slice(0, 80))}`);
    sums.set(m[2]!, m[1]!);
  });
  return sums;
}

/**
 * Write the archive of `files` (read from `root`) plus `SHA256SUMS` to `dest`, hashing it on the way out.
 * Directories are added with mode 0755; every member is owned 0:0 with mtime 0.
 */
export async function writeInstallTar(
  root: string,
  files: readonly ServedFile[],
  sumsText: string,
  dest: string,
  signal?: AbortSignal,
): Promise<{ sha256: string; size: number }> {
  const entries: TarEntry[] = files.map((f) => ({
    name: f.path,
    type: 'file',
    mode: f.mode,
    source: { kind: 'file', path: `${root}/${f.path}`, size: f.size },
  }));
  entries.push({ name: SUMS_NAME, type: 'file', mode: 0o644, source: { kind: 'bytes', data: Buffer.from(sumsText) } });
  const tap = hashTap();
  await pipeline(
    tarStream(normalizeEntries(entries)),
    tap.stream,
    createWriteStream(dest, { mode: 0o644 }),
    signal ? { signal } : {},
  );
  return tap.result();
}
