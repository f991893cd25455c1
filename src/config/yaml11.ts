/**
 * Parse config.yaml the way DC/OS 1.11 did (PyYAML, YAML 1.1 implicit types) while keeping where every
 * top-level key sits in the file. The `yaml` package parses (failsafe schema: every scalar stays text, with
 * its style); the plain scalars are then typed here with PyYAML's own YAML 1.1 resolution rules, so that
 * unquoted `yes`/`off` are booleans, `1e5` stays a string, `017` is octal, `1:20` is sexagesimal, and so on.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, Scalar, visit } from 'yaml';
import type { Node } from 'yaml';
import { PyDict, PyFloat, PyTimestamp, type PyValue } from '../pycompat/py.js';
import { constructTagged, resolvePlain, YamlShapeError } from './yaml11-resolve.js';

export interface LoadedKey {
  key: string;
  value: PyValue;
  line: number;
  column: number;
}

export type LoadResult =
  | { ok: true; keys: LoadedKey[]; problems: Array<{ key: string; message: string; line: number; column: number }> }
  | { ok: false; message: string; line?: number; column?: number };

export { resolvePlain };

const MAX_DEPTH = 500;

/**
 * How many values aliases (`*a`, `<<: *a`) may expand to in one document. Every alias is expanded into a full copy,
 * so nested aliases grow exponentially: a 1 KB "billion laughs" file would take minutes and gigabytes. A real
 * config.yaml reuses a handful of small values; this bound is far above that and keeps the worst case under a
 * second. (The `yaml` package guards its own toJS() the same way with `maxAliasCount`; this layer builds the values
 * itself, so it counts here.)
 */
export const MAX_ALIAS_EXPANSION = 10_000;

/** Counts the values produced through aliases; shared by the whole document. */
interface AliasBudget {
  used: number;
}

class AliasBombError extends YamlShapeError {}

function convert(
  node: unknown,
  doc: ReturnType<typeof parseDocument>,
  depth: number,
  seen: Set<unknown>,
  budget: AliasBudget,
  inAlias = false,
): PyValue {
  if (depth > MAX_DEPTH) throw new YamlShapeError(`nesting deeper than ${MAX_DEPTH} levels`);
  if (inAlias && ++budget.used > MAX_ALIAS_EXPANSION) {
    throw new AliasBombError(
      `aliases expand to more than ${MAX_ALIAS_EXPANSION} values (nested aliases that multiply, an "alias bomb"); write the values out instead`,
    );
  }
  if (node === null || node === undefined) return null;
  if (isAlias(node)) {
    const target = node.resolve(doc);
    if (target === undefined) throw new YamlShapeError(`unknown alias *${node.source}`);
    if (seen.has(target)) throw new YamlShapeError('recursive alias (a value that contains itself)');
    return convert(target, doc, depth + 1, seen, budget, true);
  }
  if (isScalar(node)) return convertScalar(node);
  if (isSeq(node)) {
    seen.add(node);
    const out = node.items.map((item) => convert(item, doc, depth + 1, seen, budget, inAlias));
    seen.delete(node);
    return out;
  }
  if (isMap(node)) {
    seen.add(node);
    const dict = new PyDict();
    const own: Array<[PyValue, PyValue]> = [];
    const merged: Array<[PyValue, PyValue]> = [];
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const keyNode = pair.key as Node | null;
      if (isScalar(keyNode) && keyNode.type === 'PLAIN' && keyNode.source === '<<' && !keyNode.tag) {
        for (const [k, v] of mergeSources(pair.value, doc, depth, seen, budget, inAlias)) merged.push([k, v]);
        continue;
      }
      own.push([
        convert(keyNode, doc, depth + 1, seen, budget, inAlias),
        convert(pair.value, doc, depth + 1, seen, budget, inAlias),
      ]);
    }
    // PyYAML puts merged pairs first, so the mapping's own keys win.
    for (const [k, v] of [...merged, ...own]) {
      if (Array.isArray(k) || k instanceof PyDict)
        throw new YamlShapeError('a mapping key cannot be a list or a mapping');
      dict.set(k, v);
    }
    seen.delete(node);
    return dict;
  }
  throw new YamlShapeError('unsupported YAML node');
}

function mergeSources(
  value: unknown,
  doc: ReturnType<typeof parseDocument>,
  depth: number,
  seen: Set<unknown>,
  budget: AliasBudget,
  inAlias: boolean,
): Array<[PyValue, PyValue]> {
  const v = convert(value, doc, depth + 1, seen, budget, inAlias);
  const dicts = Array.isArray(v) ? v : [v];
  const out: Array<[PyValue, PyValue]> = [];
  // Later mappings in a merge list lose to earlier ones.
  for (const d of [...dicts].reverse()) {
    if (!(d instanceof PyDict)) throw new YamlShapeError('a merge key (<<) must name a mapping or a list of mappings');
    out.push(...d.entries);
  }
  return out;
}

