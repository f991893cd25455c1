/**
 * A static check for the one bash difference that bites our node scripts: before bash 4.4 (CentOS/RHEL 7 ship 4.2),
 * under `set -u` an array with no elements counts as unbound, so `"${a[@]}"`, `${a[*]}` and every operator that
 * works on the value (`${a[@]:1}`, `${a[@]/x/y}`, `${a[@]#p}`, `${a[@]%p}`, `${a[@]^^}`, `${a[@],,}`) stop the script
 * with "a[@]: unbound variable". What 4.2 accepts: the length `${#a[@]}`, the keys `${!a[@]}`, and the operators
 * that test for unset (`-`, `+`, `=`, `?`, with or without `:`), hence the idiom `${a[@]+"${a[@]}"}`.
 *
 * No bash 4.2 runs here, so this reads the text. An expansion is reported unless it is guarded (inside
 * `${a[@]+…}`/`${a[@]:+…}` of the same array, or itself a testing operator) or the array can never be empty: every
 * plain assignment to it (`a=(…)`, also after local/declare/readonly/typeset) lists at least one word that always
 * yields a field (a literal, or anything quoted but a quoted array or "$@"), and nothing else sets it (no `read -a`,
 * no mapfile/readarray, no unset, no declaration without a value). `a+=(…)` only adds and is not counted. The check
 * is deliberately blind to control flow: "empty, but only used after a length test" is reported too, because the
 * next edit can move the use.
 */

export interface ArrayFinding {
  /** 1-based line in the scanned text. */
  line: number;
  name: string;
  /** The expansion as written, up to its operator: `"${a[@]}"`, `${a[*]}`, `${a[@]:`, `${a[@]/` ... */
  form: string;
}

export interface ArrayScan {
  findings: ArrayFinding[];
  /** Every `${name[@]…}`/`${name[*]…}` seen (guarded or not), so that a scan of nothing cannot pass unnoticed. */
  expansions: number;
  /** The arrays judged never empty. */
  neverEmpty: Set<string>;
}

/** Comment lines become empty lines (line numbers stay), so that prose about `${a[@]}` is not code. */
function stripCommentLines(text: string): string {
  return text
    .split('\n')
    .map((l) => (/^\s*#/.test(l) ? '' : l))
    .join('\n');
}

/** The index just past the `)` closing the list that starts at `open` (the `(`), skipping quotes and `$(…)`. */
function listEnd(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') {
      i++;
    } else if (c === "'") {
      const j = text.indexOf("'", i + 1);
      i = j < 0 ? text.length : j;
    } else if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (c === '(') {
      depth++;
    } else if (c === ')') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return text.length;
}

/** The words of an array literal's body (between the parentheses), split on unquoted blanks. */
function listWords(body: string): string[] {
  const words: string[] = [];
  let cur = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < body.length && body[j] !== c) j += c === '"' && body[j] === '\\' ? 2 : 1;
      cur += body.slice(i, j + 1);
      i = j;
    } else if (/\s/.test(c)) {
      if (cur !== '') words.push(cur);
      cur = '';
    } else if (c === '#' && cur === '') {
      // A comment inside a multi-line literal runs to the end of its line.
      while (i < body.length && body[i] !== '\n') i++;
    } else {
      cur += c;
    }
  }
  if (cur !== '') words.push(cur);
  return words;
}

