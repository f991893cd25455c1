/**
 * The node install script of the cloud templates (templates/cloud/node-install.sh): the same text for AWS user data
 * and Azure custom data, with the bootstrap URL, the sha256 of dcos_install.sh and the role filled in as
 * shell-quoted words. Pure: no I/O beyond reading the template once.
 */
import fs from 'node:fs';
import path from 'node:path';
import { templatesDir } from '../bundle/install-script.js';
import { shellQuote } from '../transport/quote.js';

export type NodeRole = 'master' | 'slave' | 'slave_public';

export interface NodeScriptInput {
  bootstrapUrl: string;
  installSha256: string;
  role: NodeRole;
  /** Extra dcos_install.sh options (tests use --disable-preflight in the sandbox); none in generated templates. */
  installOptions?: readonly string[];
}

let cached: string | undefined;

function template(): string {
  cached ??= fs.readFileSync(path.join(templatesDir(), 'cloud', 'node-install.sh'), 'utf8');
  return cached;
}

export function renderNodeScript(input: NodeScriptInput): string {
  if (!/^[0-9a-f]{64}$/.test(input.installSha256)) throw new Error(`not a sha256: ${input.installSha256}`);
  const values: Record<string, string> = {
    BOOTSTRAP_URL: shellQuote(input.bootstrapUrl),
    INSTALL_SHA256: input.installSha256,
    ROLE: input.role,
    INSTALL_OPTIONS: (input.installOptions ?? []).map(shellQuote).join(' '),
  };
  const out = template().replace(/@@([A-Z0-9_]+)@@/g, (m, name: string) => {
    const v = values[name];
    if (v === undefined) throw new Error(`templates/cloud/node-install.sh: unknown placeholder ${m}`);
    return v;
  });
  return out;
}
