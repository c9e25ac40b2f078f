import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { describe, test } from 'node:test';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';

const BIN = new URL('../../bin/vpcwire-dev.ts', import.meta.url).pathname;

describe('vpcwire sim (the CLI, as a real process)', () => {
  test('prints its endpoints, serves the SDK, and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [BIN, 'sim', '--json', '--profile', 'instant'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout });
    const [first] = (await once(lines, 'line')) as [string];
    const info = JSON.parse(first) as {
      region: string;
      endpoints: { ec2: string };
      credentials: { accessKeyId: string; secretAccessKey: string };
      instances: { instanceId: string; imds: string }[];
    };
    const ec2 = new EC2Client({ endpoint: info.endpoints.ec2, region: info.region, credentials: info.credentials });
    const r = await ec2.send(new DescribeInstancesCommand({}));
    ec2.destroy();
    assert.deepEqual(
      r.Reservations!.map((x) => x.Instances![0]!.InstanceId).sort(),
      info.instances.map((i) => i.instanceId).sort(),
    );
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
  });

  test('bad options are refused with a message naming them', async () => {
    const child = spawn(process.execPath, [BIN, 'sim', '--profile', 'warp'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const [code] = await once(child, 'exit');
    assert.equal(code, 2);
    assert.match(err, /--profile must be one of fast, instant, realistic, got 'warp'/);
  });
});
