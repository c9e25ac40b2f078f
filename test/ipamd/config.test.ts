import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { parseConfig } from '../../ipamd/config.ts';
import { isIpamdError } from '../../ipamd/errors.ts';

const refused = (env: Record<string, string>, pattern: RegExp) =>
  assert.throws(
    () => parseConfig(env),
    (e: unknown) => isIpamdError(e, 'IPAMD_CONFIG_INVALID') && pattern.test(e.message),
    JSON.stringify(env),
  );

describe('ipamd configuration (upstream names and defaults)', () => {
  test('defaults', () => {
    const c = parseConfig({});
    assert.equal(c.warmEniTarget, 1);
    assert.equal(c.warmIpTarget, undefined);
    assert.equal(c.minimumIpTarget, undefined);
    assert.equal(c.prefixDelegation, false);
    assert.equal(c.maxEni, undefined);
    assert.equal(c.ipCooldownMs, 30_000);
    assert.equal(c.eniMtu, 9001);
    assert.equal(c.vethPrefix, 'eni');
    assert.equal(c.logLevel, 'debug');
    assert.equal(c.socketPath, '/run/vpcwire/ipamd.sock');
    assert.ok(Object.isFrozen(c));
  });

  test('values are parsed and typed', () => {
    const c = parseConfig({
      WARM_IP_TARGET: '5',
      MINIMUM_IP_TARGET: '10',
      ENABLE_PREFIX_DELEGATION: 'true',
      MAX_ENI: '3',
      IP_COOLDOWN_PERIOD: '120',
      AWS_VPC_ENI_MTU: '1500',
      AWS_VPC_K8S_CNI_VETHPREFIX: 'vw',
      CLUSTER_NAME: 'prod',
      ADDITIONAL_ENI_TAGS: '{"team":"net","cost-center":"42"}',
      AWS_VPC_K8S_CNI_LOGLEVEL: 'warn',
      DISABLE_LEAKED_ENI_CLEANUP: 'true',
    });
    assert.equal(c.warmIpTarget, 5);
    assert.equal(c.minimumIpTarget, 10);
    assert.equal(c.prefixDelegation, true);
    assert.equal(c.warmPrefixTarget, undefined, 'IP targets set: no implicit WARM_PREFIX_TARGET');
    assert.equal(c.maxEni, 3);
    assert.equal(c.ipCooldownMs, 120_000);
    assert.equal(c.eniMtu, 1500);
    assert.equal(c.vethPrefix, 'vw');
    assert.deepEqual(c.additionalEniTags, { team: 'net', 'cost-center': '42' });
    assert.equal(c.logLevel, 'warn');
    assert.equal(c.disableLeakedEniCleanup, true);
    assert.equal(parseConfig({ ENABLE_PREFIX_DELEGATION: 'true' }).warmPrefixTarget, 1, 'prefix mode alone keeps one /28 warm');
  });

  test('invalid values name the variable and the value', () => {
    refused({ WARM_ENI_TARGET: 'two' }, /WARM_ENI_TARGET="two".*integer/);
    refused({ WARM_IP_TARGET: '-1' }, /WARM_IP_TARGET="-1".*>= 0/);
    refused({ AWS_VPC_ENI_MTU: '10000' }, /AWS_VPC_ENI_MTU="10000".*<= 9001/);
    refused({ ENABLE_PREFIX_DELEGATION: 'yes' }, /ENABLE_PREFIX_DELEGATION="yes"/);
    refused({ AWS_VPC_K8S_CNI_VETHPREFIX: 'toolong' }, /VETHPREFIX="toolong".*4 characters/);
    refused({ AWS_VPC_K8S_CNI_VETHPREFIX: 'eth' }, /VETHPREFIX="eth"/);
    refused({ AWS_VPC_K8S_CNI_LOGLEVEL: 'LOUD' }, /LOGLEVEL="LOUD"/);
    refused({ ADDITIONAL_ENI_TAGS: '{bad' }, /ADDITIONAL_ENI_TAGS=.*not JSON/);
    refused({ ADDITIONAL_ENI_TAGS: '{"k8s.amazonaws.com/x":"y"}' }, /reserved prefix/);
    refused({ AWS_EC2_ENDPOINT: 'ec2.local' }, /AWS_EC2_ENDPOINT="ec2.local".*URL/);
    refused({ MAX_ENI: '0' }, /MAX_ENI="0"/);
    refused({ IP_COOLDOWN_PERIOD: '1.5' }, /IP_COOLDOWN_PERIOD="1.5"/);
  });

  test('host networking: defaults, values, and bad values named', () => {
    const d = parseConfig({});
    assert.equal(d.hostNetwork, true);
    assert.equal(d.hostNetns, undefined, "unset: ipamd's own netns");
    assert.equal(d.hostNetworkCheckMs, 30_000);
    assert.equal(d.externalSnat, false);
    assert.deepEqual(d.excludeSnatCidrs, []);
    assert.equal(d.randomizeSnat, 'prng');
    const c = parseConfig({
      VPCWIRE_HOST_NETWORK: 'false',
      VPCWIRE_HOST_NETNS: 'vpcw-ab12-node1',
      VPCWIRE_HOST_NETWORK_CHECK_MS: '100',
      AWS_VPC_K8S_CNI_EXTERNALSNAT: 'true',
      AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS: ' 172.16.0.0/12, 100.64.1.7/10,,172.16.0.0/12 ',
      AWS_VPC_K8S_CNI_RANDOMIZESNAT: 'hashrandom',
    });
    assert.equal(c.hostNetwork, false);
    assert.equal(c.hostNetns, 'vpcw-ab12-node1');
    assert.equal(c.hostNetworkCheckMs, 100);
    assert.equal(c.externalSnat, true);
    assert.deepEqual(c.excludeSnatCidrs, ['172.16.0.0/12', '100.64.0.0/10'], 'host bits cleared as iptables shows them, duplicates once');
    assert.ok(Object.isFrozen(c.excludeSnatCidrs));
    assert.equal(c.randomizeSnat, 'hashrandom');
    assert.equal(parseConfig({ VPCWIRE_HOST_NETNS: '/proc/1234/ns/net' }).hostNetns, '/proc/1234/ns/net');
    assert.equal(parseConfig({ AWS_VPC_K8S_CNI_RANDOMIZESNAT: 'none' }).randomizeSnat, 'none');

    refused({ VPCWIRE_HOST_NETWORK: 'off' }, /VPCWIRE_HOST_NETWORK="off"/);
    refused({ VPCWIRE_HOST_NETNS: 'a/b' }, /VPCWIRE_HOST_NETNS="a\/b".*netns name/);
    refused({ VPCWIRE_HOST_NETNS: '/run/netns/../x' }, /VPCWIRE_HOST_NETNS=.*absolute path/);
    refused({ VPCWIRE_HOST_NETWORK_CHECK_MS: '50' }, /VPCWIRE_HOST_NETWORK_CHECK_MS="50".*>= 100/);
    refused({ AWS_VPC_K8S_CNI_EXTERNALSNAT: 'yes' }, /AWS_VPC_K8S_CNI_EXTERNALSNAT="yes"/);
    refused({ AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS: '10.0.0.0/8,10.1.2.3' }, /AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS=.*'10\.1\.2\.3' is not an IPv4 CIDR/);
    refused({ AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS: '10.0.0.0/33' }, /EXCLUDE_SNAT_CIDRS=.*'10\.0\.0\.0\/33'/);
    refused({ AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS: '256.0.0.0/8' }, /EXCLUDE_SNAT_CIDRS=.*'256\.0\.0\.0\/8'/);
    refused({ AWS_VPC_K8S_CNI_RANDOMIZESNAT: 'fully' }, /AWS_VPC_K8S_CNI_RANDOMIZESNAT="fully".*prng/);
  });

  test('VPCWIRE_IMDS_WAIT_MS: how long start-up waits for IMDS', () => {
    assert.equal(parseConfig({}).imdsWaitMs, 60_000);
    assert.equal(parseConfig({ VPCWIRE_IMDS_WAIT_MS: '1500' }).imdsWaitMs, 1500);
    refused({ VPCWIRE_IMDS_WAIT_MS: '500' }, /VPCWIRE_IMDS_WAIT_MS="500".*>= 1000/);
    refused({ VPCWIRE_IMDS_WAIT_MS: '1m' }, /VPCWIRE_IMDS_WAIT_MS="1m".*integer/);
  });

  test('ENABLE_SUBNET_DISCOVERY: on by default as upstream since v1.18; a bad value is named', () => {
    assert.equal(parseConfig({}).subnetDiscovery, true);
    assert.equal(parseConfig({ ENABLE_SUBNET_DISCOVERY: 'false' }).subnetDiscovery, false);
    assert.equal(parseConfig({ ENABLE_SUBNET_DISCOVERY: ' TRUE ' }).subnetDiscovery, true);
    assert.equal(parseConfig({ ENABLE_SUBNET_DISCOVERY: '' }).subnetDiscovery, true, 'empty = unset');
    // Upstream logs a bad value and silently uses the default; vpcwire refuses to start.
    refused({ ENABLE_SUBNET_DISCOVERY: 'enabled' }, /invalid ENABLE_SUBNET_DISCOVERY="enabled": expected 'true' or 'false'/);
    refused({ ENABLE_SUBNET_DISCOVERY: '1' }, /ENABLE_SUBNET_DISCOVERY="1"/);
  });

  test('combinations upstream refuses are refused', () => {
    refused({ ENABLE_PREFIX_DELEGATION: 'true', WARM_PREFIX_TARGET: '0' }, /WARM_PREFIX_TARGET="0".*WARM_IP_TARGET/);
    assert.doesNotThrow(() => parseConfig({ ENABLE_PREFIX_DELEGATION: 'true', WARM_PREFIX_TARGET: '0', WARM_IP_TARGET: '2' }));
  });

  test('ipamd exits 2 with the message when started with a bad value', () => {
    const r = spawnSync(process.execPath, [new URL('../../ipamd/main.ts', import.meta.url).pathname], {
      env: { PATH: process.env.PATH ?? '', VPCWIRE_HOST_NETWORK: 'false', WARM_IP_TARGET: 'lots' },
      encoding: 'utf8',
    });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /ipamd: invalid WARM_IP_TARGET="lots"/);
  });
});
