import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AttachNetworkInterfaceCommand,
  CreateNetworkInterfaceCommand,
  DescribeSubnetsCommand,
} from '@aws-sdk/client-ec2';
import { ec2Client, errorCodeOf, startTestVpc, type TestVpc } from '../helpers/emulator.ts';

describe('faults and latency on demand', () => {
  let v: TestVpc;
  before(async () => {
    v = await startTestVpc({ throttling: false });
  });
  after(() => v.stop());

  test('errors for the next N calls: the SDK retries 5xx and succeeds on the third attempt', async () => {
    v.sim.faults.failNext('DescribeSubnets', 2, { code: 'InternalError' });
    const client = ec2Client(v.sim, 3);
    const since = v.sim.log.lastSeq;
    const r = await client.send(new DescribeSubnetsCommand({}));
    client.destroy();
    assert.equal(r.$metadata.attempts, 3);
    const log = v.sim.log.entries({ action: 'DescribeSubnets', sinceSeq: since });
    assert.deepEqual(
      log.map((e) => [e.status, e.errorCode ?? '-', e.faults.join(',')]),
      [
        [500, 'InternalError', 'error:InternalError:before'],
        [500, 'InternalError', 'error:InternalError:before'],
        [200, '-', ''],
      ],
    );
  });

  test('errors at a rate are reproducible from the seed', async () => {
    const run = async () => {
      v.sim.faults.reseed(42);
      const id = v.sim.faults.failRate('DescribeSubnets', 0.5, { code: 'Unavailable', status: 503 });
      const codes: string[] = [];
      for (let i = 0; i < 20; i++) codes.push(await errorCodeOf(v.ec2.send(new DescribeSubnetsCommand({}))));
      v.sim.faults.removeError(id);
      return codes;
    };
    const first = await run();
    const failures = first.filter((c) => c === 'Unavailable').length;
    assert.ok(failures > 3 && failures < 17, `about half should fail, got ${failures}`);
    assert.deepEqual(await run(), first);
  });

  test('a fault after the action: the change is made and the answer lost; the ClientToken retry finds it', async () => {
    const subnet = v.sim.subnet('nodes-a').id;
    const before = v.sim.state.enis.size;
    v.sim.faults.failNext('CreateNetworkInterface', 1, { code: 'InternalError', when: 'after' });
    const client = ec2Client(v.sim, 2);
    const r = await client.send(new CreateNetworkInterfaceCommand({ SubnetId: subnet }));
    client.destroy();
    assert.equal(r.$metadata.attempts, 2);
    assert.equal(
      v.sim.state.enis.size,
      before + 1,
      'one ENI, not two: the retry carried the same ClientToken',
    );
    v.sim.faults.failNext('CreateNetworkInterface', 1, { code: 'InternalError', when: 'after' });
    assert.equal(
      await errorCodeOf(v.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnet }))),
      'InternalError',
    );
    assert.equal(
      v.sim.state.enis.size,
      before + 2,
      'without a retry the ENI exists though the caller saw an error',
    );
  });

  test('latency: fixed, and drawn from a distribution', async () => {
    v.sim.faults.setLatency('DescribeSubnets', { fixedMs: 150 });
    let t0 = performance.now();
    await v.ec2.send(new DescribeSubnetsCommand({}));
    assert.ok(performance.now() - t0 >= 150);
    v.sim.faults.setLatency('DescribeSubnets', { uniformMs: [40, 60] });
    t0 = performance.now();
    await v.ec2.send(new DescribeSubnetsCommand({}));
    assert.ok(performance.now() - t0 >= 40);
    assert.match(
      v.sim.log.entries({ action: 'DescribeSubnets' }).at(-1)!.faults[0]!,
      /^latency:(4\d|5\d|60)ms$/,
    );
    v.sim.faults.clearLatency();
    assert.throws(() => v.sim.faults.setLatency('X', { fixedMs: -1 }), /non-negative/);
  });

  test('a paused action holds its callers until resumed', async () => {
    const inst = v.sim.instance('node-1');
    const eni = (
      await v.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: v.sim.subnet('nodes-a').id }))
    ).NetworkInterface!.NetworkInterfaceId!;
    v.sim.faults.pause('AttachNetworkInterface');
    let done = false;
    const pending = v.ec2
      .send(
        new AttachNetworkInterfaceCommand({ NetworkInterfaceId: eni, InstanceId: inst.id, DeviceIndex: 1 }),
      )
      .then((r) => {
        done = true;
        return r;
      });
    await sleep(150);
    assert.equal(done, false);
    assert.equal(v.sim.state.enis.get(eni)!.attachment, undefined, 'nothing happened while paused');
    v.sim.faults.resume('AttachNetworkInterface');
    const r = await pending;
    assert.match(r.AttachmentId!, /^eni-attach-/);
    assert.ok(v.sim.log.entries({ action: 'AttachNetworkInterface' }).at(-1)!.faults.includes('paused'));
  });

  test('a "next N" fault is used only by a call it fails: a throttled call does not swallow it', async () => {
    v.sim.throttle.configure({ enabled: true, buckets: { DescribeSubnets: { capacity: 1, refillPerSecond: 0.001 } } });
    await v.ec2.send(new DescribeSubnetsCommand({}));
    v.sim.faults.failNext('DescribeSubnets', 1, { code: 'InternalError' });
    assert.equal(await errorCodeOf(v.ec2.send(new DescribeSubnetsCommand({}))), 'RequestLimitExceeded');
    v.sim.throttle.configure({ enabled: false });
    assert.equal(await errorCodeOf(v.ec2.send(new DescribeSubnetsCommand({}))), 'InternalError');
    assert.equal(await errorCodeOf(v.ec2.send(new DescribeSubnetsCommand({}))), 'no error');
    const labels = v.sim.log.entries({ action: 'DescribeSubnets' }).slice(-3).map((e) => e.faults.join());
    assert.deepEqual(labels, ['throttled', 'error:InternalError:before', '']);
  });

  test('the admin HTTP endpoint injects faults from outside and shows the log', async () => {
    const admin = v.sim.endpoints.admin;
    const post = (path: string, body: unknown) =>
      fetch(`${admin}${path}`, { method: 'POST', body: JSON.stringify(body) }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as Record<string, unknown>,
      }));
    const added = await post('/faults/error', {
      action: 'DescribeSubnets',
      code: 'Unavailable',
      status: 503,
      count: 1,
    });
    assert.equal(added.status, 200);
    assert.equal(await errorCodeOf(v.ec2.send(new DescribeSubnetsCommand({}))), 'Unavailable');
    assert.equal(await errorCodeOf(v.ec2.send(new DescribeSubnetsCommand({}))), 'no error');
    const bad = await post('/faults/error', { action: 'DescribeSubnets', code: 'X' });
    assert.equal(bad.status, 400);
    assert.match(String(bad.body.error), /count or rate/);
    const noAction = await post('/faults/pause', {});
    assert.equal(noAction.status, 400);
    assert.match(String(noAction.body.error), /'action'/);
    const log = (await (await fetch(`${admin}/log?action=DescribeSubnets`)).json()) as {
      errorCode?: string;
    }[];
    assert.ok(log.some((e) => e.errorCode === 'Unavailable'));
    const state = (await (await fetch(`${admin}/state`)).json()) as { instances: unknown[] };
    assert.equal(state.instances.length, 2);
    const launched = await post('/instances', { type: 't3.medium', subnet: 'nodes-b', name: 'node-3' });
    assert.equal(launched.status, 200);
    assert.match(String(launched.body.instanceId), /^i-[0-9a-f]{17}$/);
    const badType = await post('/instances', { type: 't3.enormous', subnet: 'nodes-b' });
    assert.equal(badType.status, 400);
    assert.match(String(badType.body.error), /t3\.enormous/);
  });
});

describe('stopping with requests in flight', () => {
  test('a paused request released by stop() changes nothing', async () => {
    const v = await startTestVpc({ throttling: false });
    const inst = v.sim.instance('node-1');
    const eni = (await v.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: v.sim.subnet('nodes-a').id })))
      .NetworkInterface!.NetworkInterfaceId!;
    v.sim.faults.pause('AttachNetworkInterface');
    const pending = v.ec2
      .send(new AttachNetworkInterfaceCommand({ NetworkInterfaceId: eni, InstanceId: inst.id, DeviceIndex: 1 }))
      .catch((e) => e);
    await sleep(50);
    await v.stop();
    assert.ok((await pending) instanceof Error, 'the caller sees a failure, not a success');
    assert.equal(v.sim.state.enis.get(eni)!.attachment, undefined, 'the attach never happened');
  });
});
