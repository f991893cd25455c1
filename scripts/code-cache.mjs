// Writes dist/cli/genconf.cjs.cache, the V8 code cache src/launcher.ts loads the bundle with. V8 caches what
// a run compiled, so this runs the commands whose start matters in-process first — `--version`, and
// `--validate-config` on a valid and on an invalid copy of an example (human and --json output) — and asks for
// the cache afterwards. Run by scripts/bundle.mjs in a process of its own, with Node's default flags: a cache is
// used only by a Node of the same version and flags. Their output is kept and shown only when one fails.
import { appendFileSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BUNDLE_FILE, CACHE_SUFFIX, loadBundle } from '../dist/src/launcher.js';

const root = process.cwd();
const bundle = path.join(root, 'dist', 'cli', BUNDLE_FILE);
const work = mkdtempSync(path.join(os.tmpdir(), 'genconf-code-cache-'));
const { exports, script } = loadBundle(bundle);

const captured = [];
const realWrite = { out: process.stdout.write, err: process.stderr.write };
const capture = (chunk, encoding, cb) => {
  captured.push(String(chunk));
  (typeof encoding === 'function' ? encoding : cb)?.();
  return true;
};
process.stdout.write = capture;
process.stderr.write = capture;
const runs = [];
try {
  for (const name of ['valid', 'invalid']) {
    const dir = path.join(work, name);
    cpSync(path.join(root, 'genconf-examples', '3-masters-static', 'genconf'), path.join(dir, 'genconf'), {
      recursive: true,
    });
    writeFileSync(path.join(dir, 'genconf', 'ssh_key'), 'placeholder\n', { mode: 0o600 });
    // A typo (with its hint) and a rule failure.
    if (name === 'invalid') appendFileSync(path.join(dir, 'genconf', 'config.yaml'), 'ssh_usr: admin\nssh_port: x\n');
  }
  const valid = path.join(work, 'valid');
  const invalid = path.join(work, 'invalid');
  runs.push(['--version', valid, 0]);
  runs.push(['--validate-config', valid, 0]);
  runs.push(['--validate-config --json', valid, 0]);
  runs.push(['--validate-config', invalid, 1]);
  runs.push(['--validate-config --json', invalid, 1]);
  for (const [args, cwd, expected] of runs) {
    process.chdir(cwd);
    const code = await exports.main(args.split(' '), cwd);
    if (code !== expected) throw new Error(`genconf ${args} in ${cwd} exited ${code}, expected ${expected}`);
  }
} catch (err) {
  process.stdout.write = realWrite.out;
  process.stderr.write = realWrite.err;
  process.stderr.write(`${captured.join('')}\ncode cache: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
} finally {
  process.chdir(root);
  rmSync(work, { recursive: true, force: true });
}
process.stdout.write = realWrite.out;
process.stderr.write = realWrite.err;
const data = script.createCachedData();
writeFileSync(bundle + CACHE_SUFFIX, data, { mode: 0o644 });
process.stdout.write(`code cache: ${(data.length / 1024).toFixed(0)} KiB after ${runs.length} runs\n`);
