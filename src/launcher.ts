/**
 * The bundled CLI's entry (dist/cli/main.js). The program itself is one CommonJS script, dist/cli/genconf.cjs;
 * this loads it through V8 with the code cache the build wrote next to it (genconf.cjs.cache), so a start compiles
 * almost nothing: compiling what `--validate-config` runs was about a fifth of its instructions (Node 20 has no
 * compile cache of its own). `--version` alone is answered here, without the program.
 *
 * The cache is trusted like the script beside it: only the build writes it (scripts/code-cache.mjs), this never
 * does. It is used only when it is a regular file owned by the script's owner and writable by no one else; V8 then
 * checks it against its own version, its flags and the script, and rejects a cache that does not match (another
 * Node, `--max-old-space-size` in NODE_OPTIONS). Without a usable cache the script is compiled as usual: slower,
 * never different.
 */
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { exitWhenFlushed, watchOutput } from './cli/output.js';
import { printVersion } from './commands/version.js';

/** What the bundle exports (src/main.ts). */
export interface BundleExports {
  main(argv: readonly string[], cwd?: string): Promise<number>;
  runProcess(argv?: readonly string[]): Promise<never>;
}

export const BUNDLE_FILE = 'genconf.cjs';
export const CACHE_SUFFIX = '.cache';

/** The cache's bytes, or undefined when there is none or it is not safe to use. */
export function trustedCache(cacheFile: string, scriptOwner: number): Buffer | undefined {
  try {
    const st = statSync(cacheFile);
    if (!st.isFile() || st.uid !== scriptOwner || (st.mode & 0o022) !== 0) return undefined;
    return readFileSync(cacheFile);
  } catch {
    return undefined;
  }
}

/**
 * Run the bundle as a CommonJS module would run (`require` from its own directory), with the cache when it is
 * usable. The build writes it as the function expression Node's module wrapper would make of it (scripts/bundle.mjs),
 * so its text goes to V8 as read, without another 1.5 MB copy; it is ASCII (esbuild escapes the rest), read as
 * latin1 straight into a one-byte string. Returns the script too: the build runs it and then asks V8 for the cache.
 */
export function loadBundle(file: string, cachedData?: Buffer): { exports: BundleExports; script: vm.Script } {
  const source = readFileSync(file, 'latin1');
  const script = new vm.Script(source, cachedData ? { filename: file, cachedData } : { filename: file });
  const module = { exports: {} as BundleExports };
  const fn = script.runInThisContext() as (...args: unknown[]) => void;
  fn.call(module.exports, module.exports, createRequire(file), module, file, path.dirname(file));
  return { exports: module.exports, script };
}

export function launch(argv: readonly string[] = process.argv.slice(2)): Promise<never> {
  // What scripts probe an installation with: answered without compiling or reading the program.
  if (argv.length === 1 && argv[0] === '--version') {
    const output = watchOutput();
    return exitWhenFlushed(printVersion(process.stdout), output);
  }
  const file = path.join(path.dirname(fileURLToPath(import.meta.url)), BUNDLE_FILE);
  const cache = trustedCache(file + CACHE_SUFFIX, statSync(file).uid);
  return loadBundle(file, cache).exports.runProcess(argv);
}
