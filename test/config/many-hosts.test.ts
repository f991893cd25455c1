/**
 * A config of 10,000 hosts (issue 17): judging it costs each host's share, and the answer is the same one a small
 * list gets. These pin the exact messages and lines on large lists, in flow and in block style, for the paths that
 * were made linear: the duplicate check, the bad-item location, the list comparisons, the host overrides.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blamedItemPosition } from '../../src/config/locate-item.js';
import { checkDuplicates, validateJsonList } from '../../src/config/validators.js';
import { RuleFailure } from '../../src/config/engine.js';
import { pyJsonLoads, pyJsonString } from '../../src/pycompat/json.js';
import { judge, yamlOf } from './helpers.js';

const N = 10_000;
/** 10.1.0.0, 10.1.0.1, …: distinct valid addresses. */
const addr = (i: number): string => `10.${1 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
const hosts = (): string[] => Array.from({ length: N }, (_, i) => addr(i));

const flow = (items: readonly string[]): string => `[${items.join(', ')}]`;
const block = (items: readonly string[]): string => '\n' + items.map((x) => `  - ${x}`).join('\n');
const FILE = 'genconf/config.yaml';
/** yamlOf writes cluster_name … master_list on lines 1-5, agent_list on line 6. */
const AGENT_LINE = 6;

describe('10,000 agents with a duplicate at the end and one invalid address', () => {
  const items = hosts();
  items[N - 2] = '10.300.0.1';
  items[N - 1] = items[5]!;
  const message = 'List cannot contain duplicates: 10.1.0.5 appears 2 times';

  it('flow style: the duplicate is the error (1.11 checks duplicates first), at its second occurrence', () => {
    const text = yamlOf({ agent_list: flow(items) });
    const r = judge(text);
    const column = text.split('\n')[AGENT_LINE - 1]!.lastIndexOf(' 10.1.0.5]') + 2;
    expect(column).toBe(123126);
    expect(r).toMatchObject({ valid: false, warnings: [] });
    expect(r.errors).toEqual([{ key: 'agent_list', message, file: FILE, line: AGENT_LINE, column }]);
  });

  it('block style: the line of the second occurrence', () => {
    const r = judge(yamlOf({ agent_list: block(items) }));
    expect(r).toMatchObject({ valid: false, warnings: [] });
    expect(r.errors).toEqual([{ key: 'agent_list', message, file: FILE, line: AGENT_LINE + N, column: 5 }]);
  });

  it('without the duplicate: the invalid address, at its own line', () => {
    const fixed = [...items];
    fixed[N - 1] = addr(N - 1);
    const r = judge(yamlOf({ agent_list: block(fixed) }));
    expect(r.errors).toEqual([
      {
        key: 'agent_list',
        message: 'Invalid IPv4 addresses in list: 10.300.0.1',
        file: FILE,
        line: AGENT_LINE + N - 1,
        column: 5,
      },
    ]);
  });

  it('two duplicates and two bad addresses: every one named, in list order', () => {
    const more = hosts();
    more[100] = '10.0.0.256';
    more[N - 3] = 'not-an-ip';
    more[N - 2] = more[7]!;
    more[N - 1] = more[3]!;
    const r = judge(yamlOf({ agent_list: block(more) }));
    expect(r.errors).toEqual([
      {
        key: 'agent_list',
        message: 'List cannot contain duplicates: 10.1.0.3 appears 2 times, 10.1.0.7 appears 2 times',
        file: FILE,
        line: AGENT_LINE + N,
        column: 5,
      },
    ]);
    more[N - 2] = addr(N - 2);
    more[N - 1] = addr(N - 1);
    const bad = judge(yamlOf({ agent_list: block(more) }));
    expect(bad.errors).toEqual([
      {
        key: 'agent_list',
        message: 'Invalid IPv4 addresses in list: 10.0.0.256, not-an-ip',
        file: FILE,
        line: AGENT_LINE + 101,
        column: 5,
      },
    ]);
  });
});

describe('10,000 agents against the other lists', () => {
  it('a master address among the agents: both keys blamed, as with a short list', () => {
    const items = hosts();
    items[N - 1] = '10.0.0.2';
    for (const agent_list of [flow(items), block(items)]) {
      const message = 'master_list and agent_list cannot contain duplicates 10.0.0.2';
      expect(judge(yamlOf({ agent_list })).errors).toEqual([
        { key: 'master_list', message, file: FILE, line: 5, column: 1 },
        { key: 'agent_list', message, file: FILE, line: AGENT_LINE, column: 1 },
      ]);
    }
  });

  it("agent addresses in public_agent_list: named in the agents' order, both keys blamed", () => {
    const items = hosts();
    const r = judge(yamlOf({ agent_list: block(items), public_agent_list: `[${addr(9000)}, ${addr(7000)}]` }));
    // 1.11's one message for every pair of lists.
    const message = 'master_list and agent_list cannot contain duplicates 10.1.27.88, 10.1.35.40';
    expect(r.errors).toEqual([
      { key: 'agent_list', message, file: FILE, line: AGENT_LINE, column: 1 },
      { key: 'public_agent_list', message, file: FILE, line: AGENT_LINE + N + 1, column: 1 },
    ]);
  });

  it('ssh_host_overrides: a host at the end of 10,000 is known; one in no list is refused', () => {
    const items = hosts();
    const good = judge(yamlOf({ agent_list: block(items), ssh_host_overrides: `{${addr(N - 1)}: {port: 2222}}` }));
    expect(good.errors).toEqual([]);
    expect(good.ssh?.hosts.find((h) => h.address === addr(N - 1))?.port).toBe(2222);
    const bad = judge(yamlOf({ agent_list: block(items), ssh_host_overrides: '{10.9.9.9: {port: 2222}}' }));
    expect(bad.errors).toEqual([
      {
        key: 'ssh_host_overrides',
        message: "'10.9.9.9' is not an address in master_list, agent_list or public_agent_list",
        file: FILE,
        line: AGENT_LINE + N + 3,
        column: 1,
      },
    ]);
  });

  it('a valid config of 10,000 agents: every host, in order', () => {
    const r = judge(yamlOf({ agent_list: flow(hosts()) }));
    expect(r.errors).toEqual([]);
    expect(r.ssh?.hosts.map((h) => h.address)).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3', ...hosts(), '10.0.0.21']);
  });
});

/** The location rule as first written (a regular expression per item): the oracle for the linear one. */
function oracle(
  lines: readonly string[],
  keyLine: number,
  listText: string,
  message: string,
): { line: number; column: number } | undefined {
  const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  let items: unknown;
  try {
    items = JSON.parse(listText);
  } catch {
    return undefined;
  }
  if (!Array.isArray(items)) return undefined;
  const item = (items as unknown[]).find(
    (x): x is string =>
      typeof x === 'string' && x !== '' && new RegExp(`(^|[\\s,:'"\`])${esc(x)}($|[\\s,'"\`])`).test(message),
  );
  if (item === undefined) return undefined;
  const word = new RegExp(`(^|[\\s,\\[:'"-])${esc(item)}($|[\\s,\\]'"#])`, 'g');
  const wanted = /duplicates/.test(message) ? 2 : 1;
  let seen = 0;
  for (let i = keyLine - 1; i < lines.length; i++) {
    const text = lines[i]!;
    word.lastIndex = i === keyLine - 1 ? text.indexOf(':') + 1 : 0;
    for (let m = word.exec(text); m !== null; m = word.exec(text)) {
      if (++seen === wanted) return { line: i + 1, column: m.index + m[1]!.length + 1 };
      word.lastIndex = m.index + m[0].length - m[2]!.length;
    }
  }
  return undefined;
}

