/**
 * Where in config.yaml a bad list item is: a rule over a list (`Invalid IPv4 addresses in list: 10.0.0.1x`,
 * duplicates) names the item, and the operator wants the item's line, not the key's. The loader keeps positions of
 * keys only, so the item is found in the key's own lines of text, as a whole word.
 */

interface Position {
  line: number;
  column: number;
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** What may stand before a named item in a message; what may stand after it is the same, `:` excepted. */
const BEFORE = /[\s,:'"`]/;
const WORDS = /[^\s,:'"`]+/g;

/**
 * The words of a message that an item can be, as a whole: runs between the separators above, followed by the end or
 * a separator other than `:`. An item without a separator in it is named exactly when it is one of these.
 */
function wordsOf(message: string): Set<string> {
  const out = new Set<string>();
  for (const m of message.matchAll(WORDS)) {
    const after = message[m.index + m[0].length];
    if (after !== ':') out.add(m[0]);
  }
  return out;
}

/**
 * The first item of a JSON list text (in list order) that the message names as a whole word; undefined when none is
 * or the value is not a list. One pass over the list: a config of 10,000 hosts with one bad address costs one set of
 * the message's words, not a regular expression per host.
 */
function firstNamedItem(listText: string, message: string): string | undefined {
  let items: unknown;
  try {
    items = JSON.parse(listText);
  } catch {
    return undefined;
  }
  if (!Array.isArray(items)) return undefined;
  let words: Set<string> | undefined;
  for (const x of items as unknown[]) {
    if (typeof x !== 'string' || x === '') continue;
    if (!BEFORE.test(x)) {
      words ??= wordsOf(message);
      if (words.has(x)) return x;
    } else if (message.includes(x) && new RegExp(`(^|[\\s,:'"\`])${escapeRe(x)}($|[\\s,'"\`])`).test(message)) {
      return x;
    }
  }
  return undefined;
}

/**
 * The position of the item a rule's message blames, searched in the key's lines (`keyAt` up to, not including,
 * `nextKeyLine`). For duplicates, the second occurrence: that is the line to delete. Undefined when no item is named.
 */
export function blamedItemPosition(
  lines: readonly string[],
  keyAt: Position,
  nextKeyLine: number | undefined,
  listText: string,
  message: string,
): Position | undefined {
  const item = firstNamedItem(listText, message);
  if (item === undefined) return undefined;
  const word = new RegExp(`(^|[\\s,\\[:'"-])${escapeRe(item)}($|[\\s,\\]'"#])`, 'g');
  const wanted = /duplicates/.test(message) ? 2 : 1;
  let seen = 0;
  const end = Math.min(nextKeyLine === undefined ? lines.length : nextKeyLine - 1, lines.length);
  for (let i = keyAt.line - 1; i < end; i++) {
    const text = lines[i]!;
    // On the key's own line, look only after the key.
    const start = i === keyAt.line - 1 ? text.indexOf(':', keyAt.column - 1) + 1 : 0;
    word.lastIndex = Math.max(start, 0);
    for (let m = word.exec(text); m !== null; m = word.exec(text)) {
      if (++seen === wanted) return { line: i + 1, column: m.index + m[1]!.length + 1 };
      word.lastIndex = m.index + m[0].length - m[2]!.length;
    }
  }
  return undefined;
}
