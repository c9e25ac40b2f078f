import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AttachNetworkInterfaceCommand, CreateNetworkInterfaceCommand, DescribeSubnetsCommand } from '@aws-sdk/client-ec2';
import { startTestVpc } from '../helpers/emulator.ts';

describe('profiles', () => {
  test('realistic: every call has latency, an attachment stays attaching, IMDS trails by seconds', async () => {
    const v = await startTestVpc({ profile: 'realistic', throttling: false });
    try {
      await v.ec2.send(new DescribeSubnetsCommand({}));
      assert.match(v.sim.log.entries({ action: 'DescribeSubnets' })[0]!.faults.join(), /^latency:\d+ms$/);
      const eni = (await v.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: v.sim.subnet('nodes-a').id })))
        .NetworkInterface!.NetworkInterfaceId!;
      await v.ec2.send(
        new AttachNetworkInterfaceCommand({ NetworkInterfaceId: eni, InstanceId: v.sim.instance('node-1').id, DeviceIndex: 1 }),
      );
      assert.equal(v.sim.state.enis.get(eni)!.attachment!.status, 'attaching');
      assert.ok(v.sim.metadata.lagMs >= 1000);
    } finally {
      await v.stop();
    }
  });
});
