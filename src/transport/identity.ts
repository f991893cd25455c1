/**
 * Who we log in as: the key (from keys.ts, an ssh2 key, or key file contents) and/or the ssh-agent, resolved once per
 * transport. Messages name a key by type, fingerprint and file, never by its contents.
 */
import ssh2 from 'ssh2';
import type { ParsedKey } from 'ssh2';
import { InputError } from '../errors.js';
import { fingerprint } from './known-hosts.js';
import { PASSPHRASE_ENV, loadPrivateKey, withKeyObject, type LoadedKey } from './keys.js';
import type { SshTransportOptions } from './options.js';

export interface Identity {
  key?: ParsedKey;
  /** How the key is named in messages: type, fingerprint and file, never its contents. */
  keyLabel?: string;
  /** Several keys, tried in order (ssh_config IdentityFile); replaces `key` when present. */
  keys?: Array<{ key: ParsedKey; label: string }>;
  /** Keys named but unusable (e.g. a missing file), listed as tried in an auth failure. */
  skipped?: string[];
  agent?: string;
}

function isParsedKey(k: unknown): k is ParsedKey {
  return typeof k === 'object' && k !== null && typeof (k as ParsedKey).getPublicSSH === 'function';
}

function isLoadedKey(k: unknown): k is LoadedKey {
  return typeof k === 'object' && k !== null && isParsedKey((k as LoadedKey).parsed);
}

export async function resolveIdentity(o: SshTransportOptions): Promise<Identity> {
  const env = o.env ?? process.env;
  const id: Identity = {};
  if (o.agent) id.agent = o.agent;
  const pk = o.privateKey;
  if (isLoadedKey(pk)) {
    id.key = pk.parsed;
    id.keyLabel = `${pk.type} key ${pk.fingerprint} (${pk.path})`;
  } else if (isParsedKey(pk)) {
    id.key = withKeyObject(pk);
    id.keyLabel = `${pk.type} key ${fingerprint(pk.getPublicSSH())}`;
  } else if (pk !== undefined) {
    let parsed = ssh2.utils.parseKey(pk, o.passphrase) as ParsedKey | ParsedKey[] | Error;
    if (parsed instanceof Error && /no passphrase given/i.test(parsed.message)) {
      const pass = env[PASSPHRASE_ENV] || (o.prompt ? await o.prompt('Enter passphrase for the SSH key: ') : undefined);
      if (!pass)
        throw new InputError(
          'the SSH key is encrypted and no passphrase is available',
          undefined,
          `set ${PASSPHRASE_ENV}`,
        );
      parsed = ssh2.utils.parseKey(pk, pass);
    }
    if (parsed instanceof Error) throw new InputError(`the SSH key cannot be used: ${parsed.message}`);
    const key = Array.isArray(parsed) ? parsed[0] : parsed;
    if (!key) throw new InputError('the SSH key data holds no key');
    id.key = withKeyObject(key);
    id.keyLabel = `${key.type} key ${fingerprint(key.getPublicSSH())}`;
  } else if (o.privateKeyPath) {
    const loaded = await loadPrivateKey(o.privateKeyPath, { env, ...(o.prompt ? { prompt: o.prompt } : {}) });
    for (const w of loaded.warnings) o.onWarning?.(w);
    id.key = loaded.parsed;
    id.keyLabel = `${loaded.type} key ${loaded.fingerprint} (${loaded.path})`;
  }
  return id;
}
