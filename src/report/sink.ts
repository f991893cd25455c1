/**
 * Writing a long report to a stream without building it as one string: lines are gathered into chunks of about
 * 64 KiB and written as they come, waiting for 'drain' when the stream's buffer is full, so that memory stays flat
 * at 10,000 hosts whatever the reader's speed.
 */
const CHUNK = 64 * 1024;

/**
 * Wait until `out` can take more. A stream that failed or closed (stdout's reader went away: cli/output.ts records
 * that) never drains; stop waiting then, the later writes are dropped by the stream itself.
 */
function drained(out: NodeJS.WritableStream): Promise<void> {
  if ((out as { destroyed?: boolean }).destroyed === true) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      out.off('drain', done);
      out.off('error', done);
      out.off('close', done);
      resolve();
    };
    out.on('drain', done);
    out.on('error', done);
    out.on('close', done);
  });
}

/** The pieces joined into chunks of about CHUNK characters (for Readable.from and for writeChunked). */
export function* chunks(pieces: Iterable<string>): Generator<string> {
  let buf = '';
  for (const piece of pieces) {
    buf += piece;
    if (buf.length < CHUNK) continue;
    yield buf;
    buf = '';
  }
  if (buf !== '') yield buf;
}

/** Write every piece (each already ends its line or not, as it wants) in chunks, honouring backpressure. */
export async function writeChunked(out: NodeJS.WritableStream, pieces: Iterable<string>): Promise<void> {
  for (const chunk of chunks(pieces)) if (!out.write(chunk)) await drained(out);
}

/** Lines without their newline, written each followed by one. */
export function* withNewlines(lines: Iterable<string>): Generator<string> {
  for (const line of lines) yield `${line}\n`;
}
