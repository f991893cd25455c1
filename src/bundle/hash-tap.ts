/**
 * A pass-through stream that hashes what flows through it, so a file's SHA-256 and size come from the bytes
 * as they are written (no second read of a large package or archive).
 */
import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';

export interface HashTap {
  /** Put between the producer and the file in a pipeline. */
  stream: Transform;
  /** The digest and byte count; call once the pipeline has finished. */
  result(): { sha256: string; size: number };
}

export function hashTap(): HashTap {
  const hash = createHash('sha256');
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  return { stream, result: () => ({ sha256: hash.digest('hex'), size }) };
}
