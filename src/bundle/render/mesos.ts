/** Mesos master and agent settings, their modules, and the log rotation of their logs. */

import { ConfigReader, lines } from './config-reader.js';
import { type BundleEntry, file } from './types.js';

/** Every Mesos component finds the masters through the ZooKeeper names dcos-net serves. */
export const MESOS_ZK = 'zk://zk-1.zk:2181,zk-2.zk:2181,zk-3.zk:2181,zk-4.zk:2181,zk-5.zk:2181/mesos';
const MODULES_LIB = '/opt/mesosphere/active/mesos-modules/lib/mesos';

export function renderMesos(a: ConfigReader): BundleEntry[] {
  const masterLog = a.line('mesos_master_log_file');
  const agentLog = a.line('mesos_agent_log_file');
  const overlay = a.flag('dcos_overlay_enable');
  const out: BundleEntry[] = [
    file('etc/mesos-master', masterEnv(a)),
    file('etc/mesos-master-provider', lines(`MESOS_CLUSTER=${a.line('cluster_name')}`)),
    file('etc/mesos-slave-common', agentEnv(a)),
    file(
      'etc/mesos-slave',
      lines(
        `MESOS_RESOURCES=${portResources([
          [1025, 2180],
          [2182, 3887],
          [3889, 5049],
          [5052, 8079],
          [8082, 8180],
          [8182, 32000],
        ])}`,
      ),
    ),
    file(
      'etc/mesos-slave-public',
      lines(
        `MESOS_RESOURCES=${portResources([
          [1, 21],
          [23, 5050],
          [5052, 32000],
        ])}`,
        'MESOS_DEFAULT_ROLE=slave_public',
        'MESOS_ATTRIBUTES=public_ip:true',
      ),
    ),
    file(
      'etc/mesos-executor-environment.json',
      lines(
        '{',
        '  "PATH": "/usr/bin:/bin",',
        '  "SHELL": "/usr/bin/bash",',
        '  "LIBPROCESS_NUM_WORKER_THREADS": "8"',
        '}',
      ),
    ),
    file('etc/mesos-master-modules/dummy.json', lines('{}')),
    file('etc/mesos-slave-modules/dummy.json', lines('{}')),
    file(
      'etc/mesos-master-modules/logsink.json',
      moduleFile('liblogsink.so', [['com_mesosphere_mesos_LogSink', 'output_file', masterLog]]),
    ),
    file(
      'etc/mesos-slave-modules/logsink.json',
      moduleFile('liblogsink.so', [['com_mesosphere_mesos_LogSink', 'output_file', agentLog]]),
    ),
    file('etc/mesos-slave-modules/journal_logger_modules.json', journaldLogger(a.line('mesos_container_log_sink'))),
    file('etc/mesos-slave-dns.json', slaveDns(a.flag('enable_ipv6'))),
    file(
      'etc/mesos-slave-image-gc-config.json',
      lines(
        '{',
        '  "image_disk_headroom": 0.1,',
        '  "image_disk_watch_interval": {',
        '    "nanoseconds": 300000000000',
        '  },',
        '  "excluded_images": []',
        '}',
      ),
    ),
    file('etc/logrotate_master.config', logrotate(a, masterLog, '/var/lib/dcos/mesos/log/')),
    file('etc/logrotate_agent.config', logrotate(a, agentLog, '/var/log/mesos/')),
  ];
  if (overlay) {
    out.push(
      file(
        'etc/mesos-master-modules/overlay_master_modules.json',
        moduleFile('libmesos_network_overlay.so', [
          [
            'com_mesosphere_mesos_OverlayMasterManager',
            'master_config',
            '/opt/mesosphere/etc/overlay/config/master.json',
          ],
          [
            'com_mesosphere_mesos_OverlayAgentManager',
            'agent_config',
            '/opt/mesosphere/etc/overlay/config/agent-master.json',
          ],
        ]),
      ),
      file(
        'etc/mesos-slave-modules/overlay_slave_modules.json',
        moduleFile('libmesos_network_overlay.so', [
          ['com_mesosphere_mesos_OverlayAgentManager', 'agent_config', '/opt/mesosphere/etc/overlay/config/agent.json'],
        ]),
      ),
    );
  }
  if (a.flag('dcos_remove_dockercfg_enable')) {
    out.push(
      file(
        'etc/mesos-slave-modules/remove_dockercfg_slave_modules.json',
        lines(
          '{',
          '  "libraries":',
          '  [',
          '    {',
          `      "file": "${MODULES_LIB}/libremovedockercfg.so",`,
          '      "modules":',
          '        [',
          '          {',
          '            "name": "com_mesosphere_dcos_RemoverHook"',
          '          }',
          '        ]',
          '     }',
          '  ]',
          '}',
        ),
      ),
    );
  }
  return out;
}

