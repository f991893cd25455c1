/**
 * What PyYAML's emitter decides about one scalar before writing it: which styles may carry the text
 * (analyze_scalar), whether its plain form would read back as a str (the YAML 1.1 implicit resolvers), the scalar
 * event a Python value becomes (text and tag), and whether it can be a simple mapping key. yaml-emitter.ts writes it.
 */
import { PyFloat, pyFloatRepr, PyTimestamp, type PyValue } from './py.js';

/** Line breaks PyYAML knows (allow_unicode off still reads NEL, LS and PS as breaks). */
export const BREAKS = '\n\x85\u2028\u2029';
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

export interface ScalarEvent {
  value: string;
  /** implicit[0]: the plain form reads back with the same tag. */
  plainImplicit: boolean;
  /** The short tag PyYAML prepares (`!!str`); its length counts toward the 128-character simple-key limit. */
  tag: string;
}

export function scalarEvent(v: PyValue): ScalarEvent | null {
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

/**
 * PyYAML's check_simple_key for a scalar key: shorter than 128 characters counting its prepared tag
 * (`!!str` and the like), not empty, on one line. Others take the explicit form (`? key` / `: value`).
 */
export function isSimpleKey(k: PyValue): boolean {
  const ev = scalarEvent(k);
  if (ev === null) return false;
  const a = analyzeScalar(ev.value);
  return ev.tag.length + [...ev.value].length < 128 && !a.empty && !a.multiline;
}
