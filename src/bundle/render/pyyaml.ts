/**
 * The part of PyYAML's emitter whose output DC/OS 1.11 stored in node files and in expanded.config.json:
 * - `yaml.dump(str)`: how `ip_detect_contents`, `check_config_contents`, `rexray_config_contents` were kept;
 * - `yaml.dump(dict_of_str, default_style='|')`: user.config.yaml;
 * - `yaml.dump(json_value, default_flow_style=False)`: rexray.conf.
 * Scalar style choice, quoting, escaping and folding at 80 columns follow PyYAML's rules, so a value
 * renders exactly as the original wrote it (and loads back to the same string).
 */

import { type JsonNode, numText, pyCompare } from './pyjson.js';

const BREAKS = '\n\u0085\u2028\u2029';
const WS_OR_END = '\0 \t\r\n\u0085\u2028\u2029';
const BEST_WIDTH = 80;
const BEST_INDENT = 2;

interface Analysis {
  empty: boolean;
  multiline: boolean;
  allowFlowPlain: boolean;
  allowBlockPlain: boolean;
  allowSingleQuoted: boolean;
  allowBlock: boolean;
}

function isPrintable(ch: string): boolean {
  const c = ch.codePointAt(0)!;
  return (
    ch === '\n' ||
    (c >= 0x20 && c <= 0x7e) ||
    c === 0x85 ||
    (c >= 0xa0 && c <= 0xd7ff) ||
    (c >= 0xe000 && c <= 0xfffd && c !== 0xfeff) ||
    (c >= 0x10000 && c < 0x10ffff)
  );
}