function masterEnv(a: ConfigReader): string {
  // has_mesos_max_completed_tasks_per_framework is only calculated by the original when the template asks.
  const maxCompleted = a.line('mesos_max_completed_tasks_per_framework', '');
  const hasMaxCompleted =
    a.line('has_mesos_max_completed_tasks_per_framework', maxCompleted === '' ? 'false' : 'true') === 'true';
  return lines(
    `MESOS_EXTERNAL_LOG_FILE=${a.line('mesos_master_log_file')}`,
    'MESOS_MODULES_DIR=/opt/mesosphere/etc/mesos-master-modules',
    'MESOS_REGISTRY_STORE_TIMEOUT=60secs',
    'MESOS_REGISTRY_FETCH_TIMEOUT=60secs',
    'MESOS_REGISTRY_STRICT=false',
    'MESOS_SLAVE_REMOVAL_RATE_LIMIT=1/20mins',
    'MESOS_OFFER_TIMEOUT=2mins',
    `MESOS_WORK_DIR=${a.line('mesos_master_work_dir')}`,
    `MESOS_ZK=${MESOS_ZK}`,
    `MESOS_WEIGHTS=${a.line('weights')}`,
    `MESOS_QUORUM=${a.line('master_quorum')}`,
    'MESOS_HOSTNAME_LOOKUP=false',
    'MESOS_MAX_SLAVE_PING_TIMEOUTS=20',
    `MESOS_FAIR_SHARING_EXCLUDED_RESOURCE_NAMES=${a.line('fair_sharing_excluded_resource_names')}`,
    `MESOS_FILTER_GPU_RESOURCES=${a.line('gpus_are_scarce')}`,
    hasMaxCompleted && `MESOS_MAX_COMPLETED_TASKS_PER_FRAMEWORK=${maxCompleted}`,
    'GLOG_drop_log_memory=false',
    'LIBPROCESS_NUM_WORKER_THREADS=16',
    'SASL_PATH=/opt/mesosphere/lib/sasl2',
  );
}

function agentEnv(a: ConfigReader): string {
  const hooks = a.line('mesos_hooks', '');
  const useHooks = a.line('use_mesos_hooks', hooks === '' ? 'false' : 'true') === 'true';
  const registry = a.line('cluster_docker_registry_url', '');
  const useRegistry = a.line('cluster_docker_registry_enabled', registry === '' ? 'false' : 'true') === 'true';
  const credsEnabled = a.flag('cluster_docker_credentials_enabled', 'false');
  return lines(
    `MESOS_MASTER=${MESOS_ZK}`,
    'MESOS_CONTAINERIZERS=docker,mesos',
    `MESOS_EXTERNAL_LOG_FILE=${a.line('mesos_agent_log_file')}`,
    'MESOS_MODULES_DIR=/opt/mesosphere/etc/mesos-slave-modules',
    'MESOS_CONTAINER_LOGGER=com_mesosphere_mesos_JournaldLogger',
    `MESOS_ISOLATION=${a.line('mesos_isolation')}`,
    'MESOS_DOCKER_VOLUME_CHECKPOINT_DIR=/var/lib/mesos/isolators/docker/volume',
    'MESOS_IMAGE_PROVIDERS=docker',
    `MESOS_NETWORK_CNI_ROOT_DIR_PERSIST=${a.line('mesos_cni_root_dir_persist')}`,
    'MESOS_NETWORK_CNI_CONFIG_DIR=/opt/mesosphere/etc/dcos/network/cni',
    'MESOS_NETWORK_CNI_PLUGINS_DIR=/opt/mesosphere/active/cni/:/opt/mesosphere/active/dcos-cni/:/opt/mesosphere/active/mesos/libexec/mesos',
    `MESOS_WORK_DIR=${a.line('mesos_agent_work_dir')}`,
    'MESOS_SLAVE_SUBSYSTEMS=cpu,memory',
    'MESOS_LAUNCHER_DIR=/opt/mesosphere/active/mesos/libexec/mesos',
    'MESOS_EXECUTOR_ENVIRONMENT_VARIABLES=file:///opt/mesosphere/etc/mesos-executor-environment.json',
    'MESOS_EXECUTOR_REGISTRATION_TIMEOUT=10mins',
    'MESOS_EXECUTOR_REREGISTRATION_TIMEOUT=10secs',
    'MESOS_RECONFIGURATION_POLICY=additive',
    `MESOS_RECOVERY_TIMEOUT=${a.line('mesos_recovery_timeout')}`,
    'MESOS_CGROUPS_ENABLE_CFS=true',
    'MESOS_CGROUPS_LIMIT_SWAP=false',
    'MESOS_DISALLOW_SHARING_AGENT_PID_NAMESPACE=true',
    `MESOS_DOCKER_REMOVE_DELAY=${a.line('docker_remove_delay')}`,
    `MESOS_DOCKER_STOP_TIMEOUT=${a.line('docker_stop_timeout')}`,
    'MESOS_DOCKER_STORE_DIR=/var/lib/mesos/slave/store/docker',
    `MESOS_GC_DELAY=${a.line('gc_delay')}`,
    'MESOS_HOSTNAME_LOOKUP=false',
    'MESOS_DEFAULT_CONTAINER_DNS=file:///opt/mesosphere/etc/mesos-slave-dns.json',
    'MESOS_IMAGE_GC_CONFIG=file:///opt/mesosphere/etc/mesos-slave-image-gc-config.json',
    'GLOG_drop_log_memory=false',
    useHooks && `MESOS_HOOKS=${hooks}`,
    useRegistry && `MESOS_DOCKER_REGISTRY=${registry}`,
    credsEnabled && `MESOS_DOCKER_CONFIG=file://${credentialsPath(a)}`,
  );
}

