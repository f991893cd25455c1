import { afterEach, describe, expect, it } from 'vitest';
import { apiUrl, findAgent, OperatorClient, OperatorError } from '../../src/mesos/operator.js';
import { startMesosStandin, type MesosStandin } from '../support/mesos-standin.js';

let standin: MesosStandin | undefined;
afterEach(async () => {
  await standin?.close();
  standin = undefined;
});

const AGENTS = [
  { id: 'S1', hostname: 'agent-1.example', address: '10.0.0.4' },
  { id: 'S2', hostname: '10.0.0.5', address: '10.0.0.5' },
];

describe('the Mesos operator API client against the stand-in', () => {
  it('follows the 307 from a non-leading master to the leader once, then talks to the leader', async () => {
    standin = await startMesosStandin({ masters: 3, leader: 2, token: 'sekrit', agents: AGENTS });
    const client = new OperatorClient({ baseUrl: standin.urls[0]!, token: 'sekrit' });
    const agents = await client.getAgents();
    expect(agents.map((a) => a.id)).toEqual(['S1', 'S2']);
    await client.markAgentGone('S1');
    expect(standin.requests.map((r) => [r.master, r.method, r.path, r.type, r.status, r.authorization])).toEqual([
      [0, 'POST', '/api/v1', 'GET_AGENTS', 307, 'token=sekrit'],
      [2, 'POST', '/api/v1', 'GET_AGENTS', 200, 'token=sekrit'],
      [2, 'POST', '/api/v1', 'MARK_AGENT_GONE', 200, 'token=sekrit'],
    ]);
    expect(standin.requests[2]!.body).toEqual({
      type: 'MARK_AGENT_GONE',
      mark_agent_gone: { agent_id: { value: 'S1' } },
    });
    expect(standin.gone).toEqual(['S1']);
    expect((await client.getAgents()).map((a) => a.id)).toEqual(['S2']);
  });

  it('401 without a token names the two ways to give one, and never echoes a token', async () => {
    standin = await startMesosStandin({ token: 'sekrit', agents: AGENTS });
    const e = (await new OperatorClient({ baseUrl: standin.urls[0]! })
      .getAgents()
      .catch((x: unknown) => x)) as OperatorError;
    expect(e).toBeInstanceOf(OperatorError);
    expect(e.status).toBe(401);
    expect(e.hint).toContain('--dcos-token-file');
    const wrong = (await new OperatorClient({ baseUrl: standin.urls[0]!, token: 'wrong-token' })
      .getAgents()
      .catch((x: unknown) => x)) as OperatorError;
    expect(wrong.status).toBe(401);
    expect(`${wrong.message} ${wrong.hint}`).not.toContain('wrong-token');
  });

  it("an unknown agent id is the master's 404, shown; an unreachable master is a clear error", async () => {
    standin = await startMesosStandin({ agents: AGENTS });
    await expect(new OperatorClient({ baseUrl: standin.urls[0]! }).markAgentGone('nope')).rejects.toThrow(
      /MARK_AGENT_GONE with 404: Agent 'nope' not found/,
    );
    const url = standin.urls[0]!;
    await standin.close();
    standin = undefined;
    await expect(new OperatorClient({ baseUrl: url, timeoutMs: 2000 }).getAgents()).rejects.toThrow(
      /GET_AGENTS to http:\/\/127\.0\.0\.1:\d+\/api\/v1 failed: .*ECONNREFUSED/,
    );
  });

  it('URLs: a path prefix (Admin Router) is kept; other schemes are refused', () => {
    expect(apiUrl('https://10.0.0.1/mesos/').href).toBe('https://10.0.0.1/mesos/api/v1');
    expect(apiUrl('http://10.0.0.1:5050').href).toBe('http://10.0.0.1:5050/api/v1');
    expect(() => apiUrl('ftp://x')).toThrow(/only http and https/);
    expect(() => apiUrl('not a url')).toThrow(/is not a URL/);
  });

  it('an agent is matched by hostname or by the address in its pid', () => {
    const agents = [
      { id: 'A', hostname: 'h1', pid: 'slave(1)@10.0.0.4:5051' },
      { id: 'B', hostname: '10.0.0.5' },
    ];
    expect(findAgent(agents, '10.0.0.4')?.id).toBe('A');
    expect(findAgent(agents, '10.0.0.5')?.id).toBe('B');
    expect(findAgent(agents, '10.0.0.40')).toBeUndefined();
  });
});
