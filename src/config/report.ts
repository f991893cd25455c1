/**
 * How validation results are shown: one located line per issue for people, one stable JSON document for CI.
 * Shared by --validate-config, --genconf and the SSH actions.
 */
import type { Issue, ValidationResult } from './types.js';

const RED = '\u001b[31m';
const YELLOW = '\u001b[33m';
const BOLD = '\u001b[1m';
const RESET = '\u001b[0m';

function location(issue: Issue): string {
  if (issue.file === undefined) return '';
  if (issue.line === undefined) return `${issue.file}: `;
  return `${issue.file}:${issue.line}:${issue.column ?? 1}: `;
}

/** A problem with the file itself (its key is the file's name) is named once, by its location. */
function keyPart(issue: Issue, paint: (code: string, s: string) => string): string {
  const fileLevel = issue.file !== undefined && (issue.file === issue.key || issue.file.endsWith(`/${issue.key}`));
  return fileLevel ? '' : `${paint(BOLD, issue.key)}: `;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * `genconf/config.yaml:3:1: key: message` per issue (no location when the key is not in the file), warnings
 * marked `warning:`, then a count line. The original's `key: message` text is kept intact in every line.
 */
export function formatIssuesHuman(result: ValidationResult, opts: { color: boolean }): string {
  const paint = (code: string, s: string): string => (opts.color ? `${code}${s}${RESET}` : s);
  const lines: string[] = [];
  for (const e of result.errors) lines.push(`${location(e)}${keyPart(e, paint)}${e.message}`);
  for (const w of result.warnings)
    lines.push(`${location(w)}${paint(YELLOW, 'warning:')} ${keyPart(w, paint)}${w.message}`);
  const counts = `${plural(result.errors.length, 'error')}, ${plural(result.warnings.length, 'warning')}`;
  lines.push(result.valid ? `configuration is valid (${counts})` : paint(RED, `configuration is invalid: ${counts}`));
  return lines.join('\n') + '\n';
}

interface JsonIssue {
  key: string;
  message: string;
  line?: number;
  column?: number;
}

function jsonIssue(i: Issue): JsonIssue {
  const out: JsonIssue = { key: i.key, message: i.message };
  if (i.line !== undefined) {
    out.line = i.line;
    out.column = i.column ?? 1;
  }
  return out;
}

/** The `--json` document: `{"valid", "errors": [{key, message, line?, column?}], "warnings": [...]}`. */
export function issuesToJson(result: ValidationResult): { valid: boolean; errors: JsonIssue[]; warnings: JsonIssue[] } {
  return { valid: result.valid, errors: result.errors.map(jsonIssue), warnings: result.warnings.map(jsonIssue) };
}
