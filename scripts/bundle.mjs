// Bundles the CLI into dist/cli/ (one file per lazily loaded command, shared chunks). Why: Node 20 has no
// compile cache, and resolving and compiling ~150 small modules (yaml alone is 84 CommonJS files) was a third
// of `--validate-config`'s whole-process time. dist/src/ (tsc's output) stays for the tests and the benches.
// ssh2 stays external: it loads an optional native addon by relative path.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

// commander requires node:child_process at load time, for executable subcommands this CLI never has. Loading it
// pulls in child_process, dgram and net's socket list: a cost every run paid, `--version` included. Hand commander
// a stand-in that loads the real module on first use (never, in practice).
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer)
        ? { path: 'child_process', namespace: 'lazy-builtin' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, () => ({
      contents:
        "let real; module.exports = new Proxy({}, { get: (_, key) => (real ??= require('node:child_process'))[key] });",
      loader: 'js',
    }));
  },
};

// ajv (with fast-uri, ~180 KB of a 1 MB bundle) serves only `--strict`. In the program it is text every start
// reads and holds, and pages it touches; as a file of its own beside it (dist/cli/ajv.cjs), required on first use,
// a plain run never reads it. No cache covers it either way: the code cache is made without --strict.
const ajvApart = {
  name: 'ajv-apart',
  setup(b) {
    b.onResolve({ filter: /^ajv$/ }, () => ({ path: './ajv.cjs', external: true }));
  },
};

rmSync('dist/cli', { recursive: true, force: true });

// The program: one CommonJS script. Lazily loaded commands stay lazy (esbuild runs a module's top level only when
// its import() runs); their code is read but, with the code cache, never compiled unless used.
await build({
  entryPoints: ['src/main.ts'],
  outfile: 'dist/cli/genconf.cjs',
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: ['ssh2', 'cpu-features'],
  // import.meta.url is this script's own URL (package-files.ts finds the package from it).
  define: { 'import.meta.url': '__genconfUrl' },
  // Written as the function expression Node's CommonJS wrapper would make of it (strict, as the ES modules it is
  // made of): the launcher hands the file's text to V8 as it is, with no copy to wrap it. Whitespace is minified (names are kept, for stack traces): every byte
  // is read and held at each start.
  banner: {
    js: "(function (exports, require, module, __filename, __dirname) {'use strict';const __genconfUrl = require('node:url').pathToFileURL(__filename).href;",
  },
  footer: { js: '})' },
  minifyWhitespace: true,
  plugins: [lazyChildProcess, ajvApart],
  // import() of what stays outside (ajv.cjs) as require(): the launcher's vm.Script has no dynamic import hook.
  supported: { 'dynamic-import': false },
  sourcemap: true,
  logLevel: 'warning',
});
await build({
  stdin: {
    contents: "module.exports = require('ajv');",
    resolveDir: '.',
    sourcefile: 'dist-cli-ajv.cjs',
    loader: 'js',
  },
  outfile: 'dist/cli/ajv.cjs',
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  minifyWhitespace: true,
  logLevel: 'warning',
});
// src/main.ts's `#!` line is valid only at the very start of a script: make it a comment (same length, so the
// source map still matches).
{
  const file = 'dist/cli/genconf.cjs';
  const text = readFileSync(file, 'latin1');
  if (text.startsWith('#!')) writeFileSync(file, `//${text.slice(2)}`, 'latin1');
}

// The entry (package.json bin): loads genconf.cjs with its code cache (src/launcher.ts). CommonJS too, marked
// so by dist/cli/package.json: an ES module entry would start Node's ES module loader, ~2 % of `--validate-config`'s
// instructions for nothing. package-files.ts skips that package.json (it looks for the one named dcos-genconf).
await build({
  stdin: {
    contents: "#!/usr/bin/env node\nimport { launch } from './src/launcher.ts';\nvoid launch();\n",
    resolveDir: '.',
    sourcefile: 'dist-cli-main.ts',
    loader: 'ts',
  },
  outfile: 'dist/cli/main.js',
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  define: { 'import.meta.url': '__genconfUrl' },
  banner: { js: "const __genconfUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
});
writeFileSync('dist/cli/package.json', `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);

// The code cache: compiled by running the commands whose start matters (scripts/code-cache.mjs).
execFileSync(process.execPath, ['scripts/code-cache.mjs'], { stdio: 'inherit' });
