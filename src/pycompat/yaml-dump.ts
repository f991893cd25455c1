/**
 * PyYAML's `yaml.dump`, for the DC/OS 1.11 values whose YAML text ended up in arguments and node files:
 * - `yaml.dump(str)`: `ip_detect_contents`, `check_config_contents`, `rexray_config_contents`, the
 *   fault-domain script (the templates paste these verbatim after `content: `);
 * - `yaml.dump(dict, default_flow_style=False)`: rexray.conf and the inner text of `rexray_config_contents`;
 * - `yaml.dump(dict_of_str, default_style='|')`: user.config.yaml.
 * The bytes must match, so scalar style choice (plain / single / double quoted / literal), escapes, folding at
 * 80 columns and sorted keys follow PyYAML's emitter with its defaults (width 80, indent 2, allow_unicode off).
 * Only what those calls need is here: block collections, flow `[]`/`{}` for empty ones, no flow collections.
 */
import { PyDict, PyFloat, pyFloatRepr, pyStrCompare, PyTimestamp, type PyValue } from './py.js';

const BEST_WIDTH = 80;
const BEST_INDENT = 2;
const BREAKS = '\n\x85\u2028\u2029';
const WHITESPACE_OR_END = '\0 \t\r\n\x85\u2028\u2029';

export interface Analysis {
  empty: boolean;
  multiline: boolean;
  allowFlowPlain: boolean;
  allowBlockPlain: boolean;
  allowSingleQuoted: boolean;
  allowBlock: boolean;
}

