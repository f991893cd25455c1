/**
 * ssh_config resolution: Host patterns and negation, first value wins, Include, tokens, Match exec never run,
 * ProxyCommand refused, values checked with file:line, and the precedence against config.yaml and the flags.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chooseSshConfig, describeSshSettings, readSshSettings } from '../../src/commands/ssh-settings.js';
import { parseArgs } from '../../src/cli/args.js';
import { sshSettings } from '../../src/config/ssh-settings.js';
import { planCluster } from '../../src/derive/plan.js';
import { InputError } from '../../src/errors.js';
import { resolveHostSsh, type ResolveContext } from '../../src/transport/host-ssh.js';
import { loadSshConfig, lookupSshConfig, parseJumpSpec } from '../../src/transport/ssh-config.js';

let home: string;

beforeEach(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'genconf-sshcfg-'));
  await mkdir(path.join(home, '.ssh', 'conf.d'), { recursive: true });
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

async function config(text: string, name = 'ssh_config'): Promise<string> {
  const file = path.join(home, name);
  await writeFile(file, text);
  return file;
}

function ctx(file: string, over: Partial<ResolveContext> = {}): ResolveContext {
  return {
    sshConfig: loadSshConfig(file, { home }),
    flags: {},
    defaultUser: 'centos',
    defaultPort: 22,
    baseDir: '/base',
    home,
    localUser: 'me',
    ...over,
  };
}

describe('ssh_config lookup', () => {
  it('matches Host patterns, honours negation, and keeps the first value obtained', async () => {
    const file = await config(
      [
        'Host 10.0.1.* !10.0.1.9',
        '  User ops',
        '  Port 2222',
        'Host 10.0.1.5',
        '  User late',
        'Host *',
        '  User everyone',
        '  Port 22',
        '  IdentityFile ~/.ssh/a',
        '  IdentityFile ~/.ssh/b',
        '',
      ].join('\n'),
    );
    const cfg = loadSshConfig(file, { home });
    expect(lookupSshConfig(cfg, '10.0.1.5')).toMatchObject({
      user: 'ops',
      port: 2222,
      identityFiles: ['~/.ssh/a', '~/.ssh/b'],
    });
    expect(lookupSshConfig(cfg, '10.0.1.9')).toMatchObject({ user: 'everyone', port: 22 });
    expect(lookupSshConfig(cfg, '10.0.2.1').user).toBe('everyone');
  });

  it('follows Include relative to ~/.ssh, with globs in file order, and lists what it read', async () => {
    await writeFile(path.join(home, '.ssh', 'conf.d', 'b.conf'), 'Host agent-*\n  User from-b\n');
    await writeFile(path.join(home, '.ssh', 'conf.d', 'a.conf'), 'Host agent-1\n  User from-a\n  HostName 10.9.0.1\n');
    const file = await config('Include conf.d/*.conf\nHost *\n  User fallback\n');
    const cfg = loadSshConfig(file, { home });
    expect(cfg.files.map((f) => path.basename(f))).toEqual(['ssh_config', 'a.conf', 'b.conf']);
    expect(lookupSshConfig(cfg, 'agent-1')).toMatchObject({ user: 'from-a', hostName: '10.9.0.1' });
    expect(lookupSshConfig(cfg, 'agent-2').user).toBe('from-b');
    expect(lookupSshConfig(cfg, 'other').user).toBe('fallback');
  });

  it('refuses a Host line in a file Included from inside a Host block, naming file and line', async () => {
    await writeFile(path.join(home, '.ssh', 'inner.conf'), 'User x\nHost y\n');
    const file = await config('Host a\n  Include inner.conf\n');
    expect(() => loadSshConfig(file, { home })).toThrow(
      /inner\.conf:2: Host inside a file Included from within a Host or Match block \(.*ssh_config:2\)/,
    );
  });

  it('never runs Match exec', async () => {
    const marker = path.join(home, 'ran');
    const file = await config(`Match exec "touch ${marker}"\n  User fromexec\nHost *\n  User plain\n`);
    expect(lookupSshConfig(loadSshConfig(file, { home }), 'h').user).toBe('plain');
    expect(existsSync(marker)).toBe(false);
  });

  it('refuses ProxyCommand for a host it applies to, and only for those', async () => {
    const file = await config('Host github.com\n  ProxyCommand nc %h %p\nHost *\n  User ops\n');
    const cfg = loadSshConfig(file, { home });
    expect(lookupSshConfig(cfg, '10.0.0.1').user).toBe('ops');
    expect(() => lookupSshConfig(cfg, 'github.com')).toThrow(
      /ssh_config:2: ProxyCommand applies to host github.com; genconf does not run proxy commands/,
    );
  });

  it('checks values when reading, naming file, line and key', async () => {
    const file = await config('Host a\n\n  Port twenty\n');
    let err: unknown;
    try {
      loadSshConfig(file, { home });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toBe(`${file}:3: Port twenty: must be an integer from 1 to 65535`);
    await expect(config('Host a\n  ProxyJump bad host\n').then((f) => loadSshConfig(f, { home }))).rejects.toThrow(
      /ProxyJump bad host: 'bad host' is not \[user@\]host\[:port\]/,
    );
  });

  it('lists the keys it ignores once each, with where they were first seen', async () => {
    const file = await config('ForwardX11 no\nHost a\n  ForwardX11 yes\n  compression yes\n  user ops\n');
    const cfg = loadSshConfig(file, { home });
    expect(cfg.ignored).toEqual([`ForwardX11 (${file}:1)`, `compression (${file}:4)`]);
    expect(lookupSshConfig(cfg, 'a').user).toBe('ops');
  });

  it('parses ProxyJump hops', () => {
    expect(parseJumpSpec('ops@bastion:2222')).toEqual({ host: 'bastion', user: 'ops', port: 2222 });
    expect(parseJumpSpec('ssh://[::1]:22')).toEqual({ host: '::1', port: 22 });
    expect(parseJumpSpec('b')).toEqual({ host: 'b' });
    expect(parseJumpSpec('a b')).toBeUndefined();
    expect(parseJumpSpec('a:0')).toBeUndefined();
  });
});

describe('per-host resolution and precedence', () => {
  it('expands %h %p %r %u %% and ~ in IdentityFile, after HostName, user and port are decided', async () => {
    const file = await config(
      'Host db-*\n  HostName %h.internal\n  User ops\n  Port 2200\n  IdentityFile ~/.ssh/%r@%h:%p-%u-100%%\n',
    );
    const r = resolveHostSsh('db-1', undefined, ctx(file));
    expect(r.ssh.hostName).toBe('db-1.internal');
    expect(r.ssh.identityFiles).toEqual([path.join(home, '.ssh', 'ops@db-1.internal:2200-me-100%')]);
    const bad = await config('Host *\n  IdentityFile ~/.ssh/%C\n', 'bad');
    expect(() => resolveHostSsh('x', undefined, ctx(bad))).toThrow(/the token %C is not supported/);
  });

  it('ssh_host_overrides beat ssh_config, which beats ssh_user/ssh_port; tokens use the winning values', async () => {
    const file = await config('Host 10.0.0.*\n  User cfg\n  Port 2022\n  IdentityFile ~/.ssh/%r\n');
    const c = ctx(file, { defaultUser: 'yamluser', defaultPort: 2201 });
    expect(resolveHostSsh('10.0.0.1', undefined, c)).toMatchObject({
      user: 'cfg',
      port: 2022,
      ssh: { sources: { user: 'ssh_config', port: 'ssh_config', identity: 'ssh_config' } },
    });
    const o = resolveHostSsh('10.0.0.1', { user: 'over', port: 2999 }, c);
    expect(o).toMatchObject({
      user: 'over',
      port: 2999,
      ssh: { sources: { user: 'ssh_host_overrides', port: 'ssh_host_overrides' } },
    });
    expect(o.ssh.identityFiles).toEqual([path.join(home, '.ssh', 'over')]);
    expect(resolveHostSsh('10.0.0.1', { key_path: 'genconf/k' }, c).ssh.identityFiles).toEqual(['/base/genconf/k']);
    expect(resolveHostSsh('10.1.0.1', undefined, c)).toMatchObject({
      user: 'yamluser',
      port: 2201,
      ssh: { identityFiles: [], sources: { user: 'config.yaml' } },
    });
  });

  it('flags beat ssh_config for the connect timeout, host key checking and known_hosts', async () => {
    const file = await config(
      'Host *\n  ConnectTimeout 30\n  StrictHostKeyChecking no\n  UserKnownHostsFile ~/kh\n  ServerAliveInterval 7\n  ServerAliveCountMax 2\n  IdentitiesOnly yes\n  ForwardAgent yes\n  HostKeyAlias alias-%h\n',
    );
    const plain = resolveHostSsh('h', undefined, ctx(file)).ssh;
    expect(plain).toMatchObject({
      connectTimeoutMs: 30_000,
      hostKeyChecking: 'off',
      knownHostsFile: path.join(home, 'kh'),
      keepaliveIntervalMs: 7000,
      keepaliveCountMax: 2,
      identitiesOnly: true,
      forwardAgent: true,
    });
    const flagged = resolveHostSsh(
      'h',
      undefined,
      ctx(file, { flags: { connectTimeoutSec: 3, hostKeyChecking: 'strict', knownHostsFile: '/k' } }),
    ).ssh;
    expect(flagged).toMatchObject({ connectTimeoutMs: 3000, hostKeyChecking: 'strict', knownHostsFile: '/k' });
  });

  it('resolves a ProxyJump chain, each hop through ssh_config, and follows the first hop’s own ProxyJump', async () => {
    const file = await config(
      [
        'Host 10.2.*',
        '  ProxyJump ops@edge:2222,inner',
        'Host edge',
        '  HostName 192.0.2.1',
        '  ProxyJump gate',
        '  IdentityFile ~/.ssh/edge',
        'Host inner',
        '  HostName 10.2.255.1',
        '  User jumper',
        'Host 10.3.*',
        '  ProxyJump none',
        '',
      ].join('\n'),
    );
    const r = resolveHostSsh('10.2.0.5', undefined, ctx(file));
    expect(r.ssh.jump.map((j) => `${j.user}@${j.label}`)).toEqual([
      'centos@gate:22',
      'ops@192.0.2.1:2222',
      'jumper@10.2.255.1:22',
    ]);
    expect(r.ssh.jump[1]!.identityFiles).toEqual([path.join(home, '.ssh', 'edge')]);
    expect(resolveHostSsh('10.3.0.1', undefined, ctx(file)).ssh.jump).toEqual([]);
  });

  it('plans hosts through ssh_config, and exactly as before without one', async () => {
    const file = await config('Host 10.0.0.2\n  User core\n  Port 2200\n');
    const args = sshSettings({
      master_list: '["10.0.0.1"]',
      agent_list: '["10.0.0.2"]',
      public_agent_list: '[]',
      ssh_user: 'centos',
      ssh_port: '22',
      ssh_host_overrides: '{}',
    });
    const without = planCluster(args);
    expect(without.hosts.map((h) => [h.label, h.user, 'ssh' in h])).toEqual([
      ['10.0.0.1:22', 'centos', false],
      ['10.0.0.2:22', 'centos', false],
    ]);
    const c = ctx(file);
    const withCfg = planCluster(args, {
      ssh: { sshConfig: c.sshConfig, flags: {}, baseDir: '/base', home, localUser: 'me' },
    });
    expect(withCfg.hosts.map((h) => [h.label, h.user])).toEqual([
      ['10.0.0.1:22', 'centos'],
      ['10.0.0.2:2200', 'core'],
    ]);
  });
});

describe('which ssh_config file', () => {
  it('uses genconf/ssh_config when it exists, --ssh-config FILE or none, ssh_config_file, and never ~/.ssh/config by default', async () => {
    const genconf = path.join(home, 'genconf');
    await mkdir(genconf);
    await writeFile(path.join(home, '.ssh', 'config'), 'Host *\n  User personal\n');
    const opts = (argv: string[]) =>
      parseArgs(['--preflight', '--genconf-dir', genconf, ...argv], home, { HOME: home });
    expect(chooseSshConfig(opts([]), {}, home).file).toBeUndefined();
    await writeFile(path.join(genconf, 'ssh_config'), 'Host *\n  User ops\n');
    expect(chooseSshConfig(opts([]), {}, home)).toEqual({
      file: path.join(genconf, 'ssh_config'),
      source: 'genconf/ssh_config',
    });
    expect(chooseSshConfig(opts(['--ssh-config', 'none']), {}, home).file).toBeUndefined();
    expect(chooseSshConfig(opts(['--ssh-config=~/.ssh/config']), {}, home).file).toBe(
      path.join(home, '.ssh', 'config'),
    );
    expect(chooseSshConfig(opts([]), { ssh_config_file: '~/.ssh/config' }, home)).toEqual({
      file: path.join(home, '.ssh', 'config'),
      source: 'ssh_config_file in config.yaml',
    });
    expect(chooseSshConfig(opts([]), { ssh_config_file: 'none' }, home).file).toBeUndefined();
    expect(() => chooseSshConfig(opts(['--ssh-config', 'missing']), {}, home)).toThrow(
      /the ssh_config file named by --ssh-config does not exist/,
    );
  });

  it('passes only the flags given on the command line, and names the file in the header (ignored keys with -v)', async () => {
    const genconf = path.join(home, 'genconf');
    await mkdir(genconf);
    await writeFile(path.join(genconf, 'ssh_config'), 'Host *\n  User ops\n  ForwardX11 no\n');
    const o = parseArgs(['--preflight', '--genconf-dir', genconf, '--connect-timeout', '4', '-v'], home, {
      HOME: home,
    });
    const s = readSshSettings(o, {}, home);
    expect(s.plan?.flags).toEqual({ connectTimeoutSec: 4 });
    const lines = describeSshSettings(s, true, home);
    expect(lines[0]).toBe('ssh_config: genconf/ssh_config, from genconf/ssh_config');
    expect(lines[1]).toMatch(/keys ignored \(genconf does not use them\): ForwardX11 \(.*ssh_config:3\)/);
    const defaults = readSshSettings(
      parseArgs(['--preflight', '--genconf-dir', genconf], home, { HOME: home }),
      {},
      home,
    );
    expect(defaults.plan?.flags).toEqual({});
  });
});
