// Bundles the CLI into dist/cli/ (one file per lazily loaded command, shared chunks). Why: Node 20 has no
// compile cache, and resolving and compiling ~150 small modules (yaml alone is 84 CommonJS files) was a third
// of `--validate-config`'s whole-process time. dist/src/ (tsc's output) stays for the tests and the benches.
// ssh2 stays external: it loads an optional native addon by relative path.
import { rmSync } from 'node:fs';
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

// Node builds an ES module facade for every builtin the first time it is imported from ESM, reading every export
// (fs's lazy ReadStream getter loads the whole streams stack, its `promises` getter fs/promises). Through require()
// the builtin is just returned. The bundle's own `import … from 'node:x'` therefore become require() calls.
const builtinsByRequire = {
  name: 'builtins-by-require',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) =>
      args.kind === 'import-statement' && !/[\\/]node_modules[\\/]/.test(args.importer)
        ? { path: args.path, namespace: 'builtin-require' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'builtin-require' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

// Chunk names carry content hashes: without a clean directory, every build would leave the last one's chunks
// behind (and npm pack would ship them).
rmSync('dist/cli', { recursive: true, force: true });

await build({
  entryPoints: ['src/main.ts'],
  outdir: 'dist/cli',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['ssh2', 'cpu-features'],
  // CommonJS dependencies call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __genconfRequire } from 'node:module'; const require = __genconfRequire(import.meta.url);",
  },
  plugins: [lazyChildProcess, builtinsByRequire],
  sourcemap: true,
  logLevel: 'warning',
});