describe('the item a message names', () => {
  // Items and messages from a small alphabet with every separator, so that items often occur in messages, whole or
  // in part, next to every kind of neighbour.
  const piece = fc.constantFrom(
    '1',
    '10',
    '.',
    ':',
    '80',
    'a',
    ' ',
    ',',
    "'",
    '"',
    '`',
    '-',
    '[',
    ']',
    '#',
    '\u00a0',
    'é',
  );
  const item = fc.array(piece, { minLength: 0, maxLength: 4 }).map((p) => p.join(''));
  const prefix = fc.constantFrom('Invalid IPv4 addresses in list: ', 'List cannot contain duplicates: ', '', 'x');
  const joiner = fc.constantFrom(', ', ' ', ':', '');

  it('is the first item, in list order, that the message names as a whole word (same as one regex per item)', () => {
    fc.assert(
      fc.property(
        fc.array(item, { maxLength: 8 }),
        fc.array(item, { maxLength: 4 }),
        prefix,
        joiner,
        (items, named, pre, j) => {
          const message = pre + named.join(j);
          const listText = JSON.stringify(items);
          const lines = ['k: ' + JSON.stringify(items.slice(0, 3)), ...items.map((x) => `  - ${x}`)];
          const keyAt = { line: 1, column: 1 };
          expect(blamedItemPosition(lines, keyAt, undefined, listText, message)).toEqual(
            oracle(lines, 1, listText, message),
          );
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('list helpers on 10,000 items', () => {
  it('checkDuplicates names each duplicate once, in first-appearance order, with its count', () => {
    const items = hosts();
    expect(() => checkDuplicates(items)).not.toThrow();
    items.push(addr(42), addr(9), addr(42));
    expect(() => checkDuplicates(items)).toThrow(
      new RuleFailure('List cannot contain duplicates: 10.1.0.9 appears 2 times, 10.1.0.42 appears 3 times'),
    );
  });

  it('validateJsonList read twice gives equal lists that the caller may change', () => {
    const text = JSON.stringify(hosts());
    const a = validateJsonList(text);
    a.push('changed');
    const b = validateJsonList(text);
    expect(b).toEqual(hosts());
    expect(() => validateJsonList('[1, "a"]')).toThrow('Items in list must be strings, got invalid values: 1 type int');
  });

  it('validateJsonList reads exactly the list json.loads reads, or refuses what it refuses', () => {
    // Lists of strings in JSON text with Python-only and JSON-only spellings mixed in.
    const text = fc
      .tuple(
        fc.array(fc.oneof(fc.string({ unit: 'binary' }), fc.constantFrom('NaN', '1', 'null')), { maxLength: 5 }),
        fc.constantFrom(', ', ',', ' ,\n', '\t,\r'),
        fc.constantFrom('', ' ', '\n', '\u00a0', '\ufeff'),
        fc.constantFrom('', ',', ']', '"\\ud800"', '"\\u00e9"', '"\\/"', '"\\x"', '"\u0001"'),
      )
      .map(([items, sep, pad, extra]) => {
        const parts = items.map((x) => (x === 'NaN' || x === '1' || x === 'null' ? x : JSON.stringify(x)));
        if (extra !== '') parts.push(extra);
        return `${pad}[${parts.join(sep)}]${pad}`;
      });
    fc.assert(
      fc.property(text, (t) => {
        let expected: unknown;
        try {
          expected = pyJsonLoads(t);
        } catch {
          expected = undefined;
        }
        const isList = Array.isArray(expected) && expected.every((x) => typeof x === 'string');
        if (isList) expect(validateJsonList(t)).toEqual(expected);
        else expect(() => validateJsonList(t)).toThrow(RuleFailure);
      }),
      { numRuns: 3000 },
    );
  });

  it('pyJsonString escapes exactly what json.dumps (ensure_ascii) escapes', () => {
    const ascii = (s: string): string =>
      JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        expect(pyJsonString(s)).toBe(ascii(s));
      }),
      { numRuns: 2000 },
    );
    expect(pyJsonString('10.0.0.1')).toBe('"10.0.0.1"');
    expect(pyJsonString('a"b\\c\u007f')).toBe('"a\\"b\\\\c\\u007f"');
  });
});
