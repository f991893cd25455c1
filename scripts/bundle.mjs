// Bundles the CLI into dist/cli/ (one file per lazily loaded command, shared chunks). Why: Node 20 has no
// compile cache, and resolving and compiling ~150 small modules (yaml alone is 84 CommonJS files) was a third
// of `--validate-config`'s whole-process time. dist/src/ (tsc's output) stays for the tests and the benches.
// ssh2 stays external: it loads an optional native addon by relative path.
import { build } from 'esbuild';

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
  sourcemap: true,
  logLevel: 'warning',
});
