/**
 * PyYAML's `yaml.dump` output, for the few DC/OS 1.11 arguments that hold YAML-dumped text:
 * `ip_detect_contents` (= yaml.dump(file text)), `rexray_config_contents`
 * (= yaml.dump(yaml.dump(dict, default_flow_style=False))), `check_config_contents`, and the
 * fault-domain script. The templates paste these verbatim after `content: `, so the bytes must match:
 * scalar style choice (plain / single / double quoted), line folding at 80 columns, escapes, sorted keys.
 *
 * This is an emitter written for that purpose: block mappings and sequences, flow `[]`/`{}` for empty
 * collections, the three scalar styles, default settings (width 80, indent 2, allow_unicode False).
 */
import { resolvePlain } from './yaml11.js';
import { PyDict, PyFloat, pyFloatRepr, PyTimestamp, type PyValue } from './py.js';

const BEST_WIDTH = 80;
const BEST_INDENT = 2;
const BREAKS = '\n\x85\u2028\u2029';
const WHITESPACE_OR_END = '\0 \t\r\n\x85\u2028\u2029';

interface Analysis {
  empty: boolean;
  multiline: boolean;
  allowFlowPlain: boolean;
  allowBlockPlain: boolean;
  allowSingleQuoted: boolean;
}

function analyzeScalar(scalar: string): Analysis {
  const chars = [...scalar];
  if (chars.length === 0) {
    return { empty: true, multiline: false, allowFlowPlain: false, allowBlockPlain: true, allowSingleQuoted: true };
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
  for (let index = 0; index < chars.length; ) {
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
    const cp = ch.codePointAt(0)!;
    if (!(ch === '\n' || (cp >= 0x20 && cp <= 0x7e))) specialCharacters = true; // allow_unicode is off
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
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) allowFlowPlain = allowBlockPlain = false;
  if (breakSpace) allowFlowPlain = allowBlockPlain = allowSingleQuoted = false;
  if (spaceBreak || specialCharacters) allowFlowPlain = allowBlockPlain = allowSingleQuoted = false;
  if (lineBreaks) allowFlowPlain = allowBlockPlain = false;
  if (flowIndicators) allowFlowPlain = false;
  if (blockIndicators) allowBlockPlain = false;
  return { empty: false, multiline: lineBreaks, allowFlowPlain, allowBlockPlain, allowSingleQuoted };
}

/** Would PyYAML read this text back as a str when written plain? (Otherwise a str must be quoted.) */
function plainIsStr(text: string): boolean {
  if (text === '=' || text === '<<') return false;
  return typeof resolvePlain(text) === 'string';
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
}

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
          for (const br of t.slice(start, end)) this.writeLineBreak(br === '\n' ? '\n' : br);
          this.writeIndent();
          this.whitespace = false;
          this.indention = false;
          start = end;
        }
      } else if (ch === null || ' \n\x85\u2028\u2029'.includes(ch)) {
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
          if (start + 1 === end && this.column > BEST_WIDTH && split && start !== 0 && end !== t.length) this.writeIndent();
          else this.write(t.slice(start, end).join(''));
          start = end;
        }
      } else if (breaks) {
        if (ch === null || !BREAKS.includes(ch)) {
          if (t[start] === '\n') this.writeLineBreak();
          for (const br of t.slice(start, end)) this.writeLineBreak(br === '\n' ? '\n' : br);
          this.writeIndent();
          start = end;
        }
      } else if (ch === null || ' \n\x85\u2028\u2029'.includes(ch) || ch === "'") {
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
      if (end > 0 && end < t.length - 1 && (ch === ' ' || start >= end) && this.column + (end - start) > BEST_WIDTH && split) {
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

  scalar(ev: ScalarEvent): void {
    this.increaseIndent(true);
    const a = analyzeScalar(ev.value);
    const split = !this.simpleKeyContext;
    let style: '' | "'" | '"' = '"';
    if (ev.plainImplicit && !(this.simpleKeyContext && (a.empty || a.multiline)) && a.allowBlockPlain) style = '';
    else if (a.allowSingleQuoted && !(this.simpleKeyContext && a.multiline)) style = "'";
    if (style === '') this.writePlain(ev.value, split);
    else if (style === "'") this.writeSingleQuoted(ev.value, split);
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
        const keyEv = scalarEvent(k);
        const simple = keyEv !== null && [...keyEv.value].length < 128 && keyEv.value !== '' && !/[\n\x85\u2028\u2029]/.test(keyEv.value);
        if (simple) {
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

function comparePy(a: PyValue, b: PyValue): number {
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

function scalarEvent(v: PyValue): ScalarEvent | null {
  if (typeof v === 'string') return { value: v, plainImplicit: plainIsStr(v) };
  if (typeof v === 'boolean') return { value: v ? 'true' : 'false', plainImplicit: true };
  if (v === null) return { value: 'null', plainImplicit: true };
  if (typeof v === 'bigint') return { value: v.toString(), plainImplicit: true };
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
    return { value: text, plainImplicit: true };
  }
  if (v instanceof PyTimestamp) return { value: v.text, plainImplicit: true };
  return null;
}

// The same few texts (built-in check config, default REX-Ray config, the ip-detect script) are dumped on
// every run; remember the last results.
const stringCache = new Map<string, string>();

/** `yaml.dump(value)` with PyYAML's defaults (block style for collections only when asked). */
export function pyYamlDump(value: PyValue): string {
  if (typeof value !== 'string') return dump(value);
  const hit = stringCache.get(value);
  if (hit !== undefined) return hit;
  const out = dump(value);
  if (stringCache.size >= 32) stringCache.delete(stringCache.keys().next().value!);
  stringCache.set(value, out);
  return out;
}

function dump(value: PyValue): string {
  const e = new Emitter();
  e.node(value, { root: true });
  // Document end: an implicit end, then `...` if a plain root scalar left the stream open-ended.
  e.writeIndent();
  if (e.openEnded) {
    e.writeIndicator('...', true);
    e.writeIndent();
  }
  return e.out;
}
