/**
 * The installer's first part: a bash script ending with a line `#EOF#`, after which the payload tar starts (at an
 * offset that is usually not a multiple of 512). This stream passes on only the payload, keeps the script text for
 * its facts, and counts bytes so that errors can say where the file ended.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { ImportError } from './errors.js';

/** The 1.11 script is a few KiB; anything much longer without `#EOF#` is not an installer. */
export const HEADER_MAX = 1024 * 1024;
const MARK = Buffer.from('\n#EOF#\n');
/** A tar ends with two zero blocks; without them the file was cut. */
const END_BLOCKS = 1024;

export class InstallerSplitter extends Transform {
  /** Bytes read from the file so far. */
  bytesIn = 0;
  /** True once the whole file has been read. */
  sourceEnded = false;
  private header: Buffer | undefined = Buffer.alloc(0);
  private script = '';
  /** Bytes of the payload (after `#EOF#`) passed on. */
  payloadBytes = 0;

  constructor(
    private readonly file: string,
    private readonly onBytes: (n: number) => void = () => undefined,
  ) {
    super({ highWaterMark: 1 << 20 });
  }

  /** The script before `#EOF#` (empty until it was found). */
  get scriptText(): string {
    return this.script;
  }

  /**
   * Whether the payload goes on for the two end-of-archive blocks after `lastEnd`, where the last member's data
   * ended. (Those bytes are zero: anything else would have been read as one more header.)
   */
  payloadComplete(lastEnd: number): boolean {
    return this.payloadBytes >= lastEnd + END_BLOCKS;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytesIn += chunk.length;
    this.onBytes(this.bytesIn);
    if (this.header !== undefined) {
      const seen = Buffer.concat([this.header, chunk]);
      const at = seen.indexOf(MARK);
      if (at < 0) {
        if (seen.length > HEADER_MAX) return cb(noEof(this.file, `the first ${HEADER_MAX / 1024 / 1024} MiB of `));
        this.header = seen;
        return cb();
      }
      this.script = seen.subarray(0, at + 1).toString('utf8');
      this.header = undefined;
      chunk = seen.subarray(at + MARK.length);
      if (chunk.length === 0) return cb();
    }
    this.payloadBytes += chunk.length;
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    this.sourceEnded = true;
    if (this.header !== undefined) return cb(noEof(this.file, ''));
    cb();
  }
}

function noEof(file: string, where: string): ImportError {
  return new ImportError(
    `not a DC/OS installer: no #EOF# line in ${where}${file}`,
    file,
    'pass the official dcos_generate_config.sh (a bash script with the image appended after #EOF#)',
  );
}

/** Facts the script states: `# variant: <v>` on its second line. */
export function scriptVariant(script: string): string | undefined {
  const second = script.split('\n')[1];
  const m = /^#\s*variant:\s*(\S*)\s*$/.exec(second ?? '');
  return m ? m[1] : undefined;
}

/** `export NAME=value` lines of the image's /installer_internal_wrapper (values may be quoted). */
export function wrapperExports(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*export\s+([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    let v = m[2]!.trim();
    if (
      (v.startsWith('"') && v.endsWith('"') && v.length >= 2) ||
      (v.startsWith("'") && v.endsWith("'") && v.length >= 2)
    )
      v = v.slice(1, -1);
    out.set(m[1]!, v);
  }
  return out;
}

/** dcos_version as gen/calc.py declares it. */
export function calcVersion(text: string): string | undefined {
  return /['"]dcos_version['"]\s*:\s*['"]([^'"]+)['"]/.exec(text)?.[1];
}
