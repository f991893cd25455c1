/** Streaming digests of files: memory stays flat whatever the artifact size. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export interface FileDigest {
  /** Hex digest in the requested algorithm. */
  hex: string;
  size: number;
}

export async function digestFile(
  file: string,
  algorithm: 'sha256' | 'sha1' = 'sha256',
  signal?: AbortSignal,
): Promise<FileDigest> {
  const hash = createHash(algorithm);
  let size = 0;
  // 1 MiB reads: fewer syscalls than the 64 KiB default, still a constant amount of memory.
  for await (const chunk of createReadStream(file, {
    highWaterMark: 1 << 20,
    ...(signal ? { signal } : {}),
  }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { hex: hash.digest('hex'), size };
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function sha1Hex(data: string | Buffer): string {
  return createHash('sha1').update(data).digest('hex');
}
