/**
 * The bundled CLI's start (README "CLI start"): dist/cli/main.js loads dist/cli/genconf.cjs with the V8 code cache
 * the build wrote. Checked here: the cache is accepted by this Node (a rejected one would silently cost a third
 * of `--validate-config`); a cache that is not safe to use is not read; a corrupt cache changes nothing but speed;
 * and `--validate-config` loads none of the modules only other actions need.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trustedCache } from '../../src/launcher.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI_DIR = path.join(REPO, 'dist/cli');
const CLI = path.join(CLI_DIR, 'main.js');
const LAUNCHER = path.join(REPO, 'dist/src/launcher.js');

/** The environment of a user's run: no NODE_OPTIONS (V8 rejects a cache made with other flags). */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.NODE_OPTIONS;
  return env;
}

function node(args: string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, args, { cwd, encoding: 'utf8', env: cleanEnv(), stdio: 'pipe' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let work: string;
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'genconf-start-'));
  for (const name of ['valid', 'invalid']) {
    const dir = path.join(work, name, 'genconf');
    fs.cpSync(path.join(REPO, 'genconf-examples/3-masters-static/genconf'), dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'ssh_key'), 'placeholder\n', { mode: 0o600 });
  }
  fs.appendFileSync(path.join(work, 'invalid/genconf/config.yaml'), 'ssh_usr: admin\nssh_port: x\n');
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('the bundled CLI and its code cache', () => {
  it('is built with a cache this Node accepts', () => {
    expect(fs.existsSync(CLI), 'dist/cli/main.js is missing: run `npm run build`').toBe(true);
    const probe = [
      `import { loadBundle, trustedCache } from ${JSON.stringify(LAUNCHER)};`,
      `const file = ${JSON.stringify(path.join(CLI_DIR, 'genconf.cjs'))};`,
      `const cache = trustedCache(file + '.cache', process.getuid());`,
      `const { script } = loadBundle(file, cache);`,
      `console.log(JSON.stringify({ cache: cache !== undefined, rejected: script.cachedDataRejected }));`,
    ].join('\n');
    const r = node(['--input-type=module', '-e', probe], work);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ cache: true, rejected: false });
  });

  it('reads a cache only when it is a file of the script owner that no one else may write', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'genconf-cache-'));
    try {
      const file = path.join(dir, 'genconf.cjs.cache');
      fs.writeFileSync(file, 'bytes', { mode: 0o644 });
      fs.chmodSync(file, 0o644);
      const me = process.getuid!();
      expect(trustedCache(file, me)?.toString()).toBe('bytes');
      expect(trustedCache(file, me + 1)).toBeUndefined();
      for (const mode of [0o664, 0o646, 0o666]) {
        fs.chmodSync(file, mode);
        expect(trustedCache(file, me), mode.toString(8)).toBeUndefined();
      }
      expect(trustedCache(path.join(dir, 'missing'), me)).toBeUndefined();
      expect(trustedCache(dir, me)).toBeUndefined();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives the same output and exit codes with a corrupt cache or none as with the built one', () => {
    // A copy of the package's layout (package.json, schema/) with dist/cli holding a cache V8 must reject.
    const copy = path.join(work, 'pkg');
    fs.mkdirSync(path.join(copy, 'dist'), { recursive: true });
    fs.copyFileSync(path.join(REPO, 'package.json'), path.join(copy, 'package.json'));
    fs.cpSync(path.join(REPO, 'schema'), path.join(copy, 'schema'), { recursive: true });
    fs.cpSync(CLI_DIR, path.join(copy, 'dist/cli'), { recursive: true });
    const cacheFile = path.join(copy, 'dist/cli/genconf.cjs.cache');
    const built = fs.readFileSync(cacheFile);
    const corrupt = Buffer.from(built);
    for (let i = 0; i < corrupt.length; i += 97) corrupt[i] = corrupt[i]! ^ 0x5a;
    const cases = [
      ['valid', '--validate-config'],
      ['valid', '--validate-config', '--json'],
      ['invalid', '--validate-config'],
      ['invalid', '--validate-config', '--json'],
      ['valid', '--version'],
    ];
    for (const [dir, ...args] of cases) {
      const cwd = path.join(work, dir!);
      const expected = node([CLI, ...args], cwd);
      expect(expected.status).toBe(dir === 'valid' ? 0 : 1);
      for (const cache of [corrupt, undefined]) {
        if (cache) fs.writeFileSync(cacheFile, cache);
        else fs.rmSync(cacheFile, { force: true });
        expect(node([path.join(copy, 'dist/cli/main.js'), ...args], cwd)).toEqual(expected);
      }
    }
  });
});

