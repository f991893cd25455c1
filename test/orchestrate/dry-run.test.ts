import { describe, expect, it } from 'vitest';
import { dryRunPlan, renderDryRun } from '../../src/orchestrate/dry-run.js';
import { deployPull } from '../../src/stages/deploy.js';
import { STAGES } from '../../src/stages/index.js';
import { clusterPlan } from '../fakes/cluster.js';

describe('--dry-run', () => {
  it('prints the exact commands of every step for every host, by phase, without a transport', () => {
    const plan = clusterPlan({ master_list: '["10.0.0.1"]', agent_list: '["10.0.0.4"]', public_agent_list: '[]' });
    expect(renderDryRun(STAGES.deploy, plan, '/g')).toMatchInlineSnapshot(`
      "[deploy] dry run: nothing is touched. 2 hosts, 20 at a time.

      phase masters:

      10.0.0.1:22 (master, as centos)
        1.     Create the staging directory, owned by centos: sudo -n install -d -o centos -m 0755 /opt/dcos_install_tmp
        2.     Copy dcos-install.tar: copy serve/dcos-install.tar to /opt/dcos_install_tmp/dcos-install.tar (mode 0644)
        3.     Verify the SHA-256 of dcos-install.tar on the node: sha256sum /opt/dcos_install_tmp/dcos-install.tar
        4.     Unpack dcos-install.tar: tar -xf /opt/dcos_install_tmp/dcos-install.tar -C /opt/dcos_install_tmp
        5.     Install DC/OS as master: sudo -n bash /opt/dcos_install_tmp/dcos_install.sh master
        always Remove the staging directory: sudo -n rm -rf --one-file-system /opt/dcos_install_tmp

      phase agents, only after every master succeeded (unless --continue-on-master-failure):

      10.0.0.4:22 (agent, as centos)
        1.     Create the staging directory, owned by centos: sudo -n install -d -o centos -m 0755 /opt/dcos_install_tmp
        2.     Copy dcos-install.tar: copy serve/dcos-install.tar to /opt/dcos_install_tmp/dcos-install.tar (mode 0644)
        3.     Verify the SHA-256 of dcos-install.tar on the node: sha256sum /opt/dcos_install_tmp/dcos-install.tar
        4.     Unpack dcos-install.tar: tar -xf /opt/dcos_install_tmp/dcos-install.tar -C /opt/dcos_install_tmp
        5.     Install DC/OS as slave: sudo -n bash /opt/dcos_install_tmp/dcos_install.sh slave
        always Remove the staging directory: sudo -n rm -rf --one-file-system /opt/dcos_install_tmp
      "
    `);
  });

  it('shows what a command reads on stdin, and a cleanup that runs only when the command was cut off', () => {
    const plan = clusterPlan({ master_list: '["10.0.0.1"]', agent_list: '[]', public_agent_list: '[]' });
    expect(renderDryRun(STAGES.preflight, plan, '/g')).toMatchInlineSnapshot(`
      "[preflight] dry run: nothing is touched. 1 host, 20 at a time.

      10.0.0.1:22 (master, as centos)
        1.     Run the preflight checks: sudo -n bash -s -- /opt/dcos_install_tmp master < /t/remote/preflight.sh + base64(ip-detect) + serve/dcos_install.sh
        if cut Remove the staging directory: sudo -n rm -rf --one-file-system /opt/dcos_install_tmp
      "
    `);
    expect(dryRunPlan(STAGES.preflight, plan)[0]!.hosts[0]!.steps.map((st) => st.cleanupWhen)).toEqual([
      undefined,
      'after-abort',
    ]);
  });

  it('gives the same steps as data for --json', () => {
    const plan = clusterPlan();
    const phases = dryRunPlan(STAGES.uninstall, plan);
    expect(phases).toHaveLength(1);
    expect(phases[0]!.hosts.map((h) => h.host)).toEqual([
      '10.0.0.1:22',
      '10.0.0.2:22',
      '10.0.0.3:22',
      '10.0.0.4:22',
      '10.0.0.5:22',
    ]);
    expect(phases[0]!.hosts[0]!.steps).toEqual([
      {
        id: 'uninstall',
        title: 'Stop and remove DC/OS',
        cleanup: false,
        command: 'sudo -n bash -s',
        stdin: [{ file: '/t/remote/uninstall.sh' }],
        timeout: { seconds: 120, option: 'process_timeout in config.yaml' },
      },
    ]);
  });

  it('names computed stdin (the pull settings, which may hold a proxy password) by its label, never its text', () => {
    const plan = clusterPlan({ master_list: '["10.0.0.1"]', agent_list: '[]', public_agent_list: '[]' });
    plan.files = {
      ...plan.files,
      pullUrl: 'http://10.0.0.9:8080',
      installScriptSha256: 'cd'.repeat(32),
      installScriptSize: 4242,
      pullSettings: '@@genconf pull settings\nmirrors\nuse_proxy true\nhttp_proxy http://u:secret@p:3128\n',
      pullScript: '/t/remote/pull-install.sh',
      pullLib: '/t/lib/fetch-artifacts.sh',
    };
    const text = renderDryRun(deployPull, plan, '/g');
    expect(text).toContain(
      `sudo -n bash -s -- /opt/dcos_install_tmp master http://10.0.0.9:8080 ${'cd'.repeat(32)} 4242 < /t/lib/fetch-artifacts.sh + /t/remote/pull-install.sh + <mirrors and proxy settings>`,
    );
    const data = JSON.stringify(dryRunPlan(deployPull, plan));
    expect(data).toContain('{"label":"mirrors and proxy settings"}');
    expect(text + data).not.toContain('secret');
  });

  it('quotes config text in the commands it shows', () => {
    const plan = clusterPlan({ ssh_user: "o'brien" });
    const mkdir = dryRunPlan(STAGES.deploy, plan)[0]!.hosts[0]!.steps[0]!;
    expect(mkdir.command).toBe(`sudo -n install -d -o 'o'\\''brien' -m 0755 /opt/dcos_install_tmp`);
  });
});
