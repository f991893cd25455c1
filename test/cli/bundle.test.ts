import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The shipped entry point is the esbuild bundle (package.json bin, dcos_generate_config.sh). Bundling changes how
// CommonJS dependencies and lazily loaded commands are wired, so run the real thing, not the sources.
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const WRAPPER = path.join(REPO, 'dcos_generate_config.sh');
const built = fs.existsSync(path.join(REPO, 'dist/cli/main.js'));

function run(cwd: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('bash', [WRAPPER, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the bundled CLI through dcos_generate_config.sh', () => {
  // No silent pass when dist/ is missing: the test fails and says how to build it.
  it('is built (npm ci builds it; run `npm run build`)', () => {
    expect(built, 'dist/cli/main.js is missing: run `npm run build`').toBe(true);
  });

  it('--version, --validate-config --strict and --json on an example', () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'genconf-bundle-'));
    try {
      fs.cpSync(path.join(REPO, 'genconf-examples/3-masters-static/genconf'), path.join(work, 'genconf'), {
        recursive: true,
      });
      // --validate-config checks that the SSH key file exists.
      fs.writeFileSync(path.join(work, 'genconf/ssh_key'), 'placeholder\n', { mode: 0o600 });
      const version = run(work, '--version');
      expect(version.status).toBe(0);
      expect(JSON.parse(version.stdout)).toMatchObject({ dcos_version: '1.11.14-dev' });

      const strict = run(work, '--validate-config', '--strict');
      expect(strict.stderr).toContain('configuration is valid');
      expect(strict.status).toBe(0);

      fs.appendFileSync(path.join(work, 'genconf/config.yaml'), 'ssh_usr: admin\n');
      const json = run(work, '--validate-config', '--strict', '--json');
      expect(json.status).toBe(1);
      const doc = JSON.parse(json.stdout) as { valid: boolean; errors: Array<{ key: string; message: string }> };
      expect(doc.valid).toBe(false);
      expect(doc.errors.map((e) => e.key)).toContain('ssh_usr');

      const usage = run(work, '--preflight', '--deploy');
      expect(usage.status).toBe(2);
      expect(usage.stderr).toContain('not allowed with argument');
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
});