/** Which styles may carry this text (PyYAML's analyze_scalar with allow_unicode off). */
export function analyzeScalar(text: string): Analysis {
  if (text === '') {
    return { empty: true, multiline: false, allowFlowPlain: false, allowBlockPlain: true, allowSingleQuoted: true, allowBlock: false };
  }
  const s = Array.from(text);
  let blockIndicators = false;
  let flowIndicators = false;
  let lineBreaks = false;
  let special = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  if (text.startsWith('---') || text.startsWith('...')) {
    blockIndicators = true;
    flowIndicators = true;
  }
  let precededByWs = true;
  let followedByWs = s.length === 1 || WS_OR_END.includes(s[1]!);
  let previousSpace = false;
  let previousBreak = false;
  for (let index = 0; index < s.length; ) {
    const ch = s[index]!;
    if (index === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) {
        flowIndicators = true;
        blockIndicators = true;
      }
      if (ch === '?' || ch === ':') {
        flowIndicators = true;
        if (followedByWs) blockIndicators = true;
      }
      if (ch === '-' && followedByWs) {
        flowIndicators = true;
        blockIndicators = true;
      }
    } else {
      if (',?[]{}'.includes(ch)) flowIndicators = true;
      if (ch === ':') {
        flowIndicators = true;
        if (followedByWs) blockIndicators = true;
      }
      if (ch === '#' && precededByWs) {
        flowIndicators = true;
        blockIndicators = true;
      }
    }
    if (BREAKS.includes(ch)) lineBreaks = true;
    // Without allow_unicode, every non-ASCII character is "special" too.
    if (!(ch === '\n' || (ch >= ' ' && ch <= '~'))) special = true;
    else if (!isPrintable(ch)) special = true;
    if (ch === ' ') {
      if (index === 0) leadingSpace = true;
      if (index === s.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (BREAKS.includes(ch)) {
      if (index === 0) leadingBreak = true;
      if (index === s.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    index++;
    precededByWs = WS_OR_END.includes(ch);
    followedByWs = index + 1 >= s.length || WS_OR_END.includes(s[index + 1]!);
  }
  let allowFlowPlain = true;
  let allowBlockPlain = true;
  let allowSingleQuoted = true;
  let allowBlock = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) allowFlowPlain = allowBlockPlain = false;
  if (trailingSpace) allowBlock = false;
  if (breakSpace) allowFlowPlain = allowBlockPlain = allowSingleQuoted = false;
  if (spaceBreak || special) allowFlowPlain = allowBlockPlain = allowSingleQuoted = allowBlock = false;
  if (lineBreaks) allowFlowPlain = allowBlockPlain = false;
  if (flowIndicators) allowFlowPlain = false;
  if (blockIndicators) allowBlockPlain = false;
  return { empty: false, multiline: lineBreaks, allowFlowPlain, allowBlockPlain, allowSingleQuoted, allowBlock };
}

// PyYAML's implicit resolvers (YAML 1.1): a plain scalar matching one of these would not load as a str.
const IMPLICIT: RegExp[] = [
  /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/,
  /^(?:<<)$/,
  /^(?:~|null|Null|NULL|)$/,
  /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/,
  /^(?:=)$/,
];

function resolvesToStr(text: string): boolean {
  return !IMPLICIT.some((re) => re.test(text));
}

const ESCAPES: Record<string, string> = {
  '\0': '0',
  '\x07': 'a',
  '\x08': 'b',
  '\x09': 't',
  '\x0A': 'n',
  '\x0B': 'v',
  '\x0C': 'f',
  '\x0D': 'r',
  '\x1B': 'e',
  '"': '"',
  '\\': '\\',
  '\u0085': 'N',
  '\u00A0': '_',
  '\u2028': 'L',
  '\u2029': 'P',
};

type Style = 'plain' | 'single' | 'double' | 'literal';

/** Emitter state and the scalar writers (column tracking drives folding). */
class Emitter {
  out = '';
  column = 0;
  whitespace = true;
  indention = true;
  openEnded = false;
  indent = 0;

  write(data: string): void {
    this.out += data;
    this.column += Array.from(data).length;
  }

  /** A line break: `\n`, or the Unicode break the text itself carried (NEL, LS, PS). */
  lineBreak(br = '\n'): void {
    this.whitespace = true;
    this.indention = true;
    this.out += br;
    this.column = 0;
  }

  writeIndent(): void {
    if (!this.indention || this.column > this.indent || (this.column === this.indent && !this.whitespace)) this.lineBreak();
    if (this.column < this.indent) {
      this.whitespace = true;
      this.out += ' '.repeat(this.indent - this.column);
      this.column = this.indent;
    }
  }

  indicator(ind: string, needWhitespace: boolean, whitespace = false, indention = false): void {
    const data = this.whitespace || !needWhitespace ? ind : ` ${ind}`;
    this.whitespace = whitespace;
    this.indention = this.indention && indention;
    this.openEnded = false;
    this.write(data);
  }

  plain(text: string, split: boolean, root: boolean): void {
    if (root) this.openEnded = true;
    if (text === '') return;
    if (!this.whitespace) this.write(' ');
    this.whitespace = false;
    this.indention = false;
    const s = Array.from(text);
    let spaces = false;
    let breaks = false;
    let start = 0;
    for (let end = 0; end <= s.length; end++) {
      const ch = end < s.length ? s[end]! : null;
      if (spaces) {
        if (ch !== ' ') {
          if (start + 1 === end && this.column > BEST_WIDTH && split) {
            this.writeIndent();
            this.whitespace = false;
            this.indention = false;
          } else this.write(s.slice(start, end).join(''));
          start = end;
        }
      } else if (breaks) {
        if (ch === null || !BREAKS.includes(ch)) {
          if (s[start] === '\n') this.lineBreak();
          for (const br of s.slice(start, end)) this.lineBreak(br);
          this.writeIndent();
          this.whitespace = false;
          this.indention = false;
          start = end;
        }
      } else if (ch === null || ` ${BREAKS}`.includes(ch)) {
        this.write(s.slice(start, end).join(''));
        start = end;
      }
      if (ch !== null) {
        spaces = ch === ' ';
        breaks = BREAKS.includes(ch);
      }
    }
  }

  singleQuoted(text: string, split: boolean): void {
    this.indicator("'", true);
    const s = Array.from(text);
    let spaces = false;
    let breaks = false;
    let start = 0;
    for (let end = 0; end <= s.length; end++) {
      const ch = end < s.length ? s[end]! : null;
      if (spaces) {
        if (ch === null || ch !== ' ') {
          if (start + 1 === end && this.column > BEST_WIDTH && split && start !== 0 && end !== s.length) this.writeIndent();
          else this.write(s.slice(start, end).join(''));
          start = end;
        }
      } else if (breaks) {
        if (ch === null || !BREAKS.includes(ch)) {
          if (s[start] === '\n') this.lineBreak();
          for (const br of s.slice(start, end)) this.lineBreak(br);
          this.writeIndent();
          start = end;
        }
      } else if (ch === null || ` ${BREAKS}`.includes(ch) || ch === "'") {
        if (start < end) {
          this.write(s.slice(start, end).join(''));
          start = end;
        }
      }
      if (ch === "'") {
        this.write("''");
        start = end + 1;
      }
      if (ch !== null) {
        spaces = ch === ' ';
        breaks = BREAKS.includes(ch);
      }
    }
    this.indicator("'", false);
  }

  doubleQuoted(text: string, split: boolean): void {
    this.indicator('"', true);
    const s = Array.from(text);
    let start = 0;
    for (let end = 0; end <= s.length; end++) {
      const ch = end < s.length ? s[end]! : null;
      if (ch === null || '"\\\u0085\u2028\u2029\uFEFF'.includes(ch) || !(ch >= ' ' && ch <= '~')) {
        if (start < end) {
          this.write(s.slice(start, end).join(''));
          start = end;
        }
        if (ch !== null) {
          const code = ch.codePointAt(0)!;
          let data: string;
          if (ESCAPES[ch] !== undefined) data = `\\${ESCAPES[ch]}`;
          else if (code <= 0xff) data = `\\x${code.toString(16).toUpperCase().padStart(2, '0')}`;
          else if (code <= 0xffff) data = `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
          else data = `\\U${code.toString(16).toUpperCase().padStart(8, '0')}`;
          this.write(data);
          start = end + 1;
        }
      }
      if (end > 0 && end < s.length - 1 && (ch === ' ' || start >= end) && this.column + (end - start) > BEST_WIDTH && split) {
        let data = `${s.slice(start, end).join('')}\\`;
        if (start < end) start = end;
        this.write(data);
        this.writeIndent();
        this.whitespace = false;
        this.indention = false;
        if (s[start] === ' ') {
          data = '\\';
          this.write(data);
        }
      }
    }
    this.indicator('"', false);
  }

  literal(text: string): void {
    let hints = '';
    const s = Array.from(text);
    if (s.length > 0) {
      if (` ${BREAKS}`.includes(s[0]!)) hints += String(BEST_INDENT);
      if (!BREAKS.includes(s[s.length - 1]!)) hints += '-';
      else if (s.length === 1 || BREAKS.includes(s[s.length - 2]!)) hints += '+';
    }
    this.indicator(`|${hints}`, true);
    if (hints.endsWith('+')) this.openEnded = true;
    this.lineBreak();
    let breaks = true;
    let start = 0;
    for (let end = 0; end <= s.length; end++) {
      const ch = end < s.length ? s[end]! : null;
      if (breaks) {
        if (ch === null || !BREAKS.includes(ch)) {
          for (const br of s.slice(start, end)) this.lineBreak(br);
          if (ch !== null) this.writeIndent();
          start = end;
        }
      } else if (ch === null || BREAKS.includes(ch)) {
        this.write(s.slice(start, end).join(''));
        if (ch === null) this.lineBreak();
        start = end;
      }
      if (ch !== null) breaks = BREAKS.includes(ch);
    }
  }

  /** PyYAML's choose_scalar_style followed by the matching writer. */
  scalar(text: string, opts: { requested?: 'literal'; implicit: boolean; simpleKey: boolean; root: boolean }): void {
    const a = analyzeScalar(text);
    let style: Style = 'double';
    if (opts.requested === undefined && opts.implicit && !(opts.simpleKey && (a.empty || a.multiline)) && a.allowBlockPlain) {
      style = 'plain';
    } else if (opts.requested === 'literal' && !opts.simpleKey && a.allowBlock) {
      style = 'literal';
    } else if (opts.requested === undefined && a.allowSingleQuoted && !(opts.simpleKey && a.multiline)) {
      style = 'single';
    }
    const split = !opts.simpleKey;
    if (style === 'plain') this.plain(text, split, opts.root);
    else if (style === 'single') this.singleQuoted(text, split);
    else if (style === 'literal') this.literal(text);
    else this.doubleQuoted(text, split);
  }

  /**
   * One key of a block mapping whose items sit at `indent`. Short single-line keys are "simple"
   * (`key: value`); others take PyYAML's explicit form (`? key` / `: value`).
   */
  mappingKey(key: string, indent: number, requested: 'literal' | undefined): void {
    this.indent = indent;
    this.writeIndent();
    const a = analyzeScalar(key);
    const implicit = requested === undefined && resolvesToStr(key);
    // PyYAML counts the prepared tag (`!!str`, 5 characters) into the 128-character limit.
    if (Array.from(key).length + 5 < 128 && !a.empty && !a.multiline) {
      this.indent = indent + BEST_INDENT;
      this.scalar(key, { requested, implicit, simpleKey: true, root: false });
      this.indent = indent;
      this.indicator(':', false);
    } else {
      this.indicator('?', true, false, true);
      this.indent = indent + BEST_INDENT;
      this.scalar(key, { requested, implicit, simpleKey: false, root: false });
      this.indent = indent;
      this.writeIndent();
      this.indicator(':', true, false, true);
    }
  }

  /** Document end: a final line break, and `...` after an open-ended root scalar. */
  finish(): string {
    this.indent = 0;
    this.writeIndent();
    if (this.openEnded) {
      this.indicator('...', true);
      this.writeIndent();
    }
    return this.out;
  }
}

/** `yaml.dump(text)`: one string as a whole document. */
export function dumpString(text: string): string {
  const e = new Emitter();
  e.indent = BEST_INDENT;
  e.scalar(text, { implicit: resolvesToStr(text), simpleKey: false, root: true });
  return e.finish();
}

/**
 * `yaml.dump(mapping, default_style='|', default_flow_style=False, indent=2)` of string values, keys
 * sorted: every key double-quoted (a key cannot be a block scalar), each value a literal block when it can
 * be one, else double-quoted.
 */
export function dumpLiteralMapping(map: Readonly<Record<string, string>>): string {
  const keys = Object.keys(map).sort(pyCompare);
  if (keys.length === 0) return '{}\n';
  const e = new Emitter();
  for (const k of keys) {
    e.mappingKey(k, 0, 'literal');
    e.indent = BEST_INDENT;
    e.scalar(map[k]!, { requested: 'literal', implicit: false, simpleKey: false, root: false });
  }
  return e.finish();
}

/** `yaml.dump(value, default_flow_style=False)` of a JSON value: block collections, sorted keys. */
export function dumpBlock(node: JsonNode): string {
  const e = new Emitter();
  const scalarNode = (n: JsonNode, simpleKey: boolean, root: boolean): void => {
    switch (n.t) {
      case 'str':
        e.scalar(n.v, { implicit: resolvesToStr(n.v), simpleKey, root });
        return;
      case 'num':
        e.plain(pyYamlNumber(n.raw), !simpleKey, root);
        return;
      case 'bool':
        e.plain(n.v ? 'true' : 'false', !simpleKey, root);
        return;
      case 'null':
        e.plain('null', !simpleKey, root);
        return;
      default:
        throw new Error('not a scalar');
    }
  };
  // parentIndent: the indent of the enclosing collection (null at the root); mappingContext: value of a key.
  const nodeAt = (n: JsonNode, parentIndent: number | null, ctx: { mapping: boolean; root: boolean }): void => {
    const isEmpty = (n.t === 'obj' && n.entries.size === 0) || (n.t === 'arr' && n.items.length === 0);
    if (n.t === 'str' || n.t === 'num' || n.t === 'bool' || n.t === 'null' || isEmpty) {
      e.indent = parentIndent === null ? BEST_INDENT : parentIndent + BEST_INDENT;
      if (isEmpty) {
        e.indicator(n.t === 'obj' ? '{' : '[', true, true);
        e.indicator(n.t === 'obj' ? '}' : ']', false);
      } else scalarNode(n, false, ctx.root);
      return;
    }
    if (n.t === 'obj') {
      const indent = parentIndent === null ? 0 : parentIndent + BEST_INDENT;
      for (const k of [...n.entries.keys()].sort(pyCompare)) {
        e.mappingKey(k, indent, undefined);
        nodeAt(n.entries.get(k)!, indent, { mapping: true, root: false });
      }
      return;
    }
    if (n.t === 'arr') {
      const indentless = ctx.mapping && !e.indention;
      const indent = parentIndent === null ? 0 : indentless ? parentIndent : parentIndent + BEST_INDENT;
      for (const item of n.items) {
        e.indent = indent;
        e.writeIndent();
        e.indicator('-', true, false, true);
        nodeAt(item, indent, { mapping: false, root: false });
      }
    }
  };
  nodeAt(node, null, { mapping: false, root: true });
  return e.finish();
}

/** How PyYAML prints a number loaded by Python's json: ints as is, floats via repr (`.inf`, `1.0e+20`). */
function pyYamlNumber(raw: string): string {
  const t = numText(raw);
  if (/^-?\d+$/.test(t)) return t;
  const n = Number(raw);
  if (!Number.isFinite(n)) return n > 0 ? '.inf' : '-.inf';
  let v = t.toLowerCase();
  if (!v.includes('.') && v.includes('e')) v = v.replace('e', '.0e');
  return v;
}
