/**
 * `--validate-config` judges everything `--genconf` judges: values written onto the nodes (one line of a settings
 * file, one word of an environment file, a plain bootstrap_url) are rules of the config, located at the key's line.
 * Before, these passed validation and failed only in `--genconf`'s renderer, without a line, and `--json` printed
 * no document.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/args.js';
import { run as genconf } from '../../src/commands/genconf.js';
import { run as validateConfig } from '../../src/commands/validate.js';
import { singleLineKeys } from '../../src/config/rules-node.js';
import { makeArtifacts, tempDir } from '../bundle/helpers.js';
import { judgeWith } from './helpers.js';

/** Each key in a config where the renderer writes it, and the line the key is on in yamlOf's output. */
const CASES: Array<[key: string, extra: Record<string, string>]> = [
  ['cluster_name', {}],
  ['marathon_java_args', {}],
  ['weights', {}],
  ['http_proxy', { use_proxy: 'true', https_proxy: 'http://p:3128', no_proxy: '[]' }],
  ['exhibitor_zk_hosts', { exhibitor_storage_backend: 'zookeeper', exhibitor_zk_path: '/dcos' }],
  ['mesos_agent_work_dir', {}],
];

function errorsOf(overrides: Record<string, string>, target: 'ssh' | 'genconf' = 'ssh') {
  const r = judgeWith(overrides, target);
  return { valid: r.valid, errors: r.errors.map((e) => ({ key: e.key, line: e.line, message: e.message })) };
}

/** The 1-based line of `key` in the YAML text helpers.yamlOf writes for these overrides. */
function lineOf(key: string, overrides: Record<string, string>): number {
  const keys = Object.keys({ ...BASE_KEYS, ...overrides });
  return keys.indexOf(key) + 1;
}
const BASE_KEYS = {
  cluster_name: '',
  bootstrap_url: '',
  exhibitor_storage_backend: '',
  master_discovery: '',
  master_list: '',
  agent_list: '',
  public_agent_list: '',
  resolvers: '',
};

describe('a value written into a settings file on the nodes is one line', () => {
  it.each(CASES)('a line break in %s fails validation at its line, in both rule sets', (key, extra) => {
    const overrides = { ...extra, [key]: key === 'mesos_agent_work_dir' ? '"/var/lib/x\\ny"' : '"a\\nMESOS_QUORUM=1"' };
    for (const target of ['ssh', 'genconf'] as const) {
      const r = errorsOf(overrides, target);
      expect(r.valid, `${key} (${target})`).toBe(false);
      expect(r.errors).toEqual([
        {
          key,
          line: lineOf(key, overrides),
          message:
            'Must be a single line: it is written into a KEY=value settings file on every node; remove the line break',
        },
      ]);
    }
  });

  it.each(CASES)('a NUL in %s is named a NUL, not a line break', (key, extra) => {
    const overrides = { ...extra, [key]: key === 'mesos_agent_work_dir' ? '"/var/lib/x\\0"' : '"a\\0b"' };
    const r = errorsOf(overrides);
    expect(r.valid).toBe(false);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]!.key).toBe(key);
    expect(r.errors[0]!.line).toBe(lineOf(key, overrides));
    expect(r.errors[0]!.message).toMatch(/remove the NUL character$/);
    expect(r.errors[0]!.message).not.toMatch(/line break/);
  });

  it('a carriage return counts as a line break', () => {
    expect(errorsOf({ cluster_name: '"prod\\r"' }).errors[0]!.message).toMatch(/remove the line break$/);
  });

  it('lists every key the renderers write line by line', async () => {
    const dir = path.join(import.meta.dirname, '../../src/bundle/render');
    const used = new Set<string>();
    for (const name of await readdir(dir)) {
      const text = await readFile(path.join(dir, name), 'utf8');
      for (const m of text.matchAll(/\.line\(\s*'([a-z0-9_]+)'/g)) used.add(m[1]!);
    }
    expect(used.size).toBeGreaterThan(30);
    expect([...used].sort()).toEqual([...singleLineKeys()].sort());
  });
});

