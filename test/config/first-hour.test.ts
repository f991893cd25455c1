/**
 * 1.11 configs as operators wrote them: `/genconf/...` paths (the original ran in Docker with genconf/ at
 * /genconf and cwd /), and the silent misconfigurations 1.11 let through that this tool reports: duplicate keys,
 * lists where one value belongs, alias-aware suggestions, a missing SSH key, a missing fault-domain script.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { judgeConfigText, SUGGEST_FIRST } from '../../src/config/validate.js';
import { suggestKey, suggestWork } from '../../src/config/known-keys.js';
import type { Target, ValidationResult } from '../../src/config/types.js';
import { BASE, yamlOf } from './helpers.js';

/** A project dir: genconf/ with ip-detect, ip-detect-public, fault-domain-detect and ssh_key; scripts/ outside. */
function project(): { base: string; genconf: string } {
  const base = mkdtempSync(path.join(tmpdir(), 'genconf-firsthour-'));
  const genconf = path.join(base, 'genconf');
  mkdirSync(path.join(genconf, 'sub'), { recursive: true });
  writeFileSync(path.join(genconf, 'ip-detect'), '#!/bin/sh\necho 10.0.0.1\n');
  writeFileSync(path.join(genconf, 'ip-detect-public'), '#!/bin/sh\necho 1.2.3.4\n');
  writeFileSync(path.join(genconf, 'fault-domain-detect'), '#!/bin/sh\necho {}\n');
  writeFileSync(path.join(genconf, 'ssh_key'), 'key\n', { mode: 0o600 });
  mkdirSync(path.join(base, 'scripts'));
  writeFileSync(path.join(base, 'scripts', 'ip-detect'), '#!/bin/sh\necho 10.0.0.1\n');
  return { base, genconf };
}

const P = project();

function judge(
  text: string,
  opts: { target?: Target; strict?: boolean; checkSshKey?: boolean; env?: NodeJS.ProcessEnv; genconf?: string } = {},
): ValidationResult {
  return judgeConfigText(text, {
    genconfDir: opts.genconf ?? P.genconf,
    baseDir: path.dirname(opts.genconf ?? P.genconf),
    target: opts.target ?? 'ssh',
    strict: opts.strict ?? false,
    checkSshKey: opts.checkSshKey ?? false,
    env: opts.env ?? {},
    displayFile: 'genconf/config.yaml',
  });
}

/** The line a key sits on in yamlOf(overrides). */
function lineOf(text: string, key: string): number {
  return text.split('\n').findIndex((l) => l.startsWith(`${key}:`)) + 1;
}

