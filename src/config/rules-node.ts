/**
 * Rules DC/OS 1.11 did not have, about values this tool writes onto the nodes: a value written into a line-based
 * settings file (KEY=value, properties) must be one line, a proxy setting one word, and bootstrap_url a plain URL
 * that a systemd unit can carry. 1.11 wrote such values through and broke its own files; here they are judged with
 * the other rules, so `--validate-config` and `--genconf` give the same verdict, located at the key's line. The
 * renderers and the install script use the same predicates as a last guard.
 */
import { assertRule, type Rule } from './engine.js';
import { validateJsonList } from './validators.js';
import { markedKeys } from './schema.js';

/**
 * Every key the config package writes into a line-based settings file on the nodes: those schema/config.schema.json
 * marks `"x-single-line": true` (the renderers read them with `ConfigReader.line`; test/config/rules-node.test.ts
 * keeps the marks and the reads equal).
 */
export function singleLineKeys(): readonly string[] {
  return markedKeys('x-single-line');
}

/** What keeps a value from being one line of a settings file, or undefined. A NUL is named as such. */
export function lineProblem(value: string): string | undefined {
  if (value.includes('\0')) return 'NUL character';
  if (/[\r\n]/.test(value)) return 'line break';
  return undefined;
}

/** The rule's message for a value that is not one line. */
export function singleLineMessage(problem: string): string {
  return `Must be a single line: it is written into a KEY=value settings file on every node; remove the ${problem}`;
}

/**
 * A URL the node script can put on curl's command line and into a systemd unit, which splits on blanks and does not
 * unquote like a shell: file://, http:// or https://, no blanks, quotes or shell characters.
 */
export const NODE_URL = /^(file|https?):\/\/[^\s"'`\\$;&|<>(){}]+$/;

export const NODE_URL_MESSAGE =
  'Must be a file://, http:// or https:// URL without blanks, quotes or shell characters such as $() or backticks ' +
  '(percent-encode them): the nodes put it on a command line';

/** One word of an environment file and a systemd drop-in: no blanks, quotes, `\`, `$` or control characters. */
// eslint-disable-next-line no-control-regex
const NOT_ENV_WORD = /[\s"'`\\$\x00-\x1f\x7f]/;

export function isEnvWord(value: string): boolean {
  return !NOT_ENV_WORD.test(value);
}

export const ENV_WORD_MESSAGE =
  "must be one word to be written to the nodes' environment files: no blanks, quotes, '\\', '$' or control characters (percent-encode them)";

function singleLine(key: string): Rule {
  return {
    name: `validate_single_line(${key})`,
    params: [key],
    enforce: (a) => {
      const problem = lineProblem(a[key]!);
      assertRule(problem === undefined, () => singleLineMessage(problem!));
    },
  };
}

function envWord(key: string): Rule {
  return {
    name: `validate_env_word(${key})`,
    params: [key],
    enforce: (a) => assertRule(isEnvWord(a[key]!), () => `Must be one word: ${key} ${ENV_WORD_MESSAGE}`),
  };
}

let nodeRulesCache: readonly Rule[] | undefined;

/** The rules about values written onto the nodes (built once, on first use: the key list comes from the schema). */
export function nodeRules(): readonly Rule[] {
  nodeRulesCache ??= [...singleLineKeys().map(singleLine), ...OTHER_NODE_RULES];
  return nodeRulesCache;
}

const OTHER_NODE_RULES: readonly Rule[] = [
  {
    name: 'validate_bootstrap_url_on_nodes',
    params: ['bootstrap_url'],
    enforce: (a) => assertRule(NODE_URL.test(a.bootstrap_url!), NODE_URL_MESSAGE),
  },
  envWord('http_proxy'),
  envWord('https_proxy'),
  {
    name: 'validate_env_word(no_proxy)',
    params: ['no_proxy'],
    enforce: (a) => {
      let items: string[];
      try {
        items = validateJsonList(a.no_proxy!);
      } catch {
        return; // not a list of strings: no_proxy_final's calculation reports it, with 1.11's message
      }
      for (const item of items) assertRule(isEnvWord(item), () => `${JSON.stringify(item)} ${ENV_WORD_MESSAGE}`);
    },
  },
];
