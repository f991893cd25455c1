/**
 * A stand-in for the Mesos masters' v1 operator API (`POST /api/v1`), for tests. It follows the Mesos operator API
 * documentation for the two calls the installer makes:
 *   GET_AGENTS        200, {"type":"GET_AGENTS","get_agents":{"agents":[{"agent_info":{"id":{"value"},"hostname",
 *                     "port"},"active","pid",…}]}}
 *   MARK_AGENT_GONE   200 with an empty body; the agent leaves GET_AGENTS. Marking a gone agent again is 200 too;
 *                     an id the master never knew is 404.
 * and the rules around them: only POST (405 otherwise), Content-Type application/json (415), a malformed or unknown
 * call is 400, a non-leading master answers 307 with the leader in Location (scheme-relative, as Mesos does), and
 * with a token configured, a request without `Authorization: token=<that token>` is 401. Every request is recorded.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandinAgent {
  id: string;
  hostname: string;
  address: string;
}

export interface RecordedRequest {
  /** Index of the master that received it. */
  master: number;
  method: string;
  path: string;
  authorization?: string;
  /** The call's type, when the body parsed. */
  type?: string;
  body: unknown;
  status: number;
}

export interface MesosStandin {
  urls: string[];
  requests: RecordedRequest[];
  agents: StandinAgent[];
  gone: string[];
  close(): Promise<void>;
}

export async function startMesosStandin(opts: {
  masters?: number;
  leader?: number;
  token?: string;
  agents: StandinAgent[];
}): Promise<MesosStandin> {
  const count = opts.masters ?? 1;
  const leader = opts.leader ?? 0;
  const state = { agents: [...opts.agents], gone: [] as string[], requests: [] as RecordedRequest[] };
  const servers: http.Server[] = [];
  const ports: number[] = [];

  const handler = (index: number) => (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        // recorded as text
      }
      const rec: RecordedRequest = {
        master: index,
        method: req.method ?? '',
        path: req.url ?? '',
        ...(typeof req.headers.authorization === 'string' ? { authorization: req.headers.authorization } : {}),
        ...(typeof (body as { type?: unknown } | undefined)?.type === 'string'
          ? { type: (body as { type: string }).type }
          : {}),
        body,
        status: 0,
      };
      state.requests.push(rec);
      const send = (status: number, payload?: unknown, headers: Record<string, string> = {}): void => {
        rec.status = status;
        const data = payload === undefined ? '' : typeof payload === 'string' ? payload : JSON.stringify(payload);
        res.writeHead(status, {
          ...(payload !== undefined && typeof payload !== 'string' ? { 'Content-Type': 'application/json' } : {}),
          ...headers,
        });
        res.end(data);
      };
      if (req.url !== '/api/v1') return send(404, 'Not Found');
      if (opts.token !== undefined && req.headers.authorization !== `token=${opts.token}`)
        return send(401, 'Unauthorized', { 'WWW-Authenticate': 'acsjwt' });
      if (index !== leader) return send(307, undefined, { Location: `//127.0.0.1:${ports[leader]}/api/v1` });
      if (req.method !== 'POST') return send(405, 'Expecting a POST request', { Allow: 'POST' });
      if (!String(req.headers['content-type'] ?? '').startsWith('application/json'))
        return send(415, 'Expecting Content-Type of application/json or application/x-protobuf');
      const call = body as { type?: unknown; mark_agent_gone?: { agent_id?: { value?: unknown } } } | undefined;
      if (typeof call !== 'object' || call === null) return send(400, 'Failed to parse body into Call protobuf');
      switch (call.type) {
        case 'GET_AGENTS':
          return send(200, {
            type: 'GET_AGENTS',
            get_agents: {
              agents: state.agents.map((a) => ({
                active: true,
                agent_info: { hostname: a.hostname, id: { value: a.id }, port: 5051 },
                pid: `slave(1)@${a.address}:5051`,
                version: '1.5.0',
              })),
            },
          });
        case 'MARK_AGENT_GONE': {
          const id = call.mark_agent_gone?.agent_id?.value;
          if (typeof id !== 'string') return send(400, "Expecting 'mark_agent_gone' to be present");
          if (state.gone.includes(id)) return send(200);
          const i = state.agents.findIndex((a) => a.id === id);
          if (i < 0) return send(404, `Agent '${id}' not found`);
          state.agents.splice(i, 1);
          state.gone.push(id);
          return send(200);
        }
        default:
          return send(400, `Unsupported call type ${String(call.type)}`);
      }
    });
  };

  for (let i = 0; i < count; i++) {
    const server = http.createServer(handler(i));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    ports.push((server.address() as AddressInfo).port);
  }
  return {
    urls: ports.map((p) => `http://127.0.0.1:${p}`),
    get requests() {
      return state.requests;
    },
    get agents() {
      return state.agents;
    },
    get gone() {
      return state.gone;
    },
    close: async () => {
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeAllConnections();
            }),
        ),
      );
    },
  };
}
