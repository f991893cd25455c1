/**
 * The part of PyYAML's Emitter that writes block-style documents: indentation, the four scalar styles (plain,
 * single- and double-quoted, literal) with PyYAML's folding at 80 columns, and block sequences and mappings with
 * sorted keys. State and decisions follow emitter.py, so the bytes match.
 */
import { PyDict, pyStrCompare, type PyValue } from './py.js';
import { analyzeScalar, BREAKS, isSimpleKey, scalarEvent, type ScalarEvent } from './yaml-scalar.js';

const BEST_WIDTH = 80;
const BEST_INDENT = 2;

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

/** Requested scalar style: PyYAML's `default_style` (undefined = choose; '|' = literal where allowed). */
export type Requested = undefined | '|';

/** Python's ordering of dict keys: str by code point (mixed-type keys, which Python 3 cannot sort, by text). */
function comparePy(a: PyValue, b: PyValue): number {
  return pyStrCompare(typeof a === 'string' ? a : String(a), typeof b === 'string' ? b : String(b));
}

/** The emitter state PyYAML keeps while writing; only what the block styles need. */
export class Emitter {
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