describe('--validate-config loads only what it needs', () => {
  it('no ssh2, no crypto, child_process, network, zlib or file streams', () => {
    // Recorded at exit by a preloaded probe: Node's own modules (process.moduleLoadList) and every file require()d.
    const out = path.join(work, 'loaded.json');
    const probe = path.join(work, 'probe.cjs');
    const errFile = path.join(work, 'stderr.txt');
    fs.writeFileSync(
      probe,
      `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(out)}, ` +
        `JSON.stringify({ builtins: process.moduleLoadList, files: Object.keys(require.cache) })));\n`,
    );
    // Every stdio a file: a pipe or a terminal would load net for its stream, and reading process.stdin (a file's
    // read stream) would show up as file streams.
    const stdio = [fs.openSync('/dev/null', 'r'), fs.openSync('/dev/null', 'w'), fs.openSync(errFile, 'w')];
    const r = spawnSync(process.execPath, ['--require', probe, CLI, '--validate-config'], {
      cwd: path.join(work, 'valid'),
      env: cleanEnv(),
      stdio,
    });
    for (const fd of stdio) fs.closeSync(fd);
    expect(fs.readFileSync(errFile, 'utf8')).toContain('configuration is valid');
    expect(r.status).toBe(0);
    const loaded = JSON.parse(fs.readFileSync(out, 'utf8')) as { builtins: string[]; files: string[] };
    const builtins = loaded.builtins.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13));
    // The probe itself sees the module list work: the launcher's vm is there.
    expect(builtins).toContain('vm');
    const unwanted = [
      'crypto',
      'child_process',
      'net',
      'tls',
      'http',
      'https',
      'zlib',
      'dgram',
      'readline',
      'internal/fs/promises',
      'internal/fs/streams',
      'worker_threads',
    ];
    expect(builtins.filter((m) => unwanted.includes(m))).toEqual([]);
    // The program is one file; packages it keeps outside (ssh2 and its native addon) are not loaded.
    expect(loaded.files.filter((f) => f !== probe).map((f) => path.relative(REPO, f))).toEqual(['dist/cli/main.js']);
  });

  it('of its own modules and packages, only config, its readers and the argument parser (tsc output)', () => {
    // Every ES module Node loads, recorded by a loader hook (CommonJS packages show as their entry file).
    const out = path.join(work, 'esm-loaded.txt');
    const hooks = path.join(work, 'hooks.mjs');
    const register = path.join(work, 'register.mjs');
    fs.writeFileSync(
      hooks,
      `import { appendFileSync } from 'node:fs';\n` +
        `export async function load(url, context, next) {\n` +
        `  appendFileSync(${JSON.stringify(out)}, url + '\\n');\n` +
        `  return next(url, context);\n}\n`,
    );
    fs.writeFileSync(
      register,
      `import { register } from 'node:module';\nregister(${JSON.stringify(`file://${hooks}`)});\n`,
    );
    const r = spawnSync(
      process.execPath,
      ['--import', register, path.join(REPO, 'dist/src/main.js'), '--validate-config'],
      {
        cwd: path.join(work, 'valid'),
        env: cleanEnv(),
        encoding: 'utf8',
      },
    );
    expect(r.stderr).toContain('configuration is valid');
    const urls = fs.readFileSync(out, 'utf8').trim().split('\n');
    const own = urls
      .filter((u) => u.startsWith(`file://${REPO}/dist/src/`))
      .map((u) => u.slice(`file://${REPO}/dist/`.length));
    expect(own).toContain('src/config/validate.js');
    const allowed = [
      /^src\/(main|errors|exit-codes|dcos-version|package-files)\.js$/,
      /^src\/(config|pycompat|cli)\//,
      /^src\/commands\/validate\.js$/,
      // The argument parser's lists: check names, fault-domain variants (tables, no I/O).
      /^src\/stages\/check-ids\.js$/,
      /^src\/bundle\/(fault-domain-detect|install-script)\.js$/,
    ];
    expect(own.filter((f) => !allowed.some((re) => re.test(f)))).toEqual([]);
    const packages = new Set(
      urls.map((u) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1]).filter((p) => p !== undefined),
    );
    expect([...packages].sort()).toEqual(['commander', 'yaml']);
  });
});
