/**
 * xz compression through the system `xz` binary (xz-utils), streamed. pkgpanda on the nodes unpacks packages
 * with `tar -xJf`, so the format must be real .xz; one thread and a fixed preset keep the bytes identical
 * across runs and machines with the same xz version.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GenconfError } from '../errors.js';
import { hashTap } from './hash-tap.js';

export const XZ_ARGV: readonly string[] = ['-T1', '-6', '-c'];

/**
 * Compress `input` into `dest` (created or truncated), returning the SHA-256 and size of what was written.
 * Rejects with a clear error when xz is missing.
 */
export async function xzToFile(
  input: Readable,
  dest: string,
  xzBinary = 'xz',
): Promise<{ sha256: string; size: number }> {
  const child = spawn(xzBinary, [...XZ_ARGV], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => {
    if (stderr.length < 4096) stderr += s;
  });
  const exited = new Promise<void>((resolve, reject) => {
    child.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') {
        reject(
          new GenconfError(
            `cannot compress packages: the '${xzBinary}' program was not found`,
            undefined,
            'install xz-utils (Debian/Ubuntu: apt-get install xz-utils; CentOS/RHEL: yum install xz)',
          ),
        );
      } else reject(err);
    });
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${xzBinary} ${XZ_ARGV.join(' ')} failed (${signal ?? `exit ${code}`}): ${stderr.trim()}`));
    });
  });
  const feed = pipeline(input, child.stdin);
  const tap = hashTap();
  const drain = pipeline(child.stdout, tap.stream, createWriteStream(dest));
  const results = await Promise.allSettled([exited, feed, drain]);
  // The spawn error (xz missing) is the cause; EPIPE on stdin is only its consequence.
  for (const r of results) if (r.status === 'rejected') throw r.reason;
  return tap.result();
}