/** Whether a word of an array literal always yields at least one element. */
function alwaysAField(word: string): boolean {
  // A (quoted) array or "$@" may expand to no words at all.
  if (/\[[@*]\]|\$\{?[@*]/.test(word)) return false;
  if (/["']/.test(word)) return true;
  // Unquoted: an expansion may split to nothing, a glob may match nothing (nullglob), a placeholder may render empty.
  return !/[$*?[]|@@/.test(word);
}

const IDENT = /^[A-Za-z_]\w*$/;

/** The arrays that no path through the text can leave empty (or unset). */
export function neverEmptyArrays(code: string): Set<string> {
  const assigned = new Set<string>();
  const mayBeEmpty = new Set<string>();
  for (const m of code.matchAll(/(?<![\w$[{])([A-Za-z_]\w*)(\+?)=\(/g)) {
    if (m[2] === '+') continue;
    const name = m[1]!;
    const open = m.index + m[0].length - 1;
    const body = code.slice(open + 1, listEnd(code, open) - 1);
    assigned.add(name);
    if (!listWords(body).some(alwaysAField)) mayBeEmpty.add(name);
  }
  // read -a NAME (any options before it).
  for (const m of code.matchAll(/\bread\b[^\n;|&]*?\s-[A-Za-z]*a\s+([A-Za-z_]\w*)/g)) mayBeEmpty.add(m[1]!);
  // mapfile/readarray [options] [NAME]: the first word that is not an option or an option's argument.
  for (const m of code.matchAll(/\b(?:mapfile|readarray)\b([^\n;|&<>]*)/g)) {
    const words = m[1]!.trim().split(/\s+/).filter(Boolean);
    let name = 'MAPFILE';
    for (let i = 0; i < words.length; i++) {
      const w = words[i]!;
      if (/^-[dnOsuCc]$/.test(w)) i++;
      else if (w.startsWith('-')) continue;
      else if (IDENT.test(w)) {
        name = w;
        break;
      }
    }
    mayBeEmpty.add(name);
  }
  // unset NAME or NAME[i], and declarations without a value (local -a a; declare a; local x a=() …).
  for (const m of code.matchAll(/\b(unset|local|declare|typeset|readonly)\b([^\n;|&]*)/g)) {
    // The elements of `local a=(x y)` are not names being declared.
    for (const w of listWords(m[2]!.replace(/=\([^)]*\)?/g, '='))) {
      if (w.startsWith('-')) continue;
      const bare = w.replace(/^['"]|['"]$/g, '').replace(/\[.*$/, '');
      if (IDENT.test(bare) && (m[1] === 'unset' || !w.includes('='))) mayBeEmpty.add(bare);
    }
  }
  return new Set([...assigned].filter((n) => !mayBeEmpty.has(n)));
}

/** The index of the `}` that closes the `${` whose body starts at `from`. */
function braceEnd(code: string, from: number): number {
  let depth = 1;
  for (let i = from; i < code.length; i++) {
    if (code[i] === '$' && code[i + 1] === '{') {
      depth++;
      i++;
    } else if (code[i] === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return code.length;
}

/** Every expansion of a possibly empty array that bash 4.2 rejects under `set -u`. */
export function scanArrayExpansions(script: string): ArrayScan {
  const code = stripCommentLines(script);
  const neverEmpty = neverEmptyArrays(code);
  const re = /\$\{([A-Za-z_]\w*)\[([@*])\]/g;
  const guards: { name: string; start: number; end: number }[] = [];
  const candidates: { index: number; name: string; form: string }[] = [];
  let expansions = 0;
  for (const m of code.matchAll(re)) {
    expansions++;
    const name = m[1]!;
    const after = m.index + m[0].length;
    const op = code[after] ?? '';
    const op2 = code[after + 1] ?? '';
    const testing = /[-+=?]/.test(op) || (op === ':' && /[-+=?]/.test(op2));
    if (testing) {
      // ${a[@]+WORD} / ${a[@]:+WORD}: WORD is expanded only when a has elements.
      if (op === '+' || op2 === '+') guards.push({ name, start: after, end: braceEnd(code, after) });
      continue;
    }
    const quoted = op === '}' && code[m.index - 1] === '"' && code[after + 1] === '"';
    const form = op === '}' ? (quoted ? `"${m[0]}}"` : `${m[0]}}`) : `${m[0]}${op}`;
    candidates.push({ index: m.index, name, form });
  }
  const findings: ArrayFinding[] = [];
  for (const c of candidates) {
    if (neverEmpty.has(c.name)) continue;
    if (guards.some((g) => g.name === c.name && c.index > g.start && c.index < g.end)) continue;
    findings.push({ line: code.slice(0, c.index).split('\n').length, name: c.name, form: c.form });
  }
  return { findings, expansions, neverEmpty };
}
