/**
 * `--deploy --pull`, before any host is touched: bootstrap_url must be http(s), and the server there must serve this
 * very genconf/serve (its dcos_install.sh, which pins every artifact's SHA-256, must be byte-identical). One bounded
 * GET from the bootstrap node; a wrong or dead server is one clear error, not a column of failed hosts.
 */
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { InputError } from '../errors.js';
import { sha256Hex } from './serve.js';

const MAX_SCRIPT_BYTES = 16 * 1024 * 1024;
const FETCH_TIMEOUT_MS = 15_000;

/** GET url: status and body (bounded in size and time). */
export function fetchBounded(
  url: string,
  maxBytes = MAX_SCRIPT_BYTES,
  timeoutMs = FETCH_TIMEOUT_MS,
): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const get = url.startsWith('https:') ? https.get : http.get;
    const req = get(url, { timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > maxBytes) {
          req.destroy(new Error(`more than ${maxBytes} bytes`));
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    req.on('error', reject);
  });
}

/** The rendered values of dcos_install.sh the pull's own download needs, by their names in the script. */
const PULL_VALUES = {
  mirrors: 'MIRRORS',
  use_proxy: 'USE_PROXY',
  http_proxy: 'HTTP_PROXY_URL',
  https_proxy: 'HTTPS_PROXY_URL',
  no_proxy: 'NO_PROXY_LIST',
} as const;

/** `NAME='value'` as the renderer writes it (shellQuote: single quotes, a quote inside as '\''), decoded; or undefined. */
function renderedValue(script: string, name: string): string | undefined {
  const m = new RegExp(`^${name}=((?:'[^']*'|\\\\')+)$`, 'm').exec(script);
  if (!m) return undefined;
  return m[1]!.replace(/'([^']*)'|\\'/g, (_all, inner: string | undefined) => inner ?? "'");
}

/**
 * The settings the node downloads dcos_install.sh itself with: the very mirrors and proxy that script downloads the
 * artifacts with (its rendered values), as the lines templates/remote/pull-install.sh reads. A dcos_install.sh without
 * them (not rendered by genconf, e.g. an imported installer's) is fetched from bootstrap_url alone, without a proxy.
 */
export function pullSettings(script: string, file: string): string {
  const v = Object.fromEntries(
    Object.entries(PULL_VALUES).map(([key, name]) => [key, renderedValue(script, name)]),
  ) as Record<keyof typeof PULL_VALUES, string | undefined>;
  const mirrors = (v.mirrors ?? '').split('\n').filter((m) => m !== '');
  const useProxy = v.use_proxy ?? 'false';
  const bad = (what: string) =>
    new InputError(
      `${file}: ${what}`,
      file,
      'run --genconf again (genconf/serve/dcos_install.sh is written by it and should not be edited)',
    );
  if (useProxy !== 'true' && useProxy !== 'false')
    throw bad(`USE_PROXY is ${JSON.stringify(useProxy)}, not true or false`);
  // One line each on the node: no value may hold a line break, a mirror no blank (the renderer refuses both).
  for (const [key, value] of Object.entries(v))
    if (value !== undefined && (key === 'mirrors' ? /[\s]/.test(value.replace(/\n/g, '')) : /[\r\n]/.test(value)))
      throw bad(`${PULL_VALUES[key as keyof typeof PULL_VALUES]} holds a blank or a line break`);
  if (useProxy === 'true' && (v.http_proxy === undefined || v.https_proxy === undefined || v.no_proxy === undefined))
    throw bad('USE_PROXY is true but HTTP_PROXY_URL, HTTPS_PROXY_URL or NO_PROXY_LIST is missing');
  const line = (key: string, value: string) => (value === '' ? key : `${key} ${value}`);
  return [
    '@@genconf pull settings',
    line('mirrors', mirrors.join(' ')),
    line('use_proxy', useProxy),
    line('http_proxy', useProxy === 'true' ? v.http_proxy! : ''),
    line('https_proxy', useProxy === 'true' ? v.https_proxy! : ''),
    line('no_proxy', useProxy === 'true' ? v.no_proxy! : ''),
    '',
  ].join('\n');
}

export async function pullFiles(
  serveDir: string,
  bootstrapUrl: string | undefined,
): Promise<{ pullUrl: string; installScriptSha256: string; installScriptSize: number; pullSettings: string }> {
  if (bootstrapUrl === undefined || !/^https?:\/\//.test(bootstrapUrl)) {
    throw new InputError(
      `--pull needs an http:// or https:// bootstrap_url; config.yaml has ${bootstrapUrl ?? 'none'}`,
      undefined,
      'set bootstrap_url: http://<this host>:<port>, run --genconf, start genconf --serve (or copy genconf/serve to your web server), then --deploy --pull',
    );
  }
  const base = bootstrapUrl.replace(/\/+$/, '');
  const localFile = path.join(serveDir, 'dcos_install.sh');
  const local = await readFile(localFile);
  const sha = sha256Hex(local);
  const settings = pullSettings(local.toString('utf8'), localFile);
  const url = `${base}/dcos_install.sh`;
  let got: { status: number; body: Buffer };
  try {
    got = await fetchBounded(url);
  } catch (err) {
    throw new InputError(
      `--pull: cannot fetch ${url} from this machine: ${(err as Error).message}`,
      undefined,
      'start genconf --serve (or your web server) and check bootstrap_url',
    );
  }
  if (got.status !== 200) {
    throw new InputError(
      `--pull: ${url} answered HTTP ${got.status}`,
      undefined,
      'serve genconf/serve at bootstrap_url (genconf --serve) and retry',
    );
  }
  const served = sha256Hex(got.body);
  if (served !== sha) {
    throw new InputError(
      `--pull: ${url} is not this bundle's dcos_install.sh (SHA-256 ${served}, genconf/serve has ${sha})`,
      undefined,
      'the server serves another genconf/serve: restart genconf --serve or copy genconf/serve again',
    );
  }
  return { pullUrl: base, installScriptSha256: sha, installScriptSize: local.length, pullSettings: settings };
}