/** Which styles may carry this text (PyYAML's analyze_scalar with allow_unicode off). */
export function analyzeScalar(scalar: string): Analysis {
  const chars = [...scalar];
  if (chars.length === 0) {
    return {
      empty: true,
      multiline: false,
      allowFlowPlain: false,
      allowBlockPlain: true,
      allowSingleQuoted: true,
      allowBlock: false,
    };
  }
  let blockIndicators = false;
  let flowIndicators = false;
  let lineBreaks = false;
  let specialCharacters = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  if (scalar.startsWith('---') || scalar.startsWith('...')) {
    blockIndicators = true;
    flowIndicators = true;
  }
  let precededByWhitespace = true;
  let followedByWhitespace = chars.length === 1 || WHITESPACE_OR_END.includes(chars[1]!);
  let previousSpace = false;
  let previousBreak = false;
  for (let index = 0; index < chars.length;) {
    const ch = chars[index]!;
    if (index === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) {
        flowIndicators = true;
        blockIndicators = true;
      }
      if (ch === '?' || ch === ':') {
        flowIndicators = true;
        if (followedByWhitespace) blockIndicators = true;
      }
      if (ch === '-' && followedByWhitespace) {
        flowIndicators = true;
        blockIndicators = true;
      }
    } else {
      if (',?[]{}'.includes(ch)) flowIndicators = true;
      if (ch === ':') {
        flowIndicators = true;
        if (followedByWhitespace) blockIndicators = true;
      }
      if (ch === '#' && precededByWhitespace) {
        flowIndicators = true;
        blockIndicators = true;
      }
    }
    if (BREAKS.includes(ch)) lineBreaks = true;
    // With allow_unicode off, everything outside printable ASCII (line feed aside) is "special".
    const cp = ch.codePointAt(0)!;
    if (!(ch === '\n' || (cp >= 0x20 && cp <= 0x7e))) specialCharacters = true;
    if (ch === ' ') {
      if (index === 0) leadingSpace = true;
      if (index === chars.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (BREAKS.includes(ch)) {
      if (index === 0) leadingBreak = true;
      if (index === chars.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    index += 1;
    precededByWhitespace = WHITESPACE_OR_END.includes(ch);
    followedByWhitespace = index + 1 >= chars.length || WHITESPACE_OR_END.includes(chars[index + 1]!);
  }
  let allowFlowPlain = true;
  let allowBlockPlain = true;
  let allowSingleQuoted = true;
  let allowBlock = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) allowFlowPlain = allowBlockPlain = false;
  if (trailingSpace) allowBlock = false;
  if (breakSpace) allowFlowPlain = allowBlockPlain = allowSingleQuoted = false;
  if (spaceBreak || specialCharacters) allowFlowPlain = allowBlockPlain = allowSingleQuoted = allowBlock = false;
  if (lineBreaks) allowFlowPlain = allowBlockPlain = false;
  if (flowIndicators) allowFlowPlain = false;
  if (blockIndicators) allowBlockPlain = false;
  return { empty: false, multiline: lineBreaks, allowFlowPlain, allowBlockPlain, allowSingleQuoted, allowBlock };
}

// PyYAML's implicit resolvers (YAML 1.1): a str whose plain form matches one of these would load back as
// something else, so it must be quoted.
const IMPLICIT: RegExp[] = [
  /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/,
  /^(?:<<)$/,
  /^(?:~|null|Null|NULL|)$/,
  /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/,
  /^(?:=)$/,
];

/** Would PyYAML read this text back as a str when written plain? */
function plainIsStr(text: string): boolean {
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
  '\x85': 'N',
  '\xA0': '_',
  '\u2028': 'L',
  '\u2029': 'P',
};

interface ScalarEvent {
  value: string;
  /** implicit[0]: the plain form reads back with the same tag. */
  plainImplicit: boolean;
  /** The short tag PyYAML prepares (`!!str`); its length counts toward the 128-character simple-key limit. */
  tag: string;
}

/** Requested scalar style: PyYAML's `default_style` (undefined = choose; '|' = literal where allowed). */
type Requested = undefined | '|';

/** The emitter state PyYAML keeps while writing; only what the block styles need. */
class Emitter {
  out = '';
  column = 0;
  whitespace = true;
  indention = true;
  openEnded = false;
  indent: number | null = null;
  private readonly indents: Array<number | null> = [];
  rootContext = false;
  mappingContext = false;
  simpleKeyContext = false;

  constructor(private readonly requested: Requested) {}

  increaseIndent(flow: boolean, indentless = false): void {
    this.indents.push(this.indent);
    if (this.indent === null) this.indent = flow ? BEST_INDENT : 0;
    else if (!indentless) this.indent += BEST_INDENT;
  }

  popIndent(): void {
    this.indent = this.indents.pop() ?? null;
  }

  write(data: string): void {
    this.out += data;
    this.column += [...data].length;
  }

  writeIndicator(indicator: string, needWhitespace: boolean, whitespace = false, indention = false): void {
    const data = this.whitespace || !needWhitespace ? indicator : ' ' + indicator;
    this.whitespace = whitespace;
    this.indention = this.indention && indention;
    this.openEnded = false;
    this.write(data);
  }

  writeIndent(): void {
    const indent = this.indent ?? 0;
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) this.writeLineBreak();
    if (this.column < indent) {
      this.whitespace = true;
      this.write(' '.repeat(indent - this.column));
    }
  }

  /** A line break: `\n`, or the Unicode break the text itself carried (NEL, LS, PS). */
  writeLineBreak(data = '\n'): void {
    this.whitespace = true;
    this.indention = true;
    this.out += data;
    this.column = 0;
  }

  writePlain(text: string, split: boolean): void {
    if (this.rootContext) this.openEnded = true;
    if (!text) return;
    if (!this.whitespace) this.write(' ');
    this.whitespace = false;
    this.indention = false;
    const t = [...text];
    let spaces = false;
    let breaks = false;
    let start = 0;
    for (let end = 0; end <= t.length; end++) {
      const ch = end < t.length ? t[end]! : null;
      if (spaces) {
        if (ch !== ' ') {
          if (start + 1 === end && this.column > BEST_WIDTH && split) {
            this.writeIndent();
            this.whitespace = false;
            this.indention = false;
          } else this.write(t.slice(start, end).join(''));
          start = end;
        }
      } else if (breaks) {
        if (ch === null || !BREAKS.includes(ch)) {
          if (t[start] === '\n') this.writeLineBreak();
          for (const br of t.slice(start, end)) this.writeLineBreak(br);
          this.writeIndent();
          this.whitespace = false;
          this.indention = false;
          start = end;
        }
      } else if (ch === null || ` ${BREAKS}`.includes(ch)) {
        this.write(t.slice(start, end).join(''));
        start = end;
      }
      if (ch !== null) {
        spaces = ch === ' ';
        breaks = BREAKS.includes(ch);
      }
    }
  }

  writeSingleQuoted(text: string, split: boolean): void {
    this.writeIndicator("'", true);
    const t = [...text];
    let spaces = false;
    let breaks = false;
    let start = 0;
    for (let end = 0; end <= t.length; end++) {
      const ch = end < t.length ? t[end]! : null;
      if (spaces) {
        if (ch === null || ch !== ' ') {
          if (start + 1 === end && this.column > BEST_WIDTH && split && start !== 0 && end !== t.length)
            this.writeIndent();
          else this.write(t.slice(start, end).join(''));
          start = end;
        }
      } else if (breaks) {
        if (ch === null || !BREAKS.includes(ch)) {
          if (t[start] === '\n') this.writeLineBreak();
          for (const br of t.slice(start, end)) this.writeLineBreak(br);
          this.writeIndent();
          start = end;
        }
      } else if (ch === null || ` ${BREAKS}`.includes(ch) || ch === "'") {
        if (start < end) {
          this.write(t.slice(start, end).join(''));
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
    this.writeIndicator("'", false);
  }

  writeDoubleQuoted(text: string, split: boolean): void {
    this.writeIndicator('"', true);
    const t = [...text];
    let start = 0;
    for (let end = 0; end <= t.length; end++) {
      const ch = end < t.length ? t[end]! : null;
      const cp = ch === null ? 0 : ch.codePointAt(0)!;
      if (ch === null || '"\\\x85\u2028\u2029\uFEFF'.includes(ch) || !(cp >= 0x20 && cp <= 0x7e)) {
        if (start < end) {
          this.write(t.slice(start, end).join(''));
          start = end;
        }
        if (ch !== null) {
          let data: string;
          if (ESCAPES[ch] !== undefined) data = '\\' + ESCAPES[ch];
          else if (cp <= 0xff) data = '\\x' + cp.toString(16).toUpperCase().padStart(2, '0');
          else if (cp <= 0xffff) data = '\\u' + cp.toString(16).toUpperCase().padStart(4, '0');
          else data = '\\U' + cp.toString(16).toUpperCase().padStart(8, '0');
          this.write(data);
          start = end + 1;
        }
      }
      if (
        end > 0 &&
        end < t.length - 1 &&
        (ch === ' ' || start >= end) &&
        this.column + (end - start) > BEST_WIDTH &&
        split
      ) {
        const data = t.slice(start, end).join('') + '\\';
        if (start < end) start = end;
        this.write(data);
        this.writeIndent();
        this.whitespace = false;
        this.indention = false;
        if (t[start] === ' ') this.write('\\');
      }
    }
    this.writeIndicator('"', false);
  }

  writeLiteral(text: string): void {
    const t = [...text];
    let hints = '';
    if (t.length > 0) {
      if (` ${BREAKS}`.includes(t[0]!)) hints += String(BEST_INDENT);
      if (!BREAKS.includes(t[t.length - 1]!)) hints += '-';
      else if (t.length === 1 || BREAKS.includes(t[t.length - 2]!)) hints += '+';
    }
    this.writeIndicator('|' + hints, true);
    if (hints.endsWith('+')) this.openEnded = true;
    this.writeLineBreak();
    let breaks = true;
    let start = 0;
    for (let end = 0; end <= t.length; end++) {
      const ch = end < t.length ? t[end]! : null;
      if (breaks) {
        if (ch === null || !BREAKS.includes(ch)) {
          for (const br of t.slice(start, end)) this.writeLineBreak(br);
          if (ch !== null) this.writeIndent();
          start = end;
        }
      } else if (ch === null || BREAKS.includes(ch)) {
        this.write(t.slice(start, end).join(''));
        if (ch === null) this.writeLineBreak();
        start = end;
      }
      if (ch !== null) breaks = BREAKS.includes(ch);
    }
  }

  /** PyYAML's choose_scalar_style followed by the matching writer. */
  scalar(ev: ScalarEvent): void {
    this.increaseIndent(true);
    const a = analyzeScalar(ev.value);
    const split = !this.simpleKeyContext;
    let style: '' | "'" | '"' | '|' = '"';
    if (
      this.requested === undefined &&
      ev.plainImplicit &&
      !(this.simpleKeyContext && (a.empty || a.multiline)) &&
      a.allowBlockPlain
    ) {
      style = '';
    } else if (this.requested === '|' && !this.simpleKeyContext && a.allowBlock) {
      style = '|';
    } else if (this.requested === undefined && a.allowSingleQuoted && !(this.simpleKeyContext && a.multiline)) {
      style = "'";
    }
    if (style === '') this.writePlain(ev.value, split);
    else if (style === "'") this.writeSingleQuoted(ev.value, split);
    else if (style === '|') this.writeLiteral(ev.value);
    else this.writeDoubleQuoted(ev.value, split);
    this.popIndent();
  }

  node(v: PyValue, ctx: { root?: boolean; sequence?: boolean; mapping?: boolean; simpleKey?: boolean }): void {
    this.rootContext = ctx.root === true;
    this.mappingContext = ctx.mapping === true;
    this.simpleKeyContext = ctx.simpleKey === true;
    if (Array.isArray(v)) {
      if (v.length === 0) {
        this.writeIndicator('[', true, true);
        this.writeIndicator(']', false);
        return;
      }
      const indentless = this.mappingContext && !this.indention;
      this.increaseIndent(false, indentless);
      for (const item of v) {
        this.writeIndent();
        this.writeIndicator('-', true, false, true);
        this.node(item, { sequence: true });
      }
      this.popIndent();
      return;
    }
    if (v instanceof PyDict) {
      if (v.size === 0) {
        this.writeIndicator('{', true, true);
        this.writeIndicator('}', false);
        return;
      }
      this.increaseIndent(false);
      const entries = [...v.entries].sort(([a], [b]) => comparePy(a, b));
      for (const [k, val] of entries) {
        this.writeIndent();
        if (isSimpleKey(k)) {
          this.node(k, { mapping: true, simpleKey: true });
          this.writeIndicator(':', false);
          this.node(val, { mapping: true });
        } else {
          this.writeIndicator('?', true, false, true);
          this.node(k, { mapping: true });
          this.writeIndent();
          this.writeIndicator(':', true, false, true);
          this.node(val, { mapping: true });
        }
      }
      this.popIndent();
      return;
    }
    this.scalar(scalarEvent(v)!);
  }
}

/**
 * PyYAML's check_simple_key for a scalar key: shorter than 128 characters counting its prepared tag
 * (`!!str` and the like), not empty, on one line. Others take the explicit form (`? key` / `: value`).
 */
function isSimpleKey(k: PyValue): boolean {
  const ev = scalarEvent(k);
  if (ev === null) return false;
  const a = analyzeScalar(ev.value);
  return ev.tag.length + [...ev.value].length < 128 && !a.empty && !a.multiline;
}

/** Python's ordering of dict keys: str by code point (mixed-type keys, which Python 3 cannot sort, by text). */
function comparePy(a: PyValue, b: PyValue): number {
  return pyStrCompare(typeof a === 'string' ? a : String(a), typeof b === 'string' ? b : String(b));
}

function scalarEvent(v: PyValue): ScalarEvent | null {
  if (typeof v === 'string') return { value: v, plainImplicit: plainIsStr(v), tag: '!!str' };
  if (typeof v === 'boolean') return { value: v ? 'true' : 'false', plainImplicit: true, tag: '!!bool' };
  if (v === null) return { value: 'null', plainImplicit: true, tag: '!!null' };
  if (typeof v === 'bigint') return { value: v.toString(), plainImplicit: true, tag: '!!int' };
  if (v instanceof PyFloat) {
    const x = v.value;
    let text: string;
    if (Number.isNaN(x)) text = '.nan';
    else if (x === Infinity) text = '.inf';
    else if (x === -Infinity) text = '-.inf';
    else {
      text = pyFloatRepr(x).toLowerCase();
      if (!text.includes('.') && text.includes('e')) text = text.replace('e', '.0e');
    }
    return { value: text, plainImplicit: true, tag: '!!float' };
  }
  if (v instanceof PyTimestamp) return { value: v.text, plainImplicit: true, tag: '!!timestamp' };
  return null;
}

// The same few texts (built-in check config, default REX-Ray config, the ip-detect script) are dumped on
// every run; remember the last results.
const stringCache = new Map<string, string>();

/**
 * `yaml.dump(value)` with PyYAML's defaults; collections are written in block style, as with
 * `default_flow_style=False` (the only way DC/OS dumped a collection).
 */
export function pyYamlDump(value: PyValue): string {
  if (typeof value !== 'string') return dump(value, undefined);
  const hit = stringCache.get(value);
  if (hit !== undefined) return hit;
  const out = dump(value, undefined);
  if (stringCache.size >= 32) stringCache.delete(stringCache.keys().next().value!);
  stringCache.set(value, out);
  return out;
}

/** `yaml.dump(text)`: one string as a whole document. */
export function dumpString(text: string): string {
  return pyYamlDump(text);
}

/**
 * `yaml.dump(mapping, default_style='|', default_flow_style=False)` of string values, keys sorted: every key
 * double-quoted (a simple key cannot be a block scalar), each value a literal block where it can be one,
 * else double-quoted.
 */
export function dumpLiteralMapping(map: Readonly<Record<string, string>>): string {
  const d = new PyDict();
  for (const [k, v] of Object.entries(map)) d.set(k, v);
  return dump(d, '|');
}

function dump(value: PyValue, requested: Requested): string {
  const e = new Emitter(requested);
  e.node(value, { root: true });
  // Document end: an implicit end, then `...` if a plain root scalar or a `|+` block left the stream open.
  e.writeIndent();
  if (e.openEnded) {
    e.writeIndicator('...', true);
    e.writeIndent();
  }
  return e.out;
}
