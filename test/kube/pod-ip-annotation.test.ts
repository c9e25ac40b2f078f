/**
 * ANNOTATE_POD_IP against the real API server (issue 11 item 5): the pod carries
 * vpc.amazonaws.com/pod-ips = its address when ADD returns; DEL removes it. Without the shipped
 * pods-patch grant, the log says so and ADD still answers (the pod's network does not wait on it).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import type { Topology } from '../../sim/topology.ts';
import { type KubeTestbed, startKubeTestbed } from '../helpers/kube/testbed.ts';
import { eventually } from '../helpers/kube/objects.ts';
import { podKey } from '../helpers/pool.ts';

const topology: Topology = {
  vpc: { cidrs: ['10.72.0.0/16'], subnets: [{ name: 'nodes', cidr: '10.72.0.0/20', az: 'us-west-2a' }] },
  instances: [
    { name: 'a', type: 't3.small', subnet: 'nodes' },
    { name: 'b', type: 't3.small', subnet: 'nodes' },
  ],
};
const ANNOTATION = 'vpc.amazonaws.com/pod-ips';

describe('ANNOTATE_POD_IP', () => {
  let bed: KubeTestbed;
  let core: CoreV1Api;

  before(async () => {
    bed = await startKubeTestbed(topology, { defaultServiceAccount: true });
    core = bed.core;
  });
  after(() => bed?.stop());

  const ipamdFor = (node: string, annotateGrant: boolean) =>
    bed.ipamd(node, { ANNOTATE_POD_IP: 'true', WARM_IP_TARGET: '2' }, { identity: { annotatePodIp: annotateGrant } });

  async function pod(name: string, node: string): Promise<void> {
    await core.createNamespacedPod({
      namespace: 'default',
      body: { metadata: { name }, spec: { nodeName: node, automountServiceAccountToken: false, containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10' }] } },
    });
  }

  test('the annotation is on the pod when ADD returns, and gone after DEL', async () => {
    const p = await ipamdFor('a', true);
    await pod('web-0', 'a');
    const r = await p.client.addNetwork({ key: podKey(1), netns: '/var/run/netns/x', pod: { namespace: 'default', name: 'web-0', uid: 'u1' } });
    const live = await core.readNamespacedPod({ namespace: 'default', name: 'web-0' });
    assert.equal(live.metadata?.annotations?.[ANNOTATION], r.ipv4Address);
    await p.client.delNetwork({ key: podKey(1), reason: 'test', pod: { namespace: 'default', name: 'web-0' } });
    await eventually(async () => {
      const after = await core.readNamespacedPod({ namespace: 'default', name: 'web-0' });
      return after.metadata?.annotations?.[ANNOTATION] === undefined ? true : undefined;
    }, 'the annotation removed after DEL');
  });

  test('without the pods-patch grant: ADD still answers, the log names the missing grant', async () => {
    const p = await ipamdFor('b', false);
    await pod('web-1', 'b');
    const r = await p.client.addNetwork({ key: podKey(2), netns: '/var/run/netns/y', pod: { namespace: 'default', name: 'web-1', uid: 'u2' } });
    assert.ok(r.ipv4Address);
    const line = await eventually(async () => readFileSync(join(p.dir, 'ipamd.log'), 'utf8').split('\n').find((l) => l.includes('IPAMD_KUBE_FORBIDDEN')), 'the forbidden line');
    assert.match(line, /cannot patch resource \\"pods\\"/);
    const live = await core.readNamespacedPod({ namespace: 'default', name: 'web-1' });
    assert.equal(live.metadata?.annotations?.[ANNOTATION], undefined);
  });
});
