/**
 * JSON text exactly as DC/OS 1.11's Python wrote it, for files whose bytes the original fixed: `json.dumps`
 * with its default separators (`", "`, `": "`), and gen's "pretty" form (indent 2, separators `,`/`:`, sorted
 * keys). Both escape non-ASCII as \uXXXX (Python's ensure_ascii).
 */

type Json = null | boolean | number | string | readonly Json[] | { readonly [k: string]: Json };

function str(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** `json.dumps(value)`: one line, `", "` and `": "` separators, keys in the given order. */
export function pyDumps(value: Json): string {
  if (value === null || typeof value !== 'object') return typeof value === 'string' ? str(value) : JSON.stringify(value);
  if (Array.isArray(value)) return `[${(value as readonly Json[]).map(pyDumps).join(', ')}]`;
  const obj = value as { readonly [k: string]: Json };
  return `{${Object.keys(obj)
    .map((k) => `${str(k)}: ${pyDumps(obj[k]!)}`)
    .join(', ')}}`;
}

/** `json.dumps(value, indent=2, separators=(',', ':'), sort_keys=True)`. */
export function pyPretty(value: Json, depth = 0): string {
  if (value === null || typeof value !== 'object') return typeof value === 'string' ? str(value) : JSON.stringify(value);
  const pad = '  '.repeat(depth + 1);
  const end = '  '.repeat(depth);
  if (Array.isArray(value)) {
    const items = value as readonly Json[];
    if (items.length === 0) return '[]';
    return `[\n${items.map((v) => pad + pyPretty(v, depth + 1)).join(',\n')}\n${end}]`;
  }
  const obj = value as { readonly [k: string]: Json };
  const keys = Object.keys(obj).sort();
  if (keys.length === 0) return '{}';
  return `{\n${keys.map((k) => `${pad}${str(k)}:${pyPretty(obj[k]!, depth + 1)}`).join(',\n')}\n${end}}`;
}
