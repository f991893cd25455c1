/**
 * Keys of this tool that DC/OS 1.11 did not have and that reach the nodes' install script (not the node's config
 * record): judged for --genconf and --validate-config alike.
 */
import { assertRule, type Entry, type TargetSpec } from './engine.js';
import { validateJsonList } from './validators.js';

/** A base URL the node script can put on curl's command line and in a systemd unit: http(s), no shell characters. */
const BASE_URL = /^https?:\/\/[^\s"'`\\$;&|<>(){}]+$/;

function validateMirrors(value: string): void {
  const items = validateJsonList(value);
  for (const m of items) {
    assertRule(
      BASE_URL.test(m),
      `${m} is not an http:// or https:// URL without blanks, quotes or shell characters (percent-encode them)`,
    );
    assertRule(!m.endsWith('/'), `${m}: Must not end in a '/'`);
  }
  assertRule(new Set(items).size === items.length, 'List must not contain the same URL twice');
}

export const GENCONF_OWN_ENTRY: Entry = {
  validate: [
    {
      name: 'validate_bootstrap_url_mirrors',
      params: ['bootstrap_url_mirrors'],
      enforce: (a) => validateMirrors(a.bootstrap_url_mirrors!),
    },
  ],
  default: { bootstrap_url_mirrors: '[]' },
};

export const GENCONF_OWN_KEYS = ['bootstrap_url_mirrors'] as const;

export const GENCONF_OWN_TARGET: TargetSpec = { variables: GENCONF_OWN_KEYS };
