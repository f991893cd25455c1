/** How nodes find the masters (static list or an internal load balancer) and Exhibitor's shared state. */

import { ConfigReader, lines } from './config-reader.js';
import { type BundleEntry, MODE_SECRET, file } from './types.js';

export function renderDiscovery(a: ConfigReader): BundleEntry[] {
  const out: BundleEntry[] = [file('etc_master/master_count', lines(a.line('num_masters')))];
  const discovery = a.line('master_discovery');
  const resolvers = `RESOLVERS=${a.line('resolvers_str')}`;
  let internalLb: string | undefined;
  if (discovery === 'static') {
    out.push(
      file('etc/dns_config', lines('MASTER_SOURCE=master_list', resolvers)),
      file('etc_master/dns_config_master', lines('MASTER_SOURCE=master_list')),
      file('etc/master_list', lines(a.line('master_list'))),
    );
  } else if (discovery === 'master_http_loadbalancer') {
    internalLb = a.line('exhibitor_address');
    out.push(
      file(
        'etc/dns_config',
        lines(
          'MASTER_SOURCE=exhibitor_uri',
          `EXHIBITOR_URI=http://${internalLb}:8181/exhibitor/v1/cluster/status`,
          `EXHIBITOR_ADDRESS=${internalLb}`,
          resolvers,
        ),
      ),
      // A master asks its own Exhibitor, not the load balancer in front of all of them.
      file(
        'etc_master/dns_config_master',
        lines(
          'MASTER_SOURCE=exhibitor_uri',
          'EXHIBITOR_URI=http://127.0.0.1:8181/exhibitor/v1/cluster/status',
          'EXHIBITOR_ADDRESS=127.0.0.1',
        ),
      ),
    );
  } else {
    throw new Error(`config renderer: unknown master_discovery '${discovery}'`);
  }
  const externalLb = a.line('master_external_loadbalancer', '');
  const hasExternalLb = a.line('has_master_external_loadbalancer', externalLb === '' ? 'false' : 'true') === 'true';
  out.push(
    file(
      'etc/extra_master_addresses',
      lines(
        internalLb !== undefined && `INTERNAL_MASTER_LB_DNSNAME=${internalLb}`,
        hasExternalLb && `MASTER_LB_DNSNAME=${externalLb}`,
      ),
    ),
  );
  out.push(...exhibitor(a));
  return out;
}

function exhibitor(a: ConfigReader): BundleEntry[] {
  const backend = a.line('exhibitor_storage_backend');
  const out: BundleEntry[] = [];
  const env = (...l: string[]): void => void out.push(file('etc/exhibitor', lines(...l)));
  // exhibitor.properties carries cloud credentials: only root (Exhibitor runs as root) needs to read it.
  const properties = (...l: string[]): void =>
    void out.push(file('etc/exhibitor.properties', lines(...l), MODE_SECRET));
  switch (backend) {
    case 'static':
      env('EXHIBITOR_BACKEND=STATIC', `EXHIBITOR_STATICENSEMBLE=${a.line('exhibitor_static_ensemble')}`);
      break;
    case 'zookeeper':
      env(
        'EXHIBITOR_BACKEND=ZK',
        `ZK_CONFIG_CONNECT=${a.line('exhibitor_zk_hosts')}`,
        `ZK_CONFIG_ZPATH=${a.line('exhibitor_zk_path')}`,
      );
      break;
    case 'aws_s3':
      env(
        'EXHIBITOR_BACKEND=AWS_S3',
        `AWS_REGION=${a.line('aws_region')}`,
        `AWS_S3_BUCKET=${a.line('s3_bucket')}`,
        `AWS_S3_PREFIX=${a.line('s3_prefix')}`,
      );
      // Without explicit keys Exhibitor uses the instance profile.
      if (a.flag('exhibitor_explicit_keys')) {
        properties(
          `com.netflix.exhibitor.s3.access-key-id=${a.line('aws_access_key_id')}`,
          `com.netflix.exhibitor.s3.access-secret-key=${a.line('aws_secret_access_key', '')}`,
        );
      }
      break;
    case 'azure':
      env(
        'EXHIBITOR_BACKEND=AZURE',
        'AZURE_CONTAINER=dcos-exhibitor',
        `AZURE_PREFIX=${a.line('exhibitor_azure_prefix')}`,
      );
      properties(
        `com.netflix.exhibitor.azure.account-name=${a.line('exhibitor_azure_account_name')}`,
        `com.netflix.exhibitor.azure.account-key=${a.line('exhibitor_azure_account_key', '')}`,
      );
      break;
    case 'shared_filesystem':
      env('EXHIBITOR_BACKEND=SHARED_FS', `EXHIBITOR_FSCONFIGDIR=${a.line('exhibitor_fs_config_dir')}`);
      break;
    case 'agent_only_group_no_exhibitor':
      env('# File intentionally has no settings - Exhibitor is not used on DC/OS Agents');
      break;
    default:
      throw new Error(`config renderer: unknown exhibitor_storage_backend '${backend}'`);
  }
  const password = a.line('exhibitor_admin_password', '');
  if (a.line('exhibitor_admin_password_enabled', password === '' ? 'false' : 'true') === 'true') {
    out.push(
      file('etc_master/exhibitor_web.xml', EXHIBITOR_WEB_XML),
      // Jetty's HashLoginService realm: `user: password,role`. It holds the password, so owner-only.
      file('etc_master/exhibitor_realm', lines(`admin: ${password},admin`), MODE_SECRET),
    );
  }
  return out;
}

// Basic auth on all of Exhibitor's UI and API except the status endpoint nodes poll for the master list.
const EXHIBITOR_WEB_XML = lines(
  '<?xml version="1.0" encoding="UTF-8"?>',
  '<web-app xmlns="http://java.sun.com/xml/ns/javaee"',
  '  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"',
  '  xsi:schemaLocation="http://java.sun.com/xml/ns/javaee http://java.sun.com/xml/ns/javaee/web-app_2_5.xsd"',
  '  version="2.5">',
  '  <security-constraint>',
  '    <web-resource-collection>',
  '      <web-resource-name>Protected</web-resource-name>',
  '      <url-pattern>/*</url-pattern>',
  '    </web-resource-collection>',
  '    <auth-constraint>',
  '      <role-name>admin</role-name>',
  '    </auth-constraint>',
  '  </security-constraint>',
  '  <security-constraint>',
  '    <web-resource-collection>',
  '      <web-resource-name>Public</web-resource-name>',
  '      <url-pattern>/exhibitor/v1/cluster/status</url-pattern>',
  '    </web-resource-collection>',
  '  </security-constraint>',
  '  <security-role>',
  '    <role-name>admin</role-name>',
  '  </security-role>',
  '  <login-config>',
  '    <auth-method>BASIC</auth-method>',
  '    <realm-name>DCOS</realm-name>',
  '  </login-config>',
  '</web-app>',
);
