/** The CNI installer's configuration (issue 4 item 3): defaults, when it runs, refused values. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isIpamdError } from '../../ipamd/errors.ts';
import { parseInstallConfig } from '../../ipamd/install/config.ts';
import { buildConflist } from '../../ipamd/install/conflist.ts';

const refused = (env: Record<string, string>, variable: string) =>
  assert.throws(
    () => parseInstallConfig(env),
    (e: unknown) => isIpamdError(e, 'IPAMD_CONFIG_INVALID') && e.message.startsWith(`invalid ${variable}=`),
    JSON.stringify(env),
  );

describe('CNI installer configuration', () => {
  test('defaults: off unless asked, production directories, portmap chained', () => {
    const c = parseInstallConfig({});
    assert.equal(c.enabled, false, 'an ipamd started without the image env never touches /etc/cni or /opt/cni');
    assert.equal(c.binDir, '/opt/cni/bin');
    assert.equal(c.confDir, '/etc/cni/net.d');
    assert.match(c.pluginSource, /\/build\/cni\/vpcwire$/);
    assert.equal(c.conflistName, '10-vpcwire.conflist');
    assert.equal(c.networkName, 'vpcwire');
    assert.deepEqual(c.chainedPlugins, ['portmap']);
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.chainedPlugins));
  });

  test('on with VPCWIRE_INSTALL_CNI=true or when a conf dir is given; VPCWIRE_INSTALL_CNI=false wins', () => {
    assert.equal(parseInstallConfig({ VPCWIRE_INSTALL_CNI: 'true' }).enabled, true);
    assert.equal(parseInstallConfig({ VPCWIRE_INSTALL_CNI: 'TRUE' }).enabled, true);
    assert.equal(parseInstallConfig({ VPCWIRE_CNI_CONF_DIR: '/tmp/x' }).enabled, true);
    assert.equal(parseInstallConfig({ VPCWIRE_CNI_CONF_DIR: '/tmp/x', VPCWIRE_INSTALL_CNI: 'false' }).enabled, false);
    assert.equal(parseInstallConfig({ VPCWIRE_CNI_BIN_DIR: '/tmp/x' }).enabled, false);
  });

  test('chained plugins: order kept, none, every known one', () => {
    assert.deepEqual(parseInstallConfig({ VPCWIRE_CNI_CHAINED_PLUGINS: 'tuning, portmap,bandwidth' }).chainedPlugins, [
      'tuning',
      'portmap',
      'bandwidth',
    ]);
    assert.deepEqual(parseInstallConfig({ VPCWIRE_CNI_CHAINED_PLUGINS: 'none' }).chainedPlugins, []);
  });

  test('refused values name the variable', () => {
    refused({ VPCWIRE_INSTALL_CNI: 'yes' }, 'VPCWIRE_INSTALL_CNI');
    refused({ VPCWIRE_CNI_CHAINED_PLUGINS: 'portmap,flannel' }, 'VPCWIRE_CNI_CHAINED_PLUGINS');
    refused({ VPCWIRE_CNI_CHAINED_PLUGINS: 'portmap,portmap' }, 'VPCWIRE_CNI_CHAINED_PLUGINS');
    refused({ VPCWIRE_CNI_CHAINED_PLUGINS: 'portmap,' }, 'VPCWIRE_CNI_CHAINED_PLUGINS');
    refused({ VPCWIRE_CNI_BIN_DIR: 'opt/cni/bin' }, 'VPCWIRE_CNI_BIN_DIR');
    refused({ VPCWIRE_CNI_CONF_DIR: 'net.d' }, 'VPCWIRE_CNI_CONF_DIR');
    refused({ VPCWIRE_CNI_PLUGIN_SOURCE: 'build/cni/vpcwire' }, 'VPCWIRE_CNI_PLUGIN_SOURCE');
    refused({ VPCWIRE_CNI_CONFLIST_NAME: '10-vpcwire.conf' }, 'VPCWIRE_CNI_CONFLIST_NAME');
    refused({ VPCWIRE_CNI_CONFLIST_NAME: '../10-vpcwire.conflist' }, 'VPCWIRE_CNI_CONFLIST_NAME');
    refused({ VPCWIRE_CNI_NETWORK_NAME: 'vpc wire' }, 'VPCWIRE_CNI_NETWORK_NAME');
  });

  test("the plugin's log: upstream's variables, vpcwire's directory, rotation, the earlier name as an alias", () => {
    assert.deepEqual(parseInstallConfig({}).pluginLog, { logFile: '/var/log/vpcwire/plugin.log', logLevel: 'debug', logMaxSizeMb: 100, logMaxFiles: 5 });
    assert.deepEqual(
      parseInstallConfig({ AWS_VPC_K8S_PLUGIN_LOG_FILE: '/var/log/vpcwire/cni.log', AWS_VPC_K8S_PLUGIN_LOG_LEVEL: 'Info', VPCWIRE_LOG_MAX_SIZE_MB: '0.5', VPCWIRE_LOG_MAX_FILES: '2' }).pluginLog,
      { logFile: '/var/log/vpcwire/cni.log', logLevel: 'info', logMaxSizeMb: 0.5, logMaxFiles: 2 },
    );
    assert.equal(parseInstallConfig({ AWS_VPC_K8S_PLUGIN_LOG_FILE: 'stderr' }).pluginLog.logFile, 'stderr');
    const old = parseInstallConfig({ VPCWIRE_CNI_PLUGIN_LOG_FILE: '/var/log/vpcwire/old.log' });
    assert.equal(old.pluginLog.logFile, '/var/log/vpcwire/old.log');
    assert.deepEqual(old.warnings, ["VPCWIRE_CNI_PLUGIN_LOG_FILE is deprecated: set upstream's AWS_VPC_K8S_PLUGIN_LOG_FILE instead"]);
    assert.deepEqual(parseInstallConfig({ AWS_VPC_K8S_PLUGIN_LOG_FILE: '/x.log' }).warnings, []);
    assert.equal(parseInstallConfig({ VPCWIRE_CNI_PLUGIN_LOG_FILE: '/x.log', AWS_VPC_K8S_PLUGIN_LOG_FILE: '/x.log' }).pluginLog.logFile, '/x.log');
    assert.deepEqual(parseInstallConfig({ AWS_VPC_K8S_PLUGIN_LOG_FILE: 'none' }).pluginLog, {});
    assert.deepEqual(parseInstallConfig({ VPCWIRE_CNI_PLUGIN_LOG_FILE: 'none' }).pluginLog, {});
    refused({ AWS_VPC_K8S_PLUGIN_LOG_FILE: 'stdout' }, 'AWS_VPC_K8S_PLUGIN_LOG_FILE');
    refused({ AWS_VPC_K8S_PLUGIN_LOG_FILE: 'plugin.log' }, 'AWS_VPC_K8S_PLUGIN_LOG_FILE');
    refused({ AWS_VPC_K8S_PLUGIN_LOG_FILE: '/var/log/vpcwire/' }, 'AWS_VPC_K8S_PLUGIN_LOG_FILE');
    refused({ VPCWIRE_CNI_PLUGIN_LOG_FILE: 'plugin.log' }, 'VPCWIRE_CNI_PLUGIN_LOG_FILE');
    refused({ VPCWIRE_CNI_PLUGIN_LOG_FILE: '/a.log', AWS_VPC_K8S_PLUGIN_LOG_FILE: '/b.log' }, 'VPCWIRE_CNI_PLUGIN_LOG_FILE');
    refused({ AWS_VPC_K8S_PLUGIN_LOG_LEVEL: 'TRACE' }, 'AWS_VPC_K8S_PLUGIN_LOG_LEVEL');
    refused({ VPCWIRE_LOG_MAX_SIZE_MB: '0' }, 'VPCWIRE_LOG_MAX_SIZE_MB');
    refused({ VPCWIRE_LOG_MAX_SIZE_MB: '10MB' }, 'VPCWIRE_LOG_MAX_SIZE_MB');
    refused({ VPCWIRE_LOG_MAX_FILES: '0' }, 'VPCWIRE_LOG_MAX_FILES');
  });

  test('the conflist: spec 1.0.0, vpcwire first with ipamd socket and release-notes dir, then the chain', () => {
    const c = parseInstallConfig({ VPCWIRE_CNI_CHAINED_PLUGINS: 'portmap,bandwidth,tuning', VPCWIRE_CNI_NETWORK_NAME: 'pods' });
    const log = { logFile: '/var/log/x.log', logLevel: 'warn', logMaxSizeMb: 10, logMaxFiles: 3 } as const;
    assert.deepEqual(buildConflist(c, { socket: '/run/x.sock', releaseNotesDir: '/var/lib/x', vethPrefix: 'pod', log }), {
      cniVersion: '1.0.0',
      name: 'pods',
      plugins: [
        { type: 'vpcwire', socket: '/run/x.sock', releaseNotesDir: '/var/lib/x', vethPrefix: 'pod', ...log },
        { type: 'portmap', capabilities: { portMappings: true }, snat: true },
        { type: 'bandwidth', capabilities: { bandwidth: true } },
        { type: 'tuning', sysctl: {} },
      ],
    });
    const quiet = buildConflist(c, { socket: '/run/x.sock', releaseNotesDir: '/var/lib/x', vethPrefix: 'pod', log: {} }) as { plugins: Record<string, unknown>[] };
    assert.deepEqual(Object.keys(quiet.plugins[0]!), ['type', 'socket', 'releaseNotesDir', 'vethPrefix'], 'no log file: no log keys');
  });
});
