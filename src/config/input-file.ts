/**
 * Reading an operator's input file safely: only regular files, and never more than a documented cap. A config.yaml
 * linked to /dev/zero would otherwise grow until memory runs out, a FIFO would block forever, and a 300 MB ip-detect
 * would end in an out-of-memory abort. The caps are listed in README "Security"; the error names the file and the
 * limit, so the operator knows what to change.
 */
import { constants, fstatSync, openSync, readSync, closeSync, promises as fsp } from 'node:fs';

/**
 * node:fs/promises through fs's lazy getter, at the first asynchronous read: the synchronous readers below are all
 * `--validate-config` needs, and it then does not load the module.
 */
const open: typeof fsp.open = (...args) => fsp.open(...args);

const MiB = 1024 * 1024;

/** The size caps, one per kind of input. */
export const INPUT_LIMITS = {
  /** genconf/config.yaml */
  config: 16 * MiB,
  /** ip-detect, ip-detect-public, fault-domain-detect: shell scripts embedded into the bundle. */
  script: 1 * MiB,
  /** The artifacts' small JSON and id files (complete.latest.json, *.active.json, bootstrap.latest). */
  artifactMeta: 16 * MiB,
  /** The SSH private key (ssh_key_path). */
  sshKey: 1 * MiB,
  /** Each custom check binary in genconf/check_bins/. */
  checkBin: 64 * MiB,
  /** SHA256SUMS of a bundle being verified. */
  sums: 16 * MiB,
} as const;

export function formatLimit(bytes: number): string {
  return bytes % MiB === 0 ? `${bytes / MiB} MiB` : `${bytes} bytes`;
}

export type InputFileProblem = 'missing' | 'directory' | 'not-regular' | 'too-big' | 'unreadable';

export class InputFileError extends Error {
  constructor(
    readonly problem: InputFileProblem,
    readonly file: string,
    /** Why, without the file name: "is a FIFO, not a regular file". */
    readonly reason: string,
  ) {
    super(`${file} ${reason}`);
    this.name = 'InputFileError';
  }
}

// O_NONBLOCK: opening a FIFO with no writer must not block; the type check below then refuses it.
const FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;

function kindOf(st: {
  isDirectory(): boolean;
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
}): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

function classifyOpenError(file: string, err: unknown): InputFileError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new InputFileError('missing', file, 'does not exist');
  if (code === 'EACCES') return new InputFileError('unreadable', file, 'is not readable by this user');
  return new InputFileError('unreadable', file, `could not be read: ${(err as Error).message}`);
}

function checkStat(file: string, st: import('node:fs').Stats, limit: number): void {
  if (st.isDirectory()) throw new InputFileError('directory', file, 'is a directory, not a file');
  if (!st.isFile())
    throw new InputFileError('not-regular', file, `is ${kindOf(st)}, not a regular file; only regular files are read`);
  if (st.size > limit) throw tooBig(file, limit, st.size);
}

function tooBig(file: string, limit: number, size?: number): InputFileError {
  const has = size !== undefined ? ` (it has ${size} bytes)` : '';
  return new InputFileError('too-big', file, `is larger than the limit of ${formatLimit(limit)} for this input${has}`);
}

/** Read a whole regular file of at most `limit` bytes. Throws InputFileError. */
export function readInputFileSync(file: string, limit: number): Buffer {
  let fd: number;
  try {
    fd = openSync(file, FLAGS);
  } catch (err) {
    throw classifyOpenError(file, err);
  }
  try {
    checkStat(file, fstatSync(fd), limit);
    // Read at most limit + 1 bytes: a file that grows while it is read is still refused, never read without end.
    const buf = Buffer.allocUnsafe(Math.min(limit + 1, 64 * 1024));
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      total += n;
      if (total > limit) throw tooBig(file, limit);
      chunks.push(Buffer.from(buf.subarray(0, n)));
    }
    return Buffer.concat(chunks, total);
  } catch (err) {
    if (err instanceof InputFileError) throw err;
    throw classifyOpenError(file, err);
  } finally {
    closeSync(fd);
  }
}

/** The async form, for the bundle and SSH code paths. */
export async function readInputFile(file: string, limit: number): Promise<Buffer> {
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(file, FLAGS);
  } catch (err) {
    throw classifyOpenError(file, err);
  }
  try {
    checkStat(file, await fh.stat(), limit);
    const chunks: Buffer[] = [];
    let total = 0;
    const buf = Buffer.allocUnsafe(Math.min(limit + 1, 64 * 1024));
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > limit) throw tooBig(file, limit);
      chunks.push(Buffer.from(buf.subarray(0, bytesRead)));
    }
    return Buffer.concat(chunks, total);
  } catch (err) {
    if (err instanceof InputFileError) throw err;
    throw classifyOpenError(file, err);
  } finally {
    await fh.close();
  }
}

/** Only check that `file` is a regular file (for files that are streamed, like a bundle tarball). */
export async function assertRegularFile(file: string): Promise<void> {
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(file, FLAGS);
  } catch (err) {
    throw classifyOpenError(file, err);
  }
  try {
    checkStat(file, await fh.stat(), Number.MAX_SAFE_INTEGER);
  } finally {
    await fh.close();
  }
}
