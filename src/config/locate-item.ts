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

/** The items of a JSON list text that the message names as whole words (none when the value is not a list). */
function namedItems(listText: string, message: string): string[] {
  let items: unknown;
  try {
    items = JSON.parse(listText);
  } catch {
    return [];
  }
  if (!Array.isArray(items)) return [];
  return items.filter(
    (x): x is string =>
      typeof x === 'string' && x !== '' && new RegExp(`(^|[\\s,:'"\`])${escapeRe(x)}($|[\\s,'"\`])`).test(message),
  );
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
  const named = namedItems(listText, message);
  if (named.length === 0) return undefined;
  const item = named[0]!;
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
