import {
  AssignPrivateIpAddressesCommand, AttachNetworkInterfaceCommand, CreateNetworkInterfaceCommand,
  DeleteNetworkInterfaceCommand, DescribeInstanceTypesCommand, DescribeNetworkInterfacesCommand,
  ModifyNetworkInterfaceAttributeCommand, DescribeTagsCommand, DescribeSubnetsCommand,
} from '@aws-sdk/client-ec2';
import { MetadataService } from '@aws-sdk/ec2-metadata-service';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorCodeOf, startTestVpc } from './helpers/emulator.ts';

const v = await startTestVpc({ throttling: false, imdsLagMs: 20 });
const subnet = v.sim.subnet('nodes-a');
const node = v.sim.instance('node-1');
const send = (c: any) => v.ec2.send(c);

// 1. Modify groups -> IMDS security-group-ids
{
  const sg = v.sim.state.addSecurityGroup(subnet.vpcId, 'extra');
  const primary = v.sim.state.enis.get(node.primaryEniId)!;
  await send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: primary.id, Groups: [sg.id] }));
  await sleep(200);
  const imds = new MetadataService({ endpoint: v.sim.imdsEndpoint(node.id), retries: 0 });
  const got = await imds.request(`/latest/meta-data/network/interfaces/macs/${primary.macAddress}/security-group-ids`, {});
  console.log('1. EC2 groups', primary.groupIds, 'IMDS after 200ms (lag 20):', JSON.stringify(got));
}
// 2. duplicate explicit prefixes
{
  const e = (await send(new CreateNetworkInterfaceCommand({ SubnetId: subnet.id }))).NetworkInterface!;
  const before = v.sim.state.subnets.get(subnet.id)!.pool.availableCount;
  const r = await send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: e.NetworkInterfaceId, Ipv4Prefixes: ['10.0.8.0/28', '10.0.8.0/28'] }));
  const d = (await send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [e.NetworkInterfaceId!] }))).NetworkInterfaces![0]!;
  console.log('2. assigned', r.AssignedIpv4Prefixes!.map((p: any) => p.Ipv4Prefix), 'ENI prefixes', d.Ipv4Prefixes!.map((p) => p.Ipv4Prefix), 'pool delta', before - v.sim.state.subnets.get(subnet.id)!.pool.availableCount);
  await send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: e.NetworkInterfaceId }));
}
// 3. pagination skip when deleting while paging
{
  const ids: string[] = [];
  for (let i = 0; i < 12; i++) ids.push((await send(new CreateNetworkInterfaceCommand({ SubnetId: subnet.id, Description: 'leak' }))).NetworkInterface!.NetworkInterfaceId!);
  const seen = new Set<string>();
  let token: string | undefined;
  do {
    const p = await send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'description', Values: ['leak'] }], MaxResults: 5, NextToken: token }));
    for (const n of p.NetworkInterfaces!) { seen.add(n.NetworkInterfaceId!); await send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: n.NetworkInterfaceId })); }
    token = p.NextToken;
  } while (token);
  console.log('3. created 12, seen while deleting page by page:', seen.size, 'left undeleted:', ids.filter((i) => v.sim.state.enis.has(i)).length);
}
// 4. multi-card
{
  const p4 = await v.sim.launchInstance({ type: 'p4d.24xlarge', subnet: 'nodes-a' });
  const t = (await send(new DescribeInstanceTypesCommand({ InstanceTypes: ['p4d.24xlarge'] }))).InstanceTypes![0]!.NetworkInfo!;
  console.log('4. p4d MaximumNetworkInterfaces', t.MaximumNetworkInterfaces, 'cards', t.NetworkCards!.map((c) => c.MaximumNetworkInterfaces));
  let ok = 0; let last = '';
  for (let card = 0; card < 4; card++) for (let dev = card === 0 ? 1 : 0; dev < 15; dev++) {
    const e = (await send(new CreateNetworkInterfaceCommand({ SubnetId: subnet.id }))).NetworkInterface!.NetworkInterfaceId!;
    const c = await errorCodeOf(send(new AttachNetworkInterfaceCommand({ NetworkInterfaceId: e, InstanceId: p4.id, DeviceIndex: dev, NetworkCardIndex: card })));
    if (c === 'no error') ok++; else { last = `${c} at card ${card} dev ${dev}`; await send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: e })); }
  }
  console.log('4. attached beyond primary', ok, 'first refusal', last);
}
// 5. unknown filter on empty result set
{
  console.log('5. bogus filter, DescribeTags with no rows? tags count', (await send(new DescribeTagsCommand({}))).Tags!.length);
  console.log('5. DescribeNetworkInterfaces ids given + bogus filter:', await errorCodeOf(send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [], Filters: [{ Name: 'bogus', Values: ['x'] }] }))));
  console.log('5. duplicate ids:', (await send(new DescribeSubnetsCommand({ SubnetIds: [subnet.id, subnet.id] }))).Subnets!.length);
}
await v.stop();
