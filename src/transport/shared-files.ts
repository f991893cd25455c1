/**
 * Files every host receives, read once per transport and shared by its uploads. Every host of a push deploy gets the
 * same bundle: read per host (ssh2's fastPut), a 1 MiB bundle cost each host an open, an fstat, eight reads and a
 * close through libuv's thread pool (each a wake-up of a pool thread on the client's core) and a fresh 1 MiB read
 * buffer to allocate and collect. One buffer serves them all instead.
 *
 * Each upload still looks at the file (one synchronous stat, a few µs): a file replaced or rewritten since it was read
 * is read again, so a host receives the file as it is on disk when its upload starts, as it did when each upload read
 * it. What the host installs is judged on the host either way (deploy checks the SHA-256 of what arrived).
 */
import { statSync, type BigIntStats } from 'node:fs';
import { readFile } from 'node:fs/promises';

/**
 * Larger files are read from disk per upload, as before: a real DC/OS bundle (hundreds of MiB) is not held in memory,
 * and there the encryption (~2 ms of CPU a MiB), not the read, is the cost of an upload.
 */
export const SHARED_FILE_MAX_BYTES = 64 << 20;

/** What identifies one version of a file: a rewrite changes the size or a time stamp, a replacement the inode. */
function versionOf(st: BigIntStats): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
}

export class SharedFiles {
  private readonly files = new Map<string, { version: string; bytes: Promise<Buffer | undefined> }>();

  constructor(private readonly maxBytes = SHARED_FILE_MAX_BYTES) {}

  /**
   * The file's bytes, or undefined when the upload should read the file itself: larger than the limit, not a regular
   * file, or not readable (the upload then fails with the file's own error, naming its path, as before).
   */
  bytes(file: string): Promise<Buffer | undefined> {
    let st: BigIntStats;
    try {
      st = statSync(file, { bigint: true });
    } catch {
      this.files.delete(file);
      return Promise.resolve(undefined);
    }
    if (!st.isFile() || st.size > BigInt(this.maxBytes)) {
      this.files.delete(file);
      return Promise.resolve(undefined);
    }
    const version = versionOf(st);
    const known = this.files.get(file);
    if (known?.version === version) return known.bytes;
    const bytes = readFile(file).then(
      // Changed while it was read: this upload reads the file itself, the next one reads it again.
      (b) => (BigInt(b.length) === st.size ? b : this.forget(file, version)),
      () => this.forget(file, version),
    );
    this.files.set(file, { version, bytes });
    return bytes;
  }

  private forget(file: string, version: string): undefined {
    if (this.files.get(file)?.version === version) this.files.delete(file);
    return undefined;
  }
}