function convertScalar(node: Scalar): PyValue {
  const text = typeof node.value === 'string' ? node.value : String(node.value ?? '');
  const tag = node.tag;
  if (tag && tag !== '!') {
    return constructTagged(tag, text);
  }
  // PyYAML resolves a plain `=` to the `value` tag, which it has no constructor for.
  if (node.type === 'PLAIN' && tag !== '!' && text === '=')
    throw new YamlShapeError("could not determine a constructor for the tag 'tag:yaml.org,2002:value'");
  if (node.type === 'PLAIN' && tag !== '!') return resolvePlain(text);
  return text;
}

/** Characters PyYAML's reader refuses anywhere in a document (it reads YAML's printable set only). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const NON_PRINTABLE = /[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/** Parse config.yaml text. Never throws: every problem is returned as a message. */
export function loadConfigText(text: string): LoadResult {
  const bad = NON_PRINTABLE.exec(text);
  if (bad) {
    const before = text.slice(0, bad.index);
    const line = before.split('\n').length;
    const column = bad.index - before.lastIndexOf('\n');
    const code = bad[0].codePointAt(0)!.toString(16).padStart(4, '0');
    return {
      ok: false,
      message: `Invalid YAML: unacceptable character #x${code}: special characters are not allowed`,
      line,
      column,
    };
  }
  const lineCounter = new LineCounter();
  let doc: ReturnType<typeof parseDocument>;
  try {
    doc = parseDocument(text, {
      version: '1.1',
      schema: 'failsafe',
      lineCounter,
      uniqueKeys: false,
      prettyErrors: false,
      keepSourceTokens: false,
    });
  } catch (err) {
    return { ok: false, message: `Invalid YAML: ${parserText(err instanceof Error ? err.message : String(err))}` };
  }
  // PyYAML takes `#` right after a closing quote or bracket as a comment; `yaml` composes the same document
  // but complains, so that complaint alone is not an error here.
  const firstError = doc.errors.find(
    (e) => !e.message.startsWith('Comments must be separated from other tokens by white space'),
  );
  if (firstError) {
    const pos = firstError.linePos?.[0] ?? lineCounter.linePos(firstError.pos[0]);
    return {
      ok: false,
      message: `Invalid YAML: ${parserText(firstError.message.split('\n')[0]!)}`,
      line: pos?.line,
      column: pos?.col,
    };
  }
  const tagWarning = doc.warnings.find((w) => /tag/i.test(w.message));
  if (tagWarning) {
    const pos = tagWarning.linePos?.[0] ?? lineCounter.linePos(tagWarning.pos[0]);
    return {
      ok: false,
      message: `Invalid YAML: ${tagWarning.message.split('\n')[0]}`,
      line: pos?.line,
      column: pos?.col,
    };
  }
  const tab = strayTab(text, doc);
  if (tab !== undefined) {
    const pos = lineCounter.linePos(tab);
    return {
      ok: false,
      message: "Invalid YAML: found character '\\t' that cannot start any token",
      line: pos.line,
      column: pos.col,
    };
  }
  const root = doc.contents;
  const isEmptyScalar =
    root === null || (isScalar(root) && root.type === 'PLAIN' && (root.source ?? '') === '' && !root.tag);
  if (isEmptyScalar) {
    return {
      ok: false,
      message:
        'The file is empty; it must be a mapping of configuration keys to values (for example `cluster_name: my-cluster`)',
    };
  }
  if (!isMap(root)) {
    const pos = root.range ? lineCounter.linePos(root.range[0]) : undefined;
    const kind = isSeq(root) ? 'a list' : isAlias(root) ? 'an alias' : 'a single value';
    return {
      ok: false,
      message: `The top level must be a mapping of configuration keys to values, not ${kind}`,
      line: pos?.line,
      column: pos?.col,
    };
  }
  const keys: LoadedKey[] = [];
  const problems: Array<{ key: string; message: string; line: number; column: number }> = [];
  const index = new Map<string, number>();
  const seen = new Set<unknown>([root]);
  const budget: AliasBudget = { used: 0 };
  const lines = new Map<string, Array<[number, number]>>();
  const add = (key: string, value: PyValue, line: number, column: number, own = true): void => {
    const at = index.get(key);
    if (own) {
      const where = lines.get(key);
      if (where) where.push([line, column]);
      else lines.set(key, [[line, column]]);
    }
    // A repeated key: PyYAML keeps the last value; report the position of the last one too.
    if (at !== undefined) keys[at] = { key, value, line, column };
    else {
      index.set(key, keys.length);
      keys.push({ key, value, line, column });
    }
  };
  for (const pair of root.items) {
    const keyNode = pair.key as Node | null;
    const start = keyNode && 'range' in keyNode && keyNode.range ? keyNode.range[0] : 0;
    const pos = lineCounter.linePos(start);
    let keyValue: PyValue;
    try {
      if (isScalar(keyNode) && keyNode.type === 'PLAIN' && keyNode.source === '<<' && !keyNode.tag) {
        for (const [k, v] of mergeSources(pair.value, doc, 0, seen, budget, false)) {
          if (typeof k === 'string') {
            if (!index.has(k)) add(k, v, pos.line, pos.col, false);
          } else problems.push({ key: String(k), message: 'Keys must be strings', line: pos.line, column: pos.col });
        }
        continue;
      }
      keyValue = convert(keyNode, doc, 0, seen, budget);
    } catch (err) {
      problems.push({
        key: keyText(keyNode),
        message: `Invalid YAML: ${(err as Error).message}`,
        line: pos.line,
        column: pos.col,
      });
      continue;
    }
    if (typeof keyValue !== 'string') {
      problems.push({
        key: keyText(keyNode),
        message: `Keys must be strings, but YAML reads this key as ${describeNonString(keyValue)}; quote it`,
        line: pos.line,
        column: pos.col,
      });
      continue;
    }
    try {
      add(keyValue, convert(pair.value, doc, 1, seen, budget), pos.line, pos.col);
    } catch (err) {
      if (!(err instanceof YamlShapeError)) throw err;
      problems.push({ key: keyValue, message: `Invalid YAML: ${err.message}`, line: pos.line, column: pos.col });
    }
  }
  problems.push(...duplicateProblems(lines));
  return { ok: true, keys, problems };
}

