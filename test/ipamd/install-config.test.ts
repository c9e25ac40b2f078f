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
    refused({ VPCWIRE_CNI_PLUGIN_LOG_FILE: 'plugin.log' }, 'VPCWIRE_CNI_PLUGIN_LOG_FILE');
    assert.equal(parseInstallConfig({}).pluginLogFile, '/var/log/vpcwire/plugin.log');
    assert.equal(parseInstallConfig({ VPCWIRE_CNI_PLUGIN_LOG_FILE: 'none' }).pluginLogFile, undefined);
  });

  test('the conflist: spec 1.0.0, vpcwire first with ipamd socket and release-notes dir, then the chain', () => {
    const c = parseInstallConfig({ VPCWIRE_CNI_CHAINED_PLUGINS: 'portmap,bandwidth,tuning', VPCWIRE_CNI_NETWORK_NAME: 'pods' });
    assert.deepEqual(buildConflist(c, { socket: '/run/x.sock', releaseNotesDir: '/var/lib/x', vethPrefix: 'pod', logFile: '/var/log/x.log' }), {
      cniVersion: '1.0.0',
      name: 'pods',
      plugins: [
        { type: 'vpcwire', socket: '/run/x.sock', releaseNotesDir: '/var/lib/x', vethPrefix: 'pod', logFile: '/var/log/x.log' },
        { type: 'portmap', capabilities: { portMappings: true }, snat: true },
        { type: 'bandwidth', capabilities: { bandwidth: true } },
        { type: 'tuning', sysctl: {} },
      ],
    });
  });
});