describe('point 1: /genconf/<rest> paths resolve into the genconf directory, as in the 1.11 container', () => {
  // Every form, with the verdict DC/OS 1.11 gave inside its container (true: accepted).
  const forms: Array<[string, boolean]> = [
    ['/genconf/ip-detect', true],
    ['genconf/ip-detect', true],
    ['./genconf/ip-detect', true],
    ['//genconf/ip-detect', true],
    ['/genconf//ip-detect', true],
    ['/genconf/./ip-detect', true],
    ['/./genconf/ip-detect', true],
    ['../genconf/ip-detect', true], // cwd was /, and /.. is /
    ['/genconf/../genconf/ip-detect', true],
    ['/genconf/sub/../ip-detect', true], // sub exists, so the kernel walks through it
    ['/genconf/missing-dir/../ip-detect', false], // the kernel needs missing-dir to exist
    ['/genconf/ip-detect/', false], // a trailing slash asks for a directory
    ['/genconf/nope', false],
    ['/genconf', false], // a directory
    ['/genconf/', false],
    ['/genconf/sub', false],
    ['/GENCONF/ip-detect', false], // case matters
    ['/genconfx/ip-detect', false],
  ];
  for (const [written, ok] of forms) {
    for (const key of ['ip_detect_filename', 'ip_detect_public_filename'] as const) {
      it(`${key}: ${written} → ${ok ? 'accepted' : 'refused'}`, () => {
        const text = yamlOf({ [key]: written });
        const r = judge(text, { target: 'genconf' });
        if (ok) {
          expect(r.errors).toEqual([]);
          expect(r.args?.[key === 'ip_detect_filename' ? 'ip_detect_contents' : 'ip_detect_public_contents']).toContain(
            'echo',
          );
        } else {
          expect(r.valid).toBe(false);
          // Blamed on the key the operator wrote, at its line.
          expect(r.errors).toHaveLength(1);
          expect(r.errors[0]).toMatchObject({ key, line: lineOf(text, key), file: 'genconf/config.yaml' });
        }
      });
    }
    it(`fault_domain_detect_filename: ${written} → ${ok ? 'accepted' : 'refused'}`, () => {
      const r = judge(yamlOf({ fault_domain_detect_filename: written.replace('ip-detect', 'fault-domain-detect') }), {
        target: 'genconf',
      });
      expect(r.valid).toBe(ok);
      if (ok) expect(r.args?.fault_domain_detect_contents).toBe('#!/bin/sh\necho {}\n');
    });
    it(`ssh_key_path: ${written} → ${ok ? 'accepted' : 'refused'} at --validate-config`, () => {
      const text = yamlOf({ ssh_key_path: written.replace('ip-detect', 'ssh_key') });
      const r = judge(text, { checkSshKey: true });
      expect(r.valid).toBe(ok);
      if (ok) expect(r.args?.ssh_key_path).toBe(path.join(P.genconf, 'ssh_key'));
      else expect(r.errors[0]).toMatchObject({ key: 'ssh_key_path', line: lineOf(text, 'ssh_key_path') });
    });
  }

  it('a missing /genconf file names the key, its line, and where it was looked for', () => {
    const text = yamlOf({ ip_detect_filename: '/genconf/ip-detect-typo' });
    const r = judge(text);
    expect(r.errors).toHaveLength(1);
    const e = r.errors[0]!;
    expect(e.key).toBe('ip_detect_filename');
    expect(e.line).toBe(lineOf(text, 'ip_detect_filename'));
    expect(e.message).toContain('ip-detect script `/genconf/ip-detect-typo` must exist');
    expect(e.message).toContain(path.join(P.genconf, 'ip-detect-typo'));
    expect(e.message).toContain('/genconf');
  });

  it('a missing path outside the genconf directory says 1.11 could not see it either', () => {
    const r = judge(yamlOf({ ip_detect_filename: '/etc/dcos/ip-detect-nowhere' }));
    expect(r.errors[0]!.key).toBe('ip_detect_filename');
    expect(r.errors[0]!.message).toMatch(
      /outside the genconf directory .*could not see either.*genconf\/ip-detect-nowhere/,
    );
  });

  it('the default ip-detect, when missing, is blamed on ip_detect_filename (no line: the key is not in the file)', () => {
    const base = mkdtempSync(path.join(tmpdir(), 'genconf-firsthour-empty-'));
    mkdirSync(path.join(base, 'genconf'));
    const r = judge(yamlOf({}), { genconf: path.join(base, 'genconf'), target: 'genconf' });
    expect(r.errors).toEqual([
      {
        key: 'ip_detect_filename',
        message: expect.stringContaining('ip-detect script `genconf/ip-detect` must exist'),
      },
    ]);
  });

  it('a renamed genconf directory (--genconf-dir) is still what /genconf and genconf/ mean', () => {
    const base = mkdtempSync(path.join(tmpdir(), 'genconf-firsthour-renamed-'));
    const dir = path.join(base, 'cluster-a');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'ip-detect'), '#!/bin/sh\necho 10.0.0.9\n');
    for (const written of ['/genconf/ip-detect', 'genconf/ip-detect']) {
      const r = judge(yamlOf({ ip_detect_filename: written }), { genconf: dir, target: 'genconf' });
      expect(r.errors).toEqual([]);
      expect(r.args?.ip_detect_contents).toContain('10.0.0.9');
    }
  });

  it('relative paths outside genconf/ stay relative to the directory holding it (host extension)', () => {
    expect(judge(yamlOf({ ip_detect_filename: 'scripts/ip-detect' })).errors).toEqual([]);
  });
});

