/**
 * A small client of the Mesos v1 operator API on the master: `POST <master>/api/v1` with a JSON `Call`. Only the two
 * calls decommissioning needs: GET_AGENTS and MARK_AGENT_GONE. A non-leading master answers 307 with the leader in
 * Location (often scheme-relative, `//host:5050/api/v1`); the client follows up to three such redirects. TLS
 * certificates are verified (Node's default; NODE_EXTRA_CA_CERTS adds a CA). The ACS token goes only into the
 * Authorization header and never into an error message. Every request has a deadline and a bounded answer.
 */
import http from 'node:http';
import https from 'node:https';
import { GenconfError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';

export interface MesosAgent {
  id: string;
  hostname: string;
  /** `slave(1)@10.0.0.4:5051`: carries the address the agent registered with. */
  pid?: string;
}

export interface OperatorOptions {
  /** Master URL without /api/v1: `http://10.0.0.1:5050` or `https://10.0.0.1/mesos` (Admin Router). */
  baseUrl: string;
  token?: string;
  timeoutMs?: number;
}

/** The master answered with an error, or could not be reached; exit 3 (the hosts were not decommissioned). */
export class OperatorError extends GenconfError {
  constructor(
    message: string,
    readonly status?: number,
    hint?: string,
  ) {
    super(message, ExitCode.HOSTS_FAILED, hint);
  }
}

const MAX_BODY = 16 * 1024 * 1024;
const MAX_REDIRECTS = 3;

export function apiUrl(baseUrl: string): URL {
  let u: URL;
  try {
    u = new URL(baseUrl);
  } catch {
    throw new GenconfError(
      `--master-url ${baseUrl} is not a URL`,
      ExitCode.USAGE,
      'e.g. http://10.0.0.1:5050 or https://10.0.0.1/mesos',
    );
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new GenconfError(`--master-url ${baseUrl}: only http and https are supported`, ExitCode.USAGE);
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/api/v1`;
  u.search = '';
  u.hash = '';
  return u;
}

interface Answer {
  status: number;
  location?: string;
  body: string;
}

function post(url: URL, body: string, token: string | undefined, timeoutMs: number): Promise<Answer> {
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(
      url,
      {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json',
          'Content-Length': Buffer.byteLength(body),
          ...(token !== undefined ? { Authorization: `token=${token}` } : {}),
        },
        timeout: timeoutMs,
        // One connection per call: a handful of calls per run, and no pooled socket outliving a master restart.
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_BODY) {
            req.destroy(new Error(`the answer is larger than ${MAX_BODY} bytes`));
            return;
          }
          chunks.push(c);
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            ...(typeof res.headers.location === 'string' ? { location: res.headers.location } : {}),
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    req.on('error', reject);
    req.end(body);
  });
}

export class OperatorClient {
  /** The master that answers; after a redirect, the leader (later calls go straight to it). */
  private url: URL;
  private readonly timeoutMs: number;
  constructor(private readonly opts: OperatorOptions) {
    this.url = apiUrl(opts.baseUrl);
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  /** POST one call, following redirects to the leader; returns the 2xx answer's body. */
  async call(call: Record<string, unknown>): Promise<string> {
    const body = JSON.stringify(call);
    let url = this.url;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      let a: Answer;
      try {
        a = await post(url, body, this.opts.token, this.timeoutMs);
      } catch (err) {
        throw new OperatorError(
          `${String(call.type)} to ${url.origin}${url.pathname} failed: ${(err as Error).message}`,
          undefined,
          'check --master-url and that the master is reachable from here',
        );
      }
      if (a.status >= 200 && a.status < 300) {
        this.url = url;
        return a.body;
      }
      if ((a.status === 307 || a.status === 302 || a.status === 301 || a.status === 308) && a.location) {
        // Scheme-relative (`//leader:5050/api/v1`) or absolute; resolved against the URL that answered.
        url = new URL(a.location, url);
        continue;
      }
      const detail = a.body.trim().slice(0, 300);
      const where = `${url.origin}${url.pathname}`;
      if (a.status === 401 || a.status === 403) {
        throw new OperatorError(
          `${where} refused ${String(call.type)} (${a.status}${a.status === 401 ? ' Unauthorized' : ' Forbidden'})`,
          a.status,
          this.opts.token === undefined
            ? 'give an ACS token with --dcos-token-file FILE or DCOS_ACS_TOKEN'
            : 'the ACS token was refused: log in again (dcos auth login) and pass the new token',
        );
      }
      if (a.status === 503)
        throw new OperatorError(
          `${where}: no leading master (503)${detail ? `: ${detail}` : ''}`,
          a.status,
          'wait for the masters to elect a leader and run again',
        );
      throw new OperatorError(
        `${where} answered ${String(call.type)} with ${a.status}${detail ? `: ${detail}` : ''}`,
        a.status,
      );
    }
    throw new OperatorError(`${String(call.type)}: more than ${MAX_REDIRECTS} redirects from ${this.url.origin}`);
  }

  async getAgents(): Promise<MesosAgent[]> {
    const text = await this.call({ type: 'GET_AGENTS' });
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      throw new OperatorError('GET_AGENTS: the answer is not JSON');
    }
    const agents = (doc as { get_agents?: { agents?: unknown } } | null)?.get_agents?.agents;
    if (agents === undefined) return [];
    if (!Array.isArray(agents)) throw new OperatorError('GET_AGENTS: get_agents.agents is not a list');
    const out: MesosAgent[] = [];
    for (const a of agents as Array<{ agent_info?: { id?: { value?: unknown }; hostname?: unknown }; pid?: unknown }>) {
      const id = a.agent_info?.id?.value;
      const hostname = a.agent_info?.hostname;
      if (typeof id !== 'string' || typeof hostname !== 'string') continue;
      out.push({ id, hostname, ...(typeof a.pid === 'string' ? { pid: a.pid } : {}) });
    }
    return out;
  }

  async markAgentGone(agentId: string): Promise<void> {
    await this.call({ type: 'MARK_AGENT_GONE', mark_agent_gone: { agent_id: { value: agentId } } });
  }
}

/** The agent registered for `address`: by hostname, or by the address in its pid (`slave(1)@<address>:5051`). */
export function findAgent(agents: readonly MesosAgent[], address: string): MesosAgent | undefined {
  return (
    agents.find((a) => a.hostname === address) ??
    agents.find((a) => a.pid !== undefined && a.pid.replace(/^[^@]*@/, '').replace(/:\d+$/, '') === address)
  );
}
