/**
 * `<logs>/<run>/summary.txt`: the summary with every host in its table, for runs whose terminal table leaves the
 * successful hosts out. Streamed to a temporary name and renamed, so a reader never sees half a file; 0600 like the
 * logs beside it.
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { StageResult } from '../orchestrate/result.js';
import { chunks, withNewlines } from './sink.js';
import { summaryLines } from './summary.js';

export async function writeSummaryFile(dir: string, result: StageResult): Promise<string> {
  const file = path.join(dir, 'summary.txt');
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await pipeline(
      Readable.from(chunks(withNewlines(summaryLines(result, { color: false, fullTable: true }))), {
        objectMode: false,
      }),
      createWriteStream(tmp, { mode: 0o600 }),
    );
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return file;
}
