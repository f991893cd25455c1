/** `--validate-config` through main(): human and --json output, exit codes, --strict, --genconf-dir. */
import { cpSync, mkdtempSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/main.js';

const example = fileURLToPath(new URL('../../genconf-examples/3-masters-static/', import.meta.url));
/** Line number of the first line appended to the example's config.yaml. */
const NEXT = readFileSync(path.join(example, 'genconf', 'config.yaml'), 'utf8').split('\n').length;

let out = '';
let err = '';
beforeEach(() => {
  out = '';
  err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
});
afterEach(() => vi.restoreAllMocks());

/** A copy of the 3-master example in a temp dir, with extra config lines appended. */
function workdir(extra = ''): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'genconf-cli-'));
  cpSync(path.join(example, 'genconf'), path.join(dir, 'genconf'), { recursive: true });
  // --validate-config checks that the SSH key exists (its content is not read).
  writeFileSync(path.join(dir, 'genconf', 'ssh_key'), 'placeholder\n', { mode: 0o600 });
  if (extra) writeFileSync(path.join(dir, 'genconf', 'config.yaml'), extra, { flag: 'a' });
  return dir;
}

describe('--validate-config', () => {
  it('valid: exit 0, a summary on stderr, nothing on stdout', async () => {
    const dir = workdir();
    expect(await main(['--validate-config'], dir)).toBe(0);
    expect(out).toBe('');
    expect(err).toContain('====> VALIDATING CONFIGURATION');
    expect(err).toContain('configuration is valid (0 errors, 0 warnings)');
  });

  it('invalid: one located `file:line:col: key: message` line per problem, then a count; exit 1', async () => {
    const dir = workdir('ssh_parallelism: 0\nmaster_dns_bindall: "maybe"\n');
    const prev = process.cwd();
    process.chdir(dir);
    try {
      expect(await main(['--validate-config'], dir)).toBe(1);
    } finally {
      process.chdir(prev);
    }
    const lines = err.trim().split('\n');
    expect(lines).toContain(`genconf/config.yaml:${NEXT}:1: ssh_parallelism: Must be between 1 and 100 inclusive`);
    expect(lines).toContain(
      `genconf/config.yaml:${NEXT + 1}:1: master_dns_bindall: Must be one of 'true', 'false'. Got 'maybe'.`,
    );
    expect(lines.at(-1)).toBe('configuration is invalid: 2 errors, 0 warnings');
  });

  it('problems with keys not in the file carry no location', async () => {
    // The default ip-detect is missing: blamed on ip_detect_filename, which the file does not hold.
    const dir = workdir();
    unlinkSync(path.join(dir, 'genconf', 'ip-detect'));
    expect(await main(['--validate-config'], dir)).toBe(1);
    expect(err).toMatch(/^ip_detect_filename: ip-detect script `genconf\/ip-detect` must exist: looked for /m);
  });

  it('a missing file the operator named is blamed on that key, at its line', async () => {
    const dir = workdir('ip_detect_filename: /genconf/missing\n');
    expect(await main(['--validate-config'], dir)).toBe(1);
    expect(err).toMatch(
      new RegExp(
        `genconf/config.yaml:${NEXT}:1: ip_detect_filename: ip-detect script \`/genconf/missing\` must exist: looked for `,
      ),
    );
  });

  it('--json: a problem without a location has no line/column', async () => {
    const dir = workdir();
    unlinkSync(path.join(dir, 'genconf', 'ip-detect'));
    expect(await main(['--validate-config', '--json'], dir)).toBe(1);
    expect(JSON.parse(out).errors).toEqual([
      {
        key: 'ip_detect_filename',
        message: expect.stringMatching(/^ip-detect script `genconf\/ip-detect` must exist/),
      },
    ]);
  });

  it('a missing ssh_key_path fails --validate-config at its line', async () => {
    const dir = workdir();
    const file = path.join(dir, 'genconf', 'config.yaml');
    const text = readFileSync(file, 'utf8');
    const line = text.split('\n').findIndex((l) => l.startsWith('ssh_key_path:')) + 1;
    writeFileSync(file, text.replace('ssh_key_path: genconf/ssh_key', 'ssh_key_path: /genconf/id_missing'));
    expect(await main(['--validate-config'], dir)).toBe(1);
    expect(err).toContain(`genconf/config.yaml:${line}:1: ssh_key_path: SSH key \`/genconf/id_missing\` must exist`);
  });

  it('--strict turns unknown keys into errors', async () => {
    const dir = workdir('ssh_usr: bob\n');
    expect(await main(['--validate-config'], dir)).toBe(0);
    expect(err).toContain("warning: ssh_usr: Unknown key 'ssh_usr'");
    err = '';
    expect(await main(['--validate-config', '--strict'], dir)).toBe(1);
    expect(err).toContain("ssh_usr: Unknown key 'ssh_usr'; DC/OS 1.11 ignores it. Did you mean 'ssh_user'?");
    expect(err).not.toContain('warning:');
  });

  it('--strict holds unused keys to the schema too', async () => {
    const dir = workdir('exhibitor_zk_path: relative\n');
    expect(await main(['--validate-config'], dir)).toBe(0);
    out = '';
    expect(await main(['--validate-config', '--strict', '--json'], dir)).toBe(1);
    expect(JSON.parse(out).errors).toEqual([
      {
        key: 'exhibitor_zk_path',
        message: 'Does not match schema/config.schema.json (--strict): must match pattern "^/"',
        line: NEXT,
        column: 1,
      },
    ]);
  });

  it('--genconf-dir points elsewhere; relative paths resolve against its parent', async () => {
    const dir = workdir();
    const cwd = mkdtempSync(path.join(tmpdir(), 'genconf-cwd-'));
    expect(await main(['--validate-config', '--genconf-dir', path.join(dir, 'genconf')], cwd)).toBe(0);
    expect(await main(['--validate-config', '--genconf-dir', cwd], cwd)).toBe(1);
    expect(err).toMatch(/config\.yaml: No config file found at /);
  });

  it('invalid YAML is a located file error, exit 1', async () => {
    const dir = workdir('master_list: [10.0.0.1\n');
    expect(await main(['--validate-config', '--json'], dir)).toBe(1);
    const doc = JSON.parse(out) as { errors: Array<{ key: string; message: string; line?: number }> };
    expect(doc.errors).toHaveLength(1);
    expect(doc.errors[0]!.key).toBe('config.yaml');
    expect(doc.errors[0]!.message).toMatch(/^Unable to load configuration file\. Invalid YAML in /);
    expect(doc.errors[0]!.line).toBeGreaterThanOrEqual(NEXT);
  });
});

describe('--version', () => {
  it('prints the tool and DC/OS versions as sorted, pretty JSON', async () => {
    expect(await main(['--version'], '/')).toBe(0);
    expect(out).toBe(
      `{\n  "dcos_version": "1.11.14-dev",\n  "variant": "",\n  "version": "${(await import('../../package.json', { with: { type: 'json' } })).default.version}"\n}\n`,
    );
  });
});
