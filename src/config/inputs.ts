/**
 * Every operator input file `--validate-config` and `--genconf` read, read here and only here: genconf/config.yaml,
 * the ip-detect scripts, the fault-domain script and genconf/check_bins/. Each goes through input-file.ts (regular
 * files only, a documented size cap), is decoded as UTF-8 where it is text, and every read problem becomes a message
 * that names the file: nothing is swallowed, nothing is read twice.
 */
import type { Hash } from 'node:crypto';
import { lstatSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { INPUT_LIMITS, InputFileError, readInputFileSync } from './input-file.js';
import { explainMissing, resolveConfigFile, type PathContext } from './paths.js';

/** Where the original would have opened a path from config.yaml (see paths.ts). */
export interface FileContext {
  baseDir: string;
  /** The genconf directory; defaults to `<baseDir>/genconf`. */
  genconfDir?: string;
}

function pathContext(ctx: FileContext): PathContext {
  return { baseDir: ctx.baseDir, genconfDir: ctx.genconfDir ?? path.join(ctx.baseDir, 'genconf') };
}

/** A read that failed, with the sentence for the operator (the file's name is in it). */
export class InputReadError extends Error {}

const utf8 = (bytes: Buffer): string => new TextDecoder('utf-8', { fatal: true }).decode(bytes);

/** Python's text mode turns \r\n and \r into \n (universal newlines). */
const universalNewlines = (text: string): string => text.replace(/\r\n?/g, '\n');

/** A script is pasted into the node's install script as one shell word, which cannot hold a NUL byte. */
function scriptText(bytes: Buffer): string {
  const text = utf8(bytes);
  if (text.includes('\0')) throw new NulByte();
  return universalNewlines(text);
}

class NulByte extends Error {}

export type ConfigText = { ok: true; text: string } | { ok: false; missing: boolean; message: string };

/** genconf/config.yaml as text; `shown` is how the file is named in messages. */
export function readConfigYaml(configPath: string, shown: string): ConfigText {
  try {
    return { ok: true, text: utf8(readInputFileSync(configPath, INPUT_LIMITS.config)) };
  } catch (err) {
    if (err instanceof InputFileError && err.problem === 'missing') return { ok: false, missing: true, message: '' };
    const why =
      err instanceof TypeError
        ? 'it is not UTF-8 text'
        : err instanceof InputFileError
          ? `it ${err.reason}`
          : (err as Error).message;
    return { ok: false, missing: false, message: `Failed to open config file at ${shown}: ${why}` };
  }
}

/**
 * An ip-detect script's text (ip_detect_filename, ip_detect_public_filename). The original crashed on a directory
 * or an unreadable or non-UTF-8 file; this says which and why. Throws InputReadError.
 */
export function readIpDetectScript(ctx: FileContext, filename: string): string {
  const pathCtx = pathContext(ctx);
  const full = resolveConfigFile(filename, pathCtx).full;
  const what = `ip-detect script \`${filename}\``;
  try {
    return scriptText(readInputFileSync(full, INPUT_LIMITS.script));
  } catch (err) {
    if (err instanceof TypeError) throw new InputReadError(`${what} must be UTF-8 text`);
    if (err instanceof NulByte) throw new InputReadError(`${what} must not contain a NUL byte`);
    if (err instanceof InputFileError) {
      if (err.problem === 'missing')
        throw new InputReadError(`${what} must exist: ${explainMissing(filename, pathCtx) ?? 'it could not be read'}`);
      if (err.problem === 'directory') throw new InputReadError(`${what} must be a file, not a directory`);
      throw new InputReadError(`${what} ${err.reason}`);
    }
    throw new InputReadError(`${what} could not be read: ${(err as Error).message}`);
  }
}

/** Where the fault-domain script is looked for when config.yaml does not name one. */
export const DEFAULT_FAULT_DOMAIN_FILE = 'genconf/fault-domain-detect';

/**
 * The fault-domain script's text, '' when there is none. Only the default path may be absent (1.11 (open) built
 * without a fault domain then); a path the operator wrote must name a file. Throws InputReadError.
 */
export function readFaultDomainScript(ctx: FileContext, written: string | undefined): string {
  const pathCtx = pathContext(ctx);
  const filename = written ?? DEFAULT_FAULT_DOMAIN_FILE;
  const what = `fault-domain-detect script \`${filename}\``;
  try {
    return scriptText(readInputFileSync(resolveConfigFile(filename, pathCtx).full, INPUT_LIMITS.script));
  } catch (err) {
    if (err instanceof NulByte) throw new InputReadError(`${what} must not contain a NUL byte`);
    if (err instanceof InputFileError && err.problem === 'missing') {
      if (written === undefined) return '';
      throw new InputReadError(
        `fault domain script \`${written}\` must exist: ${explainMissing(written, pathCtx) ?? 'it could not be read'}; ` +
          'remove the key to build without a fault domain',
      );
    }
    if (err instanceof TypeError) throw new InputReadError(`${what} is not UTF-8 text`);
    if (err instanceof InputFileError) throw new InputReadError(`${what} ${err.reason}`);
    throw new InputReadError(`${what} could not be read: ${(err as Error).message}`);
  }
}

/** genconf/check_bins/: the custom check binaries, shipped as a package of their own. */
export interface CheckBinsInput {
  dir: string;
  /** checksumdir's sha1 dirhash: sha1 of the sorted per-file sha1 hex digests, concatenated. */
  hash: string;
  files: { name: string; abs: string; size: number }[];
}

/**
 * genconf/check_bins/, or undefined when there is none. Every entry must be a regular file (a link is followed to
 * one) within the check binary cap; anything else is an error naming it. Throws InputReadError.
 */
export function readCheckBins(genconfDir: string): CheckBinsInput | undefined {
  const dir = path.join(genconfDir, 'check_bins');
  const shown = path.join(path.basename(genconfDir), 'check_bins');
  const fail = (why: string): never => {
    throw new InputReadError(`${shown} ${why}`);
  };
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !lstatExists(dir)) return undefined;
    return fail(`could not be read: ${(err as Error).message}`);
  }
  if (!isDir) fail('must be a directory');
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (err) {
    return fail(`could not be listed: ${(err as Error).message}`);
  }
  const files: CheckBinsInput['files'] = [];
  const digests: string[] = [];
  for (const name of names) {
    const abs = path.join(dir, name);
    if (name === 'pkginfo.json') fail('must not contain a file named pkginfo.json: the package needs that name');
    let bytes: Buffer;
    try {
      bytes = readInputFileSync(abs, INPUT_LIMITS.checkBin);
    } catch (err) {
      if (err instanceof InputFileError && err.problem === 'directory')
        return fail(`must not contain any subdirectories (found ${name})`);
      if (err instanceof InputFileError) return fail(`entry ${name} ${err.reason}`);
      return fail(`entry ${name} could not be read: ${(err as Error).message}`);
    }
    files.push({ name, abs, size: bytes.length });
    digests.push(sha1().update(bytes).digest('hex'));
  }
  const hash = sha1().update(digests.sort().join('')).digest('hex');
  return { dir, hash, files };
}

/**
 * A SHA-1, with node:crypto loaded on first use: loading it (and its ~15 internal modules) is a measurable part of
 * `--validate-config`'s start, and only a genconf/check_bins directory needs it.
 */
function sha1(): Hash {
  const { createHash } = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
  return createHash('sha1');
}

/** A dangling link is there (and an error), not absent. */
function lstatExists(file: string): boolean {
  try {
    lstatSync(file);
    return true;
  } catch {
    return false;
  }
}

/** The package genconf/check_bins/ becomes (its id names the content). */
export const CHECK_BINS_PACKAGE_NAME = 'custom-check-bins';

export function checkBinsPackageId(bins: CheckBinsInput): string {
  return `${CHECK_BINS_PACKAGE_NAME}--${bins.hash}`;
}