describe('point 2: silent misconfigurations are reported', () => {
  it('a duplicate key is an error at both lines, with or without --strict, for both rule sets', () => {
    const text = yamlOf({}) + 'ssh_user: core\nmaster_list: [10.0.0.7]\nssh_user: centos\n';
    const first = lineOf(text, 'master_list');
    const lines = text.split('\n');
    const userLines = lines.map((l, i) => (l.startsWith('ssh_user:') ? i + 1 : 0)).filter((n) => n > 0);
    const masterLines = lines.map((l, i) => (l.startsWith('master_list:') ? i + 1 : 0)).filter((n) => n > 0);
    for (const strict of [false, true]) {
      for (const target of ['genconf', 'ssh'] as const) {
        const r = judge(text, { strict, target });
        expect(r.valid).toBe(false);
        const dup = r.errors.filter((e) => e.message.startsWith('Duplicate key'));
        const want: Array<[string, number]> = [
          ['master_list', masterLines[0]!],
          ['master_list', masterLines[1]!],
          ['ssh_user', userLines[0]!],
          ['ssh_user', userLines[1]!],
        ];
        expect(dup.map((e) => [e.key, e.line])).toEqual(want.sort((a, b) => a[1] - b[1]));
        expect(dup[0]!.message).toContain(`lines ${first}, ${masterLines[1]}`);
      }
    }
  });

  it("keys from a merge (<<) are not duplicates: the mapping's own key wins, as in YAML", () => {
    const r = judge(yamlOf({}) + 'base: &b {ssh_port: 22}\n<<: *b\n');
    expect(r.errors.filter((e) => e.message.startsWith('Duplicate'))).toEqual([]);
  });

  const shapes: Array<[string, string]> = [
    ['ssh_user', '[centos, core]'],
    ['cluster_name', '[a, b]'],
    ['bootstrap_url', '[http://x]'],
    ['ssh_user', '{name: centos}'],
  ];
  for (const [key, value] of shapes) {
    it(`${key}: ${value} warns by default and is an error with --strict`, () => {
      const text = yamlOf({ [key]: value });
      const loose = judge(text);
      const w = loose.warnings.find((i) => i.key === key);
      expect(w?.message).toMatch(/^Expects a single value, not a (list|mapping); DC\/OS 1\.11 used the JSON text/);
      expect(w?.line).toBe(lineOf(text, key));
      const strict = judge(text, { strict: true });
      expect(strict.valid).toBe(false);
      expect(strict.errors.some((e) => e.key === key && e.message.startsWith('Expects a single value'))).toBe(true);
    });
  }
  it('list keys (master_list, resolvers) and mapping keys (ssh_host_overrides) are not flagged', () => {
    const r = judge(yamlOf({ ssh_host_overrides: '{10.0.0.1: {port: 2222}}' }), { strict: true });
    expect(r.warnings).toEqual([]);
    expect(r.errors).toEqual([]);
  });

  const aliases: Array<[string, string]> = [
    ['parallelism', 'ssh_parallelism'],
    ['timeout', 'process_timeout'],
    ['ssh_paralelism', 'ssh_parallelism'],
    ['masters', 'master_list'],
    ['Parallelism', 'ssh_parallelism'],
  ];
  for (const [written, meant] of aliases) {
    it(`${written}: suggests ${meant}`, () => {
      const text = yamlOf({ [written]: '50' });
      const w = judge(text).warnings.find((i) => i.key === written);
      expect(w?.message).toContain(`Did you mean '${meant}'?`);
      expect(w?.line).toBe(lineOf(text, written));
    });
  }

  it('a missing ssh_key_path is an error at --validate-config (SSH rules), not for --genconf', () => {
    const text = yamlOf({ ssh_key_path: 'genconf/no-such-key' });
    const r = judge(text, { checkSshKey: true });
    expect(r.errors).toEqual([expect.objectContaining({ key: 'ssh_key_path', line: lineOf(text, 'ssh_key_path') })]);
    expect(r.errors[0]!.message).toContain('SSH key `genconf/no-such-key` must exist');
    expect(judge(text, { target: 'genconf', checkSshKey: true }).errors).toEqual([]);
    // A written key path is checked even when an agent is there.
    expect(judge(text, { checkSshKey: true, env: { SSH_AUTH_SOCK: '/tmp/agent' } }).valid).toBe(false);
  });

  it('a missing default key is fine with an ssh-agent, an error without one', () => {
    const base = mkdtempSync(path.join(tmpdir(), 'genconf-firsthour-nokey-'));
    mkdirSync(path.join(base, 'genconf'));
    writeFileSync(path.join(base, 'genconf', 'ip-detect'), '#!/bin/sh\necho 10.0.0.1\n');
    const g = path.join(base, 'genconf');
    const without = judge(yamlOf({}), { genconf: g, checkSshKey: true });
    expect(without.errors).toEqual([
      { key: 'ssh_key_path', message: expect.stringContaining('the default SSH key `genconf/ssh_key` must exist') },
    ]);
    expect(judge(yamlOf({}), { genconf: g, checkSshKey: true, env: { SSH_AUTH_SOCK: '/tmp/agent' } }).errors).toEqual(
      [],
    );
  });

  it('a fault_domain_detect_filename naming no file is an error (both rule sets, with or without --strict)', () => {
    const text = yamlOf({ fault_domain_detect_filename: 'genconf/fault-domain-typo' });
    for (const target of ['genconf', 'ssh'] as const) {
      const r = judge(text, { target });
      expect(r.errors).toEqual([
        expect.objectContaining({
          key: 'fault_domain_detect_filename',
          line: lineOf(text, 'fault_domain_detect_filename'),
        }),
      ]);
      expect(r.errors[0]!.message).toContain('fault domain script `genconf/fault-domain-typo` must exist');
    }
    // Not written: the default stays optional.
    const base = mkdtempSync(path.join(tmpdir(), 'genconf-firsthour-nofd-'));
    mkdirSync(path.join(base, 'genconf'));
    writeFileSync(path.join(base, 'genconf', 'ip-detect'), '#!/bin/sh\necho 10.0.0.1\n');
    expect(judge(yamlOf({}), { genconf: path.join(base, 'genconf'), target: 'genconf' }).errors).toEqual([]);
  });
});