describe('bootstrap_url and the proxy settings are judged by validation', () => {
  it.each(['http://x/$(reboot)', 'http://x/`id`', 'http://x/a b', "file:///opt/it's"])(
    'bootstrap_url %s fails validation at its line',
    (url) => {
      const r = errorsOf({ bootstrap_url: JSON.stringify(url) });
      expect(r.valid).toBe(false);
      expect(r.errors).toEqual([
        {
          key: 'bootstrap_url',
          line: 2,
          message: expect.stringMatching(/^Must be a file:\/\/, http:\/\/ or https:\/\/ URL/) as string,
        },
      ]);
    },
  );

  it('a proxy with a blank or a $ fails, and so does a no_proxy entry', () => {
    const base = { use_proxy: 'true', https_proxy: 'http://p:3128', no_proxy: '[]' };
    expect(errorsOf({ ...base, http_proxy: '"http://p:3128 x"' }).errors[0]).toMatchObject({
      key: 'http_proxy',
      message: expect.stringMatching(/^Must be one word/) as string,
    });
    expect(errorsOf({ ...base, http_proxy: 'http://p', no_proxy: '["a$b"]' }).errors[0]).toMatchObject({
      key: 'no_proxy',
      line: 11,
    });
  });

  it('plain values still pass', () => {
    expect(errorsOf({ bootstrap_url: 'https://repo.example.com/dcos/1.11', cluster_name: 'prod' }).valid).toBe(true);
  });
});

describe('the CLI: --validate-config says invalid with a location; --genconf --json always prints its document', () => {
  async function project(config: string): Promise<string> {
    const dir = await tempDir('genconf-node-rules-');
    await mkdir(path.join(dir, 'genconf'));
    await writeFile(path.join(dir, 'genconf', 'config.yaml'), config);
    await writeFile(path.join(dir, 'genconf', 'ip-detect'), '#!/bin/sh\necho 10.0.0.1\n');
    await makeArtifacts(path.join(dir, 'artifacts'));
    return dir;
  }
  async function invoke(command: typeof genconf, argv: string[], cwd: string) {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    stdout.on('data', (c: Buffer) => out.push(c));
    stderr.on('data', (c: Buffer) => err.push(c));
    const code = await command({
      options: parseArgs(argv, cwd, {}),
      signal: new AbortController().signal,
      stdout,
      stderr,
      interactive: false,
    });
    return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
  }
  const config = (name: string): string =>
    `cluster_name: ${name}\nbootstrap_url: http://10.0.0.100:8080\nexhibitor_storage_backend: static\n` +
    'master_discovery: static\nmaster_list: [10.0.0.1]\nagent_list: [10.0.0.2]\nresolvers: [8.8.8.8]\n';

  it('a newline in cluster_name: --validate-config exits 1 naming file:line and key', async () => {
    const dir = await project(config('"a\\nb"'));
    const r = await invoke(validateConfig, ['--validate-config'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('genconf/config.yaml:1:1: cluster_name: Must be a single line');
  });

  it('--genconf --json prints the validation document for it', async () => {
    const dir = await project(config('"a\\nb"'));
    const r = await invoke(genconf, ['--genconf', '--json'], dir);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as { valid: boolean; errors: { key: string; line: number }[] };
    expect(doc.valid).toBe(false);
    expect(doc.errors[0]).toMatchObject({ key: 'cluster_name', line: 1 });
  });

  it('--genconf --json prints a document when building fails after a valid config', async () => {
    const dir = await project(config('ok'));
    const r = await invoke(genconf, ['--genconf', '--json', '--artifacts', path.join(dir, 'nope')], dir);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as { valid: boolean; errors: { key: string; message: string }[] };
    expect(doc.valid).toBe(false);
    expect(doc.errors[0]!.key).toBe('bundle');
    expect(doc.errors[0]!.message).toMatch(/does not exist/);
  });
});
