/**
 * templates/remote/uninstall.sh and the Docker proxy drop-in, run as root in the mount-namespace sandbox with the
 * systemctl stand-in: the drop-in dcos_install.sh wrote (its first line marks it) is removed, its emptied directory
 * too, and systemd is told (daemon-reload) even on a node with no DC/OS unit left; an operator's own drop-in at the
 * same path is kept and reported, and nothing is reloaded for it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { withSandbox } from '../support/sandbox.js';
import { needSandbox } from './tools.js';

const UNINSTALL = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../templates/remote/uninstall.sh');
const DROP_IN = '/etc/systemd/system/docker.service.d/http-proxy.conf';
const MARK = '# Written by dcos_install.sh (use_proxy: true); genconf --uninstall removes it.';
const BODY =
  '[Service]\nEnvironment="HTTP_PROXY=http://proxy:3128" "HTTPS_PROXY=http://proxy:3128" "NO_PROXY=.mesos"\n';

describe('uninstall and the Docker proxy drop-in', { timeout: 120_000 }, () => {
  test('removes the drop-in dcos_install.sh wrote, then daemon-reload; a second run has nothing to do', async (ctx) => {
    needSandbox(ctx);
    await withSandbox((sb) => {
      fs.mkdirSync(sb.hostPath(path.dirname(DROP_IN)), { recursive: true });
      fs.writeFileSync(sb.hostPath(DROP_IN), `${MARK}\n${BODY}`, { mode: 0o600 });
      const r = sb.run(['bash', '-s'], { input: fs.readFileSync(UNINSTALL, 'utf8') });
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain(`REMOVED ${DROP_IN}\n`);
      expect(r.stdout).not.toContain('LEFTOVER');
      expect(fs.existsSync(sb.hostPath(path.dirname(DROP_IN)))).toBe(false);
      const calls = fs.readFileSync(sb.hostPath('/etc/systemd/.stub-calls'), 'utf8').split('\n');
      expect(calls).toContain('daemon-reload');

      fs.rmSync(sb.hostPath('/etc/systemd/.stub-calls'));
      const again = sb.run(['bash', '-s'], { input: fs.readFileSync(UNINSTALL, 'utf8') });
      expect(again.status, again.stdout + again.stderr).toBe(0);
      expect(again.stdout).toContain(`ABSENT ${DROP_IN}\n`);
      expect(fs.readFileSync(sb.hostPath('/etc/systemd/.stub-calls'), 'utf8').split('\n')).not.toContain(
        'daemon-reload',
      );
    });
  });

  test("keeps an operator's own drop-in at that path, and its neighbours", async (ctx) => {
    needSandbox(ctx);
    await withSandbox((sb) => {
      fs.mkdirSync(sb.hostPath(path.dirname(DROP_IN)), { recursive: true });
      fs.writeFileSync(sb.hostPath(DROP_IN), BODY);
      fs.writeFileSync(sb.hostPath(path.join(path.dirname(DROP_IN), 'other.conf')), '[Service]\n');
      const r = sb.run(['bash', '-s'], { input: fs.readFileSync(UNINSTALL, 'utf8') });
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain(`KEPT ${DROP_IN} (not written by dcos_install.sh)\n`);
      expect(fs.readFileSync(sb.hostPath(DROP_IN), 'utf8')).toBe(BODY);
      expect(fs.existsSync(sb.hostPath(path.join(path.dirname(DROP_IN), 'other.conf')))).toBe(true);
      expect(fs.readFileSync(sb.hostPath('/etc/systemd/.stub-calls'), 'utf8').split('\n')).not.toContain(
        'daemon-reload',
      );
    });
  });
});