describe('issue 11 point 8: suggestions are bounded', () => {
  it('50,000 unknown keys: only the first few get a suggestion, and the distance work is bounded', () => {
    const lines = Object.entries(BASE).map(([k, v]) => `${k}: ${v}`);
    for (let i = 0; i < 50_000; i++) lines.push(`ssh_usr_${i}: x`);
    const before = { ...suggestWork };
    const r = judge(lines.join('\n') + '\n');
    const calls = suggestWork.calls - before.calls;
    const cells = suggestWork.cells - before.cells;
    expect(r.warnings).toHaveLength(50_000);
    expect(calls).toBe(SUGGEST_FIRST);
    // Each call compares against every known key at most (key length x known key length) cells; before the
    // bound this was 50,000 calls, about 8e8 cells.
    expect(cells).toBeLessThan(SUGGEST_FIRST * 400 * 64 * 64);
    expect(r.warnings.filter((w) => w.message.includes('Did you mean')).length).toBeLessThanOrEqual(SUGGEST_FIRST);
  });

  it('a very long unknown key gets no distance computed at all', () => {
    const before = suggestWork.cells;
    expect(suggestKey('x'.repeat(10_000))).toBeUndefined();
    expect(suggestWork.cells).toBe(before);
  });

  it('the early cut-off gives the same answers as the full distance', () => {
    for (const [typo, want] of [
      ['ssh_usre', 'ssh_user'],
      ['clustr_name', 'cluster_name'],
      ['master_lsit', 'master_list'],
      ['zzzzzzzz', undefined],
    ] as const) {
      expect(suggestKey(typo)).toBe(want);
    }
  });
});

describe('point 5: run from inside genconf/', () => {
  it('no config.yaml at genconf/config.yaml, but one right here: the message says to use the parent or --genconf-dir .', async () => {
    const { vi } = await import('vitest');
    const { judgeConfigSync } = await import('../../src/config/validate.js');
    const spy = vi.spyOn(process, 'cwd').mockReturnValue(P.genconf);
    writeFileSync(path.join(P.genconf, 'config.yaml'), yamlOf({}));
    try {
      const r = judgeConfigSync({
        genconfDir: path.join(P.genconf, 'genconf'),
        baseDir: P.genconf,
        target: 'genconf',
        strict: false,
      });
      expect(r.errors[0]!.message).toMatch(
        /^No config file found at genconf\/config\.yaml\. .*There is a config\.yaml in the current directory: run from its parent directory, or pass --genconf-dir \.$/,
      );
    } finally {
      spy.mockRestore();
    }
  });
});
