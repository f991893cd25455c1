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

export async function pullFiles(
  serveDir: string,
  bootstrapUrl: string | undefined,
): Promise<{ pullUrl: string; installScriptSha256: string }> {
  if (bootstrapUrl === undefined || !/^https?:\/\//.test(bootstrapUrl)) {
    throw new InputError(
      `--pull needs an http:// or https:// bootstrap_url; config.yaml has ${bootstrapUrl ?? 'none'}`,
      undefined,
      'set bootstrap_url: http://<this host>:<port>, run --genconf, start genconf --serve (or copy genconf/serve to your web server), then --deploy --pull',
    );
  }
  const base = bootstrapUrl.replace(/\/+$/, '');
  const local = await readFile(path.join(serveDir, 'dcos_install.sh'));
  const sha = sha256Hex(local);
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
  return { pullUrl: base, installScriptSha256: sha };
}
