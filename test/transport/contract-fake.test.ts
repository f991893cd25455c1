/** The transport contract (contract.ts) against the scripted fake; test/lab/transport-contract.test.ts runs it on sshd. */
import { describe } from 'vitest';
import type { HostTarget } from '../../src/transport/transport.js';
import { FakeTransport } from '../fakes/fake-transport.js';
import { transportContract, type ContractWorld, type HostRole } from './contract.js';

const ROLES: HostRole[] = ['ok', 'refusing', 'dies', 'full-disk', 'stalls', 'closes', 'no-sessions'];
const UPLOAD_DIR = '/opt/dcos_install_tmp';

function fakeWorld(): ContractWorld {
  const fake = new FakeTransport();
  const target = (role: HostRole): HostTarget => {
    const address = `10.9.0.${ROLES.indexOf(role) + 1}`;
    return { address, port: 22, user: 'root', label: `${address}:22` };
  };
  // What each role's host does, programmed the way the real hosts are arranged in the lab world.
  fake.unreachable(target('refusing').address, 'refused', `${target('refusing').label}: connection refused on port 22`);
  fake.onPut(UPLOAD_DIR, {}, target('ok').address);
  fake.onPut(UPLOAD_DIR, { remoteStatus: 'No space left on device' }, target('full-disk').address);
  fake.onPut(UPLOAD_DIR, { hang: true }, target('stalls').address);
  fake.onPut(UPLOAD_DIR, {}, target('dies').address);
  // The 'dies' host drops the connection during the first command it gets.
  fake.onExec(() => true, { drop: true }, target('dies').address);
  fake.onPut(UPLOAD_DIR, {}, target('closes').address);
  // The 'no-sessions' host accepts the connection and refuses every session channel (sshd MaxSessions 0).
  fake.onExec(() => true, { refuseChannel: true }, target('no-sessions').address);
  return {
    transport: () => fake,
    host: async (role) => target(role),
    script: (command, as) => void fake.onExec((c) => c === command, as),
    dieDuring: async () => undefined,
    uploadDir: UPLOAD_DIR,
    bigFile: '/local/dcos-install.tar',
    stallOptions: () => ({ stallTimeoutMs: 200 }),
  };
}

describe('transport contract: the scripted fake', () => {
  transportContract(fakeWorld);
});
