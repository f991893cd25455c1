/**
 * File contents carried in arguments. DC/OS 1.11 kept script texts (`ip_detect_contents`,
 * `ip_detect_public_contents`, `fault_domain_detect_contents`) YAML-dumped, the form its templates
 * embedded and its config id hashed; a caller may also hand over the raw text. Both are accepted.
 */

import YAML from 'yaml';
import { dumpString } from '../../pycompat/yaml-dump.js';

/**
 * The script text of an argument value: a value that is exactly PyYAML's dump of some string is that
 * string; anything else is already the text. The round-trip check makes the guess safe: a real script is
 * never itself, byte for byte, a PyYAML-dumped scalar document.
 */
export function scriptText(value: string): string {
  const looksDumped = value.startsWith("'") || value.startsWith('"') || value.endsWith('\n...\n');
  if (!looksDumped) return value;
  try {
    const parsed: unknown = YAML.parse(value, { version: '1.1' });
    if (typeof parsed === 'string' && dumpString(parsed) === value) return parsed;
  } catch {
    // Not YAML: the value is the text.
  }
  return value;
}

/** The form the original recorded in expanded.config.json. */
export function dumpedScript(value: string): string {
  return dumpString(scriptText(value));
}