/** Where the agent reads Docker registry credentials: ours when DC/OS owns them, else the host's. */
export function credentialsPath(a: ConfigReader): string {
  const owned = a.flag('cluster_docker_credentials_dcos_owned', 'false');
  return a.line(
    'cluster_docker_credentials_path',
    owned ? '/opt/mesosphere/etc/docker_credentials' : '/etc/mesosphere/docker_credentials',
  );
}

function portResources(ranges: Array<[number, number]>): string {
  const r = ranges.map(([b, e]) => `{"begin": ${b}, "end": ${e}}`).join(',');
  return `[{"name":"ports","type":"RANGES","ranges": {"range": [${r}]}}]`;
}

/** A Mesos modules file: one library, modules each with one key/value parameter. */
function moduleFile(lib: string, modules: Array<[name: string, key: string, value: string]>): string {
  const mods = modules.map(([name, key, value]) =>
    [
      '          {',
      `            "name": ${JSON.stringify(name)},`,
      '            "parameters" :',
      '              [',
      '                {',
      `                  "key": ${JSON.stringify(key)},`,
      `                  "value" : ${JSON.stringify(value)}`,
      '                }',
      '              ]',
      '          }',
    ].join('\n'),
  );
  return lines(
    '{',
    '  "libraries":',
    '  [',
    '    {',
    `      "file": "${MODULES_LIB}/${lib}",`,
    '      "modules":',
    '        [',
    mods.join(',\n'),
    '        ]',
    '     }',
    '  ]',
    '}',
  );
}

function journaldLogger(sink: string): string {
  const params: Array<[string, string]> = [
    ['destination_type', sink],
    ['companion_dir', '/opt/mesosphere/active/mesos-modules/bin/'],
    ['libprocess_num_worker_threads', '2'],
    ['logrotate_max_stdout_size', '2MB'],
    ['logrotate_stdout_options', 'rotate 9'],
    ['logrotate_max_stderr_size', '2MB'],
    ['logrotate_stderr_options', 'rotate 9'],
  ];
  const body = params
    .map(([k, v]) =>
      [`              "key": ${JSON.stringify(k)},`, `              "value": ${JSON.stringify(v)}`].join('\n'),
    )
    .join('\n            }, {\n');
  return lines(
    '{',
    '  "libraries": [',
    '    {',
    `      "file": "${MODULES_LIB}/libjournaldlogger.so",`,
    '      "modules": [',
    '        {',
    '          "name": "com_mesosphere_mesos_JournaldLogger",',
    '          "parameters": [',
    '            {',
    body,
    '            }',
    '          ]',
    '        }',
    '      ]',
    '    }',
    '  ]',
    '}',
  );
}

/** Containers on the USER network resolve through dcos-net's fixed addresses. */
function slaveDns(ipv6: boolean): string {
  const servers = ipv6 ? ['198.51.100.1', 'fd01:d::c633:6401'] : ['198.51.100.1'];
  return lines(
    '{',
    '  "docker":',
    '  [',
    '      {',
    '        "network_mode": "USER",',
    '        "dns": {',
    '          "nameservers": [',
    servers.map((s) => `            ${JSON.stringify(s)}`).join(',\n'),
    '          ]',
    '        }',
    '      }',
    '  ]',
    '}',
  );
}

function logrotate(a: ConfigReader, logFile: string, dir: string): string {
  return lines(
    'compress',
    'delaycompress',
    'notifempty',
    'missingok',
    'nomail',
    `${logFile} {`,
    `    olddir ${dir}archive`,
    '    size 256M',
    `    rotate ${a.line('mesos_log_retention_count')}`,
    '    copytruncate',
    '    postrotate',
    `        /opt/mesosphere/bin/delete-oldest-unmanaged-files.py ${dir} ${a.line('mesos_log_directory_max_files')} ${logFile}`,
    '    endscript',
    '}',
  );
}
