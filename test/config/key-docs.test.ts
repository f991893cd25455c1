/** The README's key list is generated from the schema, and the schema covers exactly the keys the code knows. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { END, renderKeyDocs, START } from '../../scripts/gen-key-docs.js';
import { ACCEPTED_UNUSED_KEYS, knownKeys } from '../../src/config/known-keys.js';
import { BUILD_MUSTS, dcosEntries } from '../../src/config/defaults-dcos.js';
import { SSH_ENTRY } from '../../src/config/rules-ssh.js';
import { GENCONF_OWN_ENTRY } from '../../src/config/rules-genconf.js';
import { loadSchema } from '../../src/config/schema.js';
import type { Entry } from '../../src/config/engine.js';

const schema = loadSchema();

function setters(): { defaults: Record<string, unknown>; musts: Set<string> } {
  const defaults: Record<string, unknown> = {};
  const musts = new Set<string>();
  const walk = (e: Entry): void => {
    Object.assign(defaults, e.default ?? {});
    Object.keys(e.must ?? {}).forEach((k) => musts.add(k));
    Object.values(e.conditional ?? {}).forEach((c) => Object.values(c).forEach(walk));
  };
  [...dcosEntries({ baseDir: '/' }), SSH_ENTRY, GENCONF_OWN_ENTRY].forEach(walk);
  return { defaults, musts };
}

describe('README keys section', () => {
  it('is in step with schema/config.schema.json (run: node dist/scripts/gen-key-docs.js --write)', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf(START) + START.length, readme.indexOf(END)).trim();
    expect(section).toBe(renderKeyDocs(schema).trim());
  });
});

describe('schema/config.schema.json', () => {
  it('describes exactly the known keys', () => {
    expect(Object.keys(schema.properties).sort()).toEqual([...knownKeys()].sort());
    for (const [k, p] of Object.entries(schema.properties)) expect(p.description, k).toBeTruthy();
  });
  it('marks the calculated keys read-only and leaves the settable ones writable', () => {
    const { defaults, musts } = setters();
    for (const k of musts) if (!(k in defaults)) expect(schema.properties[k]!.readOnly, k).toBe(true);
    for (const k of BUILD_MUSTS) expect(schema.properties[k]!.readOnly, k).toBe(true);
    for (const k of ACCEPTED_UNUSED_KEYS) expect(schema.properties[k]!.readOnly, k).toBeUndefined();
  });
  it("defaults agree with the code's defaults (as 1.11 strings)", () => {
    const { defaults } = setters();
    for (const [k, p] of Object.entries(schema.properties)) {
      if (!('default' in p)) continue;
      const d = p.default;
      const asString = typeof d === 'string' ? d : typeof d === 'boolean' || typeof d === 'number' ? String(d) : null;
      const code = defaults[k];
      expect(typeof code, k).toBe('string');
      if (asString !== null) expect(asString, k).toBe(code);
      else expect(d, k).toEqual(JSON.parse(code as string));
    }
  });
  it('lists the switch values in template order', () => {
    expect(schema.properties.exhibitor_storage_backend!.enum).toEqual([
      'agent_only_group_no_exhibitor',
      'aws_s3',
      'shared_filesystem',
      'static',
      'zookeeper',
      'azure',
    ]);
    expect(schema.properties.master_discovery!.enum).toEqual(['master_http_loadbalancer', 'static']);
  });
});
