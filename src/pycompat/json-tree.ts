/**
 * JSON the renderers re-print byte for byte as Python did: `json.loads` into an order-preserving tree (a JS object
 * would move integer-like keys first, and numbers keep their source text: Python keeps ints exact) and `json.dumps`
 * of that tree with `indent`, `sort_keys` and `separators`. Strings and floats print through json.ts, the one
 * Python json printer.
 */

import { pyStrCompare } from './py.js';
import { pyJsonFloat, pyJsonString } from './json.js';

export type JsonNode =
  | { t: 'obj'; entries: Map<string, JsonNode> }
  | { t: 'arr'; items: JsonNode[] }
  | { t: 'str'; v: string }
  /** Source text kept: Python keeps ints exact and prints floats with repr(). */
  | { t: 'num'; raw: string }
  | { t: 'bool'; v: boolean }
  | { t: 'null' };

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?/y;

export function parseJson(text: string): JsonNode {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++;
  };
  const fail = (what: string): never => {
    throw new Error(`invalid JSON (${what} at offset ${i})`);
  };
  const value = (): JsonNode => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const entries = new Map<string, JsonNode>();
      ws();
      if (text[i] === '}') {
        i++;
        return { t: 'obj', entries };
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a key');
        const k = str();
        ws();
        if (text[i] !== ':') fail("expected ':'");
        i++;
        entries.set(k, value());
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return { t: 'obj', entries };
        } else fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      i++;
      const items: JsonNode[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return { t: 'arr', items };
      }
      for (;;) {
        items.push(value());
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return { t: 'arr', items };
        } else fail("expected ',' or ']'");
      }
    }
    if (c === '"') return { t: 'str', v: str() };
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m) {
      i += m[0].length;
      return { t: 'num', raw: m[0] };
    }
    for (const [lit, node] of [
      ['true', { t: 'bool', v: true }],
      ['false', { t: 'bool', v: false }],
      ['null', { t: 'null' }],
    ] as const) {
      if (text.startsWith(lit, i)) {
        i += lit.length;
        return node;
      }
    }
    return fail('expected a value');
  };
  const str = (): string => {
    // Find the closing quote, then let JSON.parse judge escapes and control characters.
    let j = i + 1;
    while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
    if (j >= text.length) return fail('unterminated string');
    const raw = text.slice(i, j + 1);
    i = j + 1;
    try {
      return JSON.parse(raw) as string;
    } catch {
      return fail('bad string');
    }
  };
  const v = value();
  ws();
  if (i !== text.length) fail('extra data');
  return v;
}

/** A number as json.dumps(json.loads(raw)) prints it: an int exactly, a float through Python's float printer. */
function numText(raw: string): string {
  return /^-?\d+$/.test(raw) ? raw.replace(/^-0$/, '0') : pyJsonFloat(Number(raw));
}

export interface DumpOptions {
  indent?: number;
  sortKeys?: boolean;
  /** [item separator, key separator]; Python's default is [', ', ': '] and [',', ': '] with indent. */
  separators?: [string, string];
}

/** Python's `json.dumps(value, indent=…, sort_keys=…, separators=…)` of a parsed tree. */
export function pyJsonDumpTree(node: JsonNode, opts: DumpOptions = {}): string {
  const indent = opts.indent;
  const [itemSep, keySep] = opts.separators ?? (indent === undefined ? [', ', ': '] : [',', ': ']);
  const rec = (n: JsonNode, level: number): string => {
    switch (n.t) {
      case 'str':
        return pyJsonString(n.v);
      case 'num':
        return numText(n.raw);
      case 'bool':
        return n.v ? 'true' : 'false';
      case 'null':
        return 'null';
      case 'arr': {
        if (n.items.length === 0) return '[]';
        const parts = n.items.map((c) => rec(c, level + 1));
        return wrap('[', ']', parts, level);
      }
      case 'obj': {
        if (n.entries.size === 0) return '{}';
        let keys = [...n.entries.keys()];
        if (opts.sortKeys) keys = keys.sort(pyStrCompare);
        const parts = keys.map((k) => `${pyJsonString(k)}${keySep}${rec(n.entries.get(k)!, level + 1)}`);
        return wrap('{', '}', parts, level);
      }
    }
  };
  const wrap = (open: string, close: string, parts: string[], level: number): string => {
    if (indent === undefined) return `${open}${parts.join(itemSep)}${close}`;
    const inner = ' '.repeat(indent * (level + 1));
    const outer = ' '.repeat(indent * level);
    return `${open}\n${inner}${parts.join(`${itemSep}\n${inner}`)}\n${outer}${close}`;
  };
  return rec(node, 0);
}