/**
 * A key written twice: PyYAML (and so 1.11) silently kept the last value, even the one the operator did not
 * mean. Here it is an error, located at every line that sets the key, whatever the rule set or --strict.
 */
function duplicateProblems(
  lines: Map<string, Array<[number, number]>>,
): Array<{ key: string; message: string; line: number; column: number }> {
  const out: Array<{ key: string; message: string; line: number; column: number }> = [];
  for (const [key, where] of lines) {
    if (where.length < 2) continue;
    const all = where.map(([l]) => l).join(', ');
    const last = where[where.length - 1]![0];
    where.forEach(([line, column], i) => {
      const message =
        i === 0
          ? `Duplicate key: set ${where.length} times, at lines ${all}; DC/OS 1.11 silently kept the last one (line ${last}). Keep one`
          : `Duplicate key: already set at line ${where[0]![0]}; keep one of lines ${all}`;
      out.push({ key, message, line, column });
    });
  }
  return out;
}

/**
 * The parser's own words, except where they are JavaScript's: lists or maps nested hundreds of levels deep exhaust
 * its stack, and "Maximum call stack size exceeded" says nothing to an operator (PyYAML, and so 1.11, hit its
 * recursion limit there too).
 */
function parserText(message: string): string {
  return /Maximum call stack size exceeded/i.test(message)
    ? 'lists or maps are nested too deeply for the parser (no DC/OS key takes more than a few levels); flatten the value or remove it'
    : message;
}

/**
 * PyYAML's scanner only skips spaces between tokens, so a tab anywhere but inside a quoted or block scalar or a
 * comment is an error there ("found character '\t' that cannot start any token"); the `yaml` package allows more.
 * Returns the offset of the first such tab.
 */
function strayTab(text: string, doc: ReturnType<typeof parseDocument>): number | undefined {
  if (!text.includes('\t')) return undefined;
  const allowed: Array<[number, number]> = [];
  visit(doc, {
    Scalar(_key, node) {
      if (node.type !== 'PLAIN' && node.range) allowed.push([node.range[0], node.range[1]]);
    },
  });
  const inAllowed = (i: number): boolean => allowed.some(([a, b]) => i >= a && i < b);
  for (let i = text.indexOf('\t'); i !== -1; i = text.indexOf('\t', i + 1)) {
    if (inAllowed(i)) continue;
    const lineStart = text.lastIndexOf('\n', i - 1) + 1;
    let comment = false;
    for (let j = lineStart; j < i; j++) {
      if (text[j] === '#' && !inAllowed(j) && (j === lineStart || text[j - 1] === ' ' || text[j - 1] === '\t')) {
        comment = true;
        break;
      }
    }
    if (!comment) return i;
  }
  return undefined;
}

function keyText(node: unknown): string {
  if (isScalar(node)) return String(node.source ?? node.value ?? '');
  return '?';
}

function describeNonString(v: PyValue): string {
  if (typeof v === 'boolean') return `the boolean ${v}`;
  if (typeof v === 'bigint') return `the integer ${v}`;
  if (v === null) return 'null';
  if (v instanceof PyFloat) return `the float ${v.value}`;
  if (v instanceof PyTimestamp) return 'a date';
  return 'a collection';
}
