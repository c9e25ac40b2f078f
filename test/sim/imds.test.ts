import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AssignPrivateIpAddressesCommand,
  AttachNetworkInterfaceCommand,
  CreateNetworkInterfaceCommand,
  DetachNetworkInterfaceCommand,
  ModifyNetworkInterfaceAttributeCommand,
} from '@aws-sdk/client-ec2';
import { MetadataService } from '@aws-sdk/ec2-metadata-service';
import { startTestVpc, type TestVpc } from '../helpers/emulator.ts';

describe('IMDSv2 per instance', () => {
  let v: TestVpc;
  let imds: MetadataService;
  before(async () => {
    v = await startTestVpc({ throttling: false, imdsLagMs: 300 });
    imds = new MetadataService({ endpoint: v.sim.imdsEndpoint(v.sim.instance('node-1').id), retries: 0 });
  });
  after(() => v.stop());

  const get = (path: string) => imds.request(path, {});

  test('instance identity, placement and the primary ENI, read through the SDK IMDS client', async () => {
    const node = v.sim.instance('node-1');
    const primary = v.sim.state.enis.get(node.primaryEniId)!;
    assert.equal(await get('/latest/meta-data/instance-id'), node.id);
    assert.equal(await get('/latest/meta-data/instance-type'), 'm5.large');
    assert.equal(await get('/latest/meta-data/placement/availability-zone'), 'us-west-2a');
    assert.equal(await get('/latest/meta-data/mac'), primary.macAddress);
    assert.equal(await get('/latest/meta-data/local-ipv4'), '10.0.0.4');
    assert.equal(await get('/latest/meta-data/network/interfaces/macs/'), `${primary.macAddress}/`);
    const base = `/latest/meta-data/network/interfaces/macs/${primary.macAddress}`;
    assert.equal(await get(`${base}/interface-id`), primary.id);
    assert.equal(await get(`${base}/device-number`), '0');
    assert.equal(await get(`${base}/network-card`), '0');
    assert.equal(await get(`${base}/subnet-id`), v.sim.subnet('nodes-a').id);
    assert.equal(await get(`${base}/subnet-ipv4-cidr-block`), '10.0.0.0/20');
    assert.equal(await get(`${base}/vpc-id`), v.sim.vpc.id);
    assert.equal(await get(`${base}/vpc-ipv4-cidr-blocks`), '10.0.0.0/16');
    assert.equal(await get(`${base}/security-group-ids`), v.sim.securityGroup('eks-cluster-sg').id);
    assert.equal(await get(`${base}/local-ipv4s`), '10.0.0.4');
    await assert.rejects(get(`${base}/ipv4-prefix`), /404|Not Found/, 'no prefixes: 404, as on EC2');
    const listing = (await get(`${base}/`)).split('\n');
    assert.ok(listing.includes('local-ipv4s') && listing.includes('interface-id'));
  });

  test('tokens are required: 401 without one, 400 for a bad TTL, 403 through a proxy', async () => {
    const url = v.sim.imdsEndpoint(v.sim.instance('node-1').id);
    assert.equal((await fetch(`${url}/latest/meta-data/instance-id`)).status, 401);
    assert.equal(
      (
        await fetch(`${url}/latest/meta-data/instance-id`, {
          headers: { 'x-aws-ec2-metadata-token': 'forged' },
        })
      ).status,
      401,
    );
    const ttl = (v: string) =>
      fetch(`${url}/latest/api/token`, {
        method: 'PUT',
        headers: { 'x-aws-ec2-metadata-token-ttl-seconds': v },
      });
    assert.equal((await ttl('0')).status, 400);
    assert.equal((await ttl('21601')).status, 400);
    assert.equal((await fetch(`${url}/latest/api/token`, { method: 'PUT' })).status, 400);
    const ok = await ttl('1');
    assert.equal(ok.status, 200);
    const token = await ok.text();
    const read = () =>
      fetch(`${url}/latest/meta-data/instance-id`, { headers: { 'x-aws-ec2-metadata-token': token } });
    assert.equal((await read()).status, 200);
    const proxied = await fetch(`${url}/latest/api/token`, {
      method: 'PUT',
      headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60', 'x-forwarded-for': '10.0.0.9' },
    });
    assert.equal(proxied.status, 403);
    await sleep(1100);
    assert.equal((await read()).status, 401, 'an expired token is refused');
  });

  test('IMDS lags EC2: a new ENI and its addresses appear only after the lag', async () => {
    const node = v.sim.instance('node-1');
    const eni = (
      await v.ec2.send(
        new CreateNetworkInterfaceCommand({
          SubnetId: v.sim.subnet('nodes-a').id,
          SecondaryPrivateIpAddressCount: 2,
        }),
      )
    ).NetworkInterface!;
    await v.ec2.send(
      new AttachNetworkInterfaceCommand({
        NetworkInterfaceId: eni.NetworkInterfaceId,
        InstanceId: node.id,
        DeviceIndex: 1,
      }),
    );
    const macs = async () => (await get('/latest/meta-data/network/interfaces/macs/')).split('\n');
    assert.equal((await macs()).length, 1, 'EC2 says attached; IMDS does not know yet');
    await sleep(400);
    assert.deepEqual(
      (await macs()).sort(),
      [`${v.sim.state.enis.get(node.primaryEniId)!.macAddress}/`, `${eni.MacAddress}/`].sort(),
    );
    const base = `/latest/meta-data/network/interfaces/macs/${eni.MacAddress}`;
    assert.equal(await get(`${base}/device-number`), '1');
    assert.equal((await get(`${base}/local-ipv4s`)).split('\n')[0], eni.PrivateIpAddress, 'primary first');
    // Prefixes: EC2 has them at once, IMDS a lag later.
    const r = await v.ec2.send(
      new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: eni.NetworkInterfaceId, Ipv4PrefixCount: 1 }),
    );
    await assert.rejects(get(`${base}/ipv4-prefix`), /404|Not Found/);
    await sleep(400);
    assert.equal(await get(`${base}/ipv4-prefix`), r.AssignedIpv4Prefixes![0]!.Ipv4Prefix);
  });

  test('IMDS follows a security group change and a detach, a lag later', async () => {
    const node = v.sim.instance('node-1');
    const eni = v.sim.state.enisOf(node.id).find((e) => e.attachment!.deviceIndex === 1)!;
    const sg = v.sim.state.addSecurityGroup(node.vpcId, 'pods-sg');
    await v.ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eni.id, Groups: [sg.id] }));
    const base = `/latest/meta-data/network/interfaces/macs/${eni.macAddress}`;
    assert.notEqual(await get(`${base}/security-group-ids`), sg.id);
    await sleep(400);
    assert.equal(await get(`${base}/security-group-ids`), sg.id);
    await v.ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId: eni.attachment!.id }));
    assert.equal((await get('/latest/meta-data/network/interfaces/macs/')).split('\n').length, 2, 'still listed');
    await sleep(400);
    assert.equal((await get('/latest/meta-data/network/interfaces/macs/')).split('\n').length, 1);
    await assert.rejects(get(`${base}/interface-id`), /404|Not Found/);
  });

  test('each instance has its own IMDS', async () => {
    const other = new MetadataService({
      endpoint: v.sim.imdsEndpoint(v.sim.instance('node-2').id),
      retries: 0,
    });
    assert.equal(await other.request('/latest/meta-data/instance-id', {}), v.sim.instance('node-2').id);
    assert.equal(await other.request('/latest/meta-data/placement/availability-zone', {}), 'us-west-2b');
  });
});
