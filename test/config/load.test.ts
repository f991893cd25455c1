/** Loading config.yaml: YAML 1.1 typing, the original's stringification, file-level problems, positions. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PyDict, PyFloat } from '../../src/pycompat/py.js';
import { pyJsonLoads } from '../../src/pycompat/json.js';
import { fromPlain, stringifyPlain, stringifyValue } from '../../src/config/stringify.js';
import { judgeConfig } from '../../src/config/validate.js';
import { loadConfigText, resolvePlain } from '../../src/config/yaml11.js';
import { BASE, judge, yamlOf } from './helpers.js';

describe('YAML 1.1 scalars as PyYAML reads them', () => {
  it.each([
    ['yes', true],
    ['Yes', true],
    ['ON', true],
    ['off', false],
    ['No', false],
    ['True', true],
    ['FALSE', false],
    ['y', 'y'],
    ['n', 'n'],
    ['yEs', 'yEs'],
    ['017', 15n],
    ['0x1F', 31n],
    ['0b101', 5n],
    ['1:20', 80n],
    ['1_000', 1000n],
    ['08', '08'],
    ['1e5', '1e5'],
    ['~', null],
    ['null', null],
    ['', null],
    ['2001-01-01', 'timestamp'],
  ] as const)('%s', (text, expected) => {
    const v = resolvePlain(text);
    if (expected === 'timestamp') expect(v?.constructor.name).toBe('PyTimestamp');
    else expect(v).toEqual(expected);
  });
  it('floats', () => {
    expect(resolvePlain('1.5')).toEqual(new PyFloat(1.5));
    expect(resolvePlain('1.0e+3')).toEqual(new PyFloat(1000));
    expect((resolvePlain('.inf') as PyFloat).value).toBe(Infinity);
  });
  it('unquoted yes is a boolean, quoted yes a string', () => {
    const r = loadConfigText('a: yes\nb: \'yes\'\nc: "on"\nd: !!str true\n');
    expect(r.ok && r.keys.map((k) => [k.key, k.value])).toEqual([
      ['a', true],
      ['b', 'yes'],
      ['c', 'on'],
      ['d', 'true'],
    ]);
  });
  it('anchors, aliases and merge keys', () => {
    const r = loadConfigText('base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\nlist: [*b]\n');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(stringifyValue(r.keys[1]!.value)).toEqual({ ok: true, value: '{"x": 1, "y": 2}' });
    expect(stringifyValue(r.keys[2]!.value)).toEqual({ ok: true, value: '[{"x": 1}]' });
  });
  it('a repeated key is an error (PyYAML silently kept the last value)', () => {
    const r = judge(yamlOf({}) + 'cluster_name: second\n');
    expect(r.valid).toBe(false);
    expect(r.errors.map((e) => e.key)).toEqual(['cluster_name', 'cluster_name']);
  });
});

describe('stringification (the original: everything becomes a string)', () => {
  it.each([
    [true, 'true'],
    [false, 'false'],
    [22, '22'],
    ['x', 'x'],
    [['a', 'b'], '["a", "b"]'],
    [{ a: 1, b: [true, null] }, '{"a": 1, "b": [true, null]}'],
    [['café'], '["caf\\u00e9"]'],
    [[], '[]'],
  ] as const)('%j → %s', (value, expected) => {
    expect(stringifyPlain(value)).toBe(expected);
  });
  it('floats inside lists use Python repr', () => {
    expect(stringifyValue([1.5, 1e16, 0.0001, 1e-5, 100].map((x) => new PyFloat(x)))).toEqual({
      ok: true,
      value: '[1.5, 1e+16, 0.0001, 1e-05, 100.0]',
    });
  });
  it('big integers keep every digit', () => {
    const r = loadConfigText('n: 123456789012345678901234567890\n');
    expect(r.ok && stringifyValue(r.keys[0]!.value)).toEqual({ ok: true, value: '123456789012345678901234567890' });
  });
  it('null, float and dates are errors on the key, not crashes', () => {
    expect(stringifyValue(null).ok).toBe(false);
    expect(stringifyValue(fromPlain(1.5)).ok).toBe(false);
    const r = loadConfigText('x: [2001-01-01]\n');
    expect(r.ok && stringifyValue(r.keys[0]!.value).ok).toBe(false);
  });
  it('userArgs hold only what the user wrote, stringified', () => {
    const r = judge(yamlOf({ check_time: 'no', master_list: '[10.0.0.1]' }), 'genconf');
    expect(r.valid).toBe(true);
    expect(r.userArgs).toEqual({
      ...Object.fromEntries(Object.keys(BASE).map((k) => [k, r.userArgs![k]])),
      check_time: 'false',
      master_list: '["10.0.0.1"]',
    });
    expect(r.userArgs?.agent_list).toBe('["10.0.0.11"]');
    expect(r.args?.check_time).toBe('false');
    expect(r.args?.check_config).not.toContain('clock_sync');
  });
});

describe('Python json.loads messages', () => {
  it.each([
    ['', 'Expecting value: line 1 column 1 (char 0)'],
    ['[1,', 'Expecting value: line 1 column 4 (char 3)'],
    ['{"a" 1}', "Expecting ':' delimiter: line 1 column 6 (char 5)"],
    ['{a:1}', 'Expecting property name enclosed in double quotes: line 1 column 2 (char 1)'],
    ['"abc', 'Unterminated string starting at: line 1 column 1 (char 0)'],
    ['"\\x', 'Invalid \\escape: line 1 column 2 (char 1)'],
    ['"\\u12"', 'Invalid \\uXXXX escape: line 1 column 3 (char 2)'],
    ['[1] x', 'Extra data: line 1 column 5 (char 4)'],
    ['[1 2]', "Expecting ',' delimiter: line 1 column 4 (char 3)"],
    ['01', 'Extra data: line 1 column 2 (char 1)'],
    ['[\n1,\n]', 'Expecting value: line 3 column 1 (char 5)'],
  ])('%j', (text, message) => {
    expect(() => pyJsonLoads(text)).toThrow(message);
  });
  it('parses what Python parses', () => {
    expect(pyJsonLoads(' [1, "a", {"b": null}, true, 1.5, NaN] ')).toBeInstanceOf(Array);
    expect(pyJsonLoads('{"a": 1}')).toBeInstanceOf(PyDict);
  });
});

describe('file-level problems (1.11 crashed or printed a bare message)', () => {
  const run = (files: Record<string, string>): ReturnType<typeof judgeConfig> => {
    const dir = mkdtempSync(path.join(tmpdir(), 'genconf-load-'));
    mkdirSync(path.join(dir, 'genconf'));
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, 'genconf', name), text);
    return judgeConfig({ genconfDir: path.join(dir, 'genconf'), baseDir: dir, target: 'ssh', strict: false });
  };
  it('missing config.yaml', async () => {
    const r = await run({});
    expect(r.valid).toBe(false);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]!.key).toBe('config.yaml');
    expect(r.errors[0]!.message).toMatch(
      /^No config file found at .*genconf\/config\.yaml\. See the DC\/OS documentation/,
    );
  });
  it('empty file', async () => {
    const r = await run({ 'config.yaml': '# only a comment\n' });
    expect(r.errors[0]).toMatchObject({ key: 'config.yaml', message: expect.stringMatching(/^The file is empty/) });
  });
  it('top-level list', async () => {
    const r = await run({ 'config.yaml': '- a\n- b\n' });
    expect(r.errors[0]).toMatchObject({
      key: 'config.yaml',
      line: 1,
      column: 1,
      message: 'The top level must be a mapping of configuration keys to values, not a list',
    });
  });
  it('invalid YAML, with its location', async () => {
    const r = await run({ 'config.yaml': 'cluster_name: a\nmaster_list: [1, 2\n' });
    expect(r.errors[0]!.key).toBe('config.yaml');
    expect(r.errors[0]!.message).toMatch(/^Unable to load configuration file\. Invalid YAML in .*config\.yaml: /);
    expect(r.errors[0]!.line).toBeGreaterThanOrEqual(2);
  });
  it('control characters PyYAML refuses', async () => {
    const r = await run({ 'config.yaml': 'cluster_name: a\nbootstrap_url: x\u0015y\n' });
    expect(r.errors).toEqual([
      expect.objectContaining({
        key: 'config.yaml',
        line: 2,
        column: 17,
        message: expect.stringContaining('unacceptable character #x0015'),
      }),
    ]);
  });
  it('CRLF and lone CR line ends read as PyYAML (through text-mode open) reads them', () => {
    const r = judge(
      yamlOf({}).replace(/\n/g, '\r\n').replace('resolvers', 'dns_search: "a\r\n b"\rresolvers'),
      'genconf',
    );
    expect(r.errors).toEqual([]);
    expect(r.userArgs?.dns_search).toBe('a b');
  });
  it('a comment right after a flow collection or a quoted value, as PyYAML allows', () => {
    const r = loadConfigText('a: [1, 2]#c\nb: "x"#c\nc: x#c\n');
    expect(r.ok && r.keys.map((k) => stringifyValue(k.value))).toEqual([
      { ok: true, value: '[1, 2]' },
      { ok: true, value: 'x' },
      { ok: true, value: 'x#c' },
    ]);
  });
  it.each([
    ['a: b\t# c\n', false],
    ['a:\tb\n', false],
    ['a: [1,\t2]\n', false],
    ['a: x\ty\n', false],
    ['a: b\t\n', false],
    ['a: "x\ty"\n', true],
    ["a: 'x\ty'\n", true],
    ['a: |\n  x\ty\n', true],
    ['a: b # c\td\n', true],
  ])('tabs as PyYAML reads them: %j → ok %s', (text, ok) => {
    expect(loadConfigText(text).ok).toBe(ok);
  });
  it('unknown tag', async () => {
    const r = await run({ 'config.yaml': 'cluster_name: !vault x\n' });
    expect(r.errors[0]!.message).toMatch(/Invalid YAML/);
  });
  it('non-string key', async () => {
    const r = await run({ 'config.yaml': yamlOf({}) + '1: x\n', 'ip-detect': '#!/bin/sh\n' });
    expect(r.errors).toEqual([
      expect.objectContaining({
        key: '1',
        line: 9,
        column: 1,
        message: expect.stringMatching(/^Keys must be strings/),
      }),
    ]);
  });
});

describe('positions and unknown keys', () => {
  it('every issue on a key in the file carries its line and column', () => {
    const text =
      'cluster_name: a\nbootstrap_url: x\nexhibitor_storage_backend: static\nmaster_discovery: static\nmaster_list: [10.0.0.1]\n  # comment\n    \nresolvers: [1.1.1.1:0]\n';
    const r = judge(text, 'genconf');
    expect(r.errors).toEqual([
      {
        key: 'bootstrap_url',
        message: 'Should be a url (http://example.com/bar or file:///path/to/local/cache)',
        file: 'genconf/config.yaml',
        line: 2,
        column: 1,
      },
      {
        key: 'resolvers',
        message: 'Must be between 1 and 65535 inclusive',
        file: 'genconf/config.yaml',
        line: 8,
        column: 1,
      },
    ]);
  });
  it('indented and flow-style top level keys are located', () => {
    const r = judge(
      '{cluster_name: a, bootstrap_url: /, exhibitor_storage_backend: static, master_discovery: static, master_list: [10.0.0.1]}\n',
      'genconf',
    );
    expect(r.errors).toEqual([expect.objectContaining({ key: 'bootstrap_url', line: 1, column: 19 })]);
  });
  it('unknown keys warn with a did-you-mean hint', () => {
    const r = judge(yamlOf({ ssh_usr: 'bob', zzzz_qqqq: '1' }));
    expect(r.valid).toBe(true);
    expect(r.warnings).toEqual([
      expect.objectContaining({
        key: 'ssh_usr',
        message: "Unknown key 'ssh_usr'; DC/OS 1.11 ignores it. Did you mean 'ssh_user'?",
        line: 9,
      }),
      expect.objectContaining({ key: 'zzzz_qqqq', message: "Unknown key 'zzzz_qqqq'; DC/OS 1.11 ignores it" }),
    ]);
    expect(r.userArgs?.ssh_usr).toBe('bob');
    expect(r.args?.ssh_usr).toBeUndefined();
  });
  it('a key named __proto__ is an ordinary (unknown) key', () => {
    const r = judge(yamlOf({ constructor: 'y' }) + '__proto__: x\n');
    expect(Object.keys(r.userArgs!)).toEqual(expect.arrayContaining(['__proto__', 'constructor']));
    expect(r.warnings.map((w) => w.key)).toEqual(['constructor', '__proto__']);
    expect(r.userArgs!['__proto__']).toBe('x');
  });
  it('under --strict unknown keys are errors', () => {
    const r = judge(yamlOf({ exhibitor_zk_pth: '/x' }), 'ssh', true);
    expect(r.valid).toBe(false);
    expect(r.errors).toEqual([
      expect.objectContaining({
        key: 'exhibitor_zk_pth',
        message: expect.stringContaining("Did you mean 'exhibitor_zk_path'?"),
      }),
    ]);
  });
  it('Enterprise and documented-but-unused keys are known: no warning', () => {
    const r = judge(
      yamlOf({
        log_directory: '/genconf/logs',
        extra_ssh_options: "'-o X=y'",
        customer_key: 'k',
        security: 'strict',
        superuser_username: 'admin',
        superuser_password_hash: "'$6$x'",
      }),
      'ssh',
      true,
    );
    expect(r.warnings).toEqual([]);
    expect(r.valid).toBe(true);
  });
});
