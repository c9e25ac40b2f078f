/**
 * ipamd (a real process) under the scoped IAM policy of iam/policies.ts, as an IRSA role through
 * the emulator's STS: the pool grows with tagged ENIs and the leaked-ENI sweep works; without
 * each statement exactly the operations it allows are refused, and ipamd's log names them.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateNetworkInterfaceCommand } from '@aws-sdk/client-ec2';
import { CLUSTER_TAG, fullCniPolicy, type PolicyDocument, SCOPED_SIDS, scopedCniPolicy } from '../../iam/policies.ts';
import { type Emulator, startEmulator } from '../../sim/emulator.ts';
import type { PolicyDocument as SimPolicy } from '../../sim/iam/evaluate.ts';
import type { Topology } from '../../sim/topology.ts';
import { ec2Client } from '../helpers/emulator.ts';
import { type IpamdProcess, startIpamdProcess } from '../helpers/ipamd-process.ts';
import { addPods, ec2Counts, podKey, settles } from '../helpers/pool.ts';

const CLUSTER = 'blue';
const ROLE = 'arn:aws:iam::111122223333:role/vpcwire-node';
const TAG_INSTANCE_ID = 'node.k8s.amazonaws.com/instance_id';
const TAG_CREATED_AT = 'node.k8s.amazonaws.com/createdAt';

const topology: Topology = {
  region: 'us-west-2',
  accountId: '111122223333',
  vpc: {
    cidrs: ['10.62.0.0/16'],
    subnets: [{ name: 'nodes', cidr: '10.62.0.0/20', az: 'us-west-2a' }],
    securityGroups: [{ name: 'node-sg' }],
  },
  // The primary ENI carries the cluster tag, as the cluster's launch template puts it: the scoped
  // policy lets ipamd add addresses only to ENIs tagged for the cluster, and it cannot tag one later.
  instances: [{ name: 'node', type: 't3.small', subnet: 'nodes', securityGroups: ['node-sg'], primaryEniTags: { [CLUSTER_TAG]: CLUSTER } }],
  roles: [{ arn: ROLE, trustedSubjects: ['system:serviceaccount:kube-system:vpcwire'] }],
};

const policyFor = (sim: Emulator): PolicyDocument =>
  scopedCniPolicy({ partition: 'aws', accountId: sim.accountId, region: sim.region, clusterName: CLUSTER, vpcId: sim.vpc.id });

async function startNode(policy: (sim: Emulator) => PolicyDocument) {
  const sim = await startEmulator({ topology, profile: 'fast', throttling: false });
  sim.iam.setPolicies(ROLE, [policy(sim) as unknown as SimPolicy]);
  return { sim, instanceId: sim.instance('node').id, admin: ec2Client(sim) };
}

const refusedActions = (sim: Emulator) =>
  new Set(sim.log.entries().filter((e) => e.errorCode === 'UnauthorizedOperation').map((e) => e.action));

const ipamdLog = (p: IpamdProcess) => {
  const f = join(p.dir, 'ipamd.log');
  return (existsSync(f) ? readFileSync(f, 'utf8') : '') + p.stderr;
};

describe('ipamd under the scoped IAM policy (IRSA role)', () => {
  test('pool growth with cluster-tagged ENIs and the leaked-ENI sweep work; nothing is refused', async () => {
    const { sim, instanceId, admin } = await startNode(policyFor);
    const old = new Date(Date.now() - 10 * 60_000).toISOString();
    const leaked = (
      await admin.send(
        new CreateNetworkInterfaceCommand({
          SubnetId: sim.subnet('nodes').id,
          TagSpecifications: [
            {
              ResourceType: 'network-interface',
              Tags: [
                { Key: TAG_INSTANCE_ID, Value: instanceId },
                { Key: TAG_CREATED_AT, Value: old },
                { Key: CLUSTER_TAG, Value: CLUSTER },
              ],
            },
          ],
        }),
      )
    ).NetworkInterface!.NetworkInterfaceId!;
    const p = await startIpamdProcess(sim, instanceId, { CLUSTER_NAME: CLUSTER, VPCWIRE_LEAK_SWEEP_INTERVAL_MS: '200' }, { webIdentity: { roleArn: ROLE } });
    try {
      await addPods(p, 0, 5);
      // t3.small, WARM_ENI_TARGET=1: 5 pods -> 3 ENIs, 9 secondary IPs (DESIGN.md §3).
      await settles(() => ec2Counts(sim, instanceId), { enis: 3, ips: 9, prefixes: 0 });
      const created = sim.state.enisOf(instanceId).filter((e) => e.id !== sim.instance('node').primaryEniId);
      assert.equal(created.length, 2);
      for (const eni of created) {
        const tags = sim.state.tags.get(eni.id)!;
        assert.equal(tags.get(CLUSTER_TAG), CLUSTER);
        assert.equal(tags.get(TAG_INSTANCE_ID), instanceId);
        assert.ok(Number.isFinite(Date.parse(tags.get(TAG_CREATED_AT) ?? '')));
        assert.equal(eni.attachment?.deleteOnTermination, true);
      }
      await settles(() => sim.state.enis.has(leaked), false, { stableMs: 0 });
      assert.deepEqual([...refusedActions(sim)], []);
      // Every EC2 call ipamd made was signed by the role's session, none by the admin keys.
      const callers = new Set(sim.log.entries({ service: 'ec2' }).map((e) => e.caller));
      callers.delete(sim.credentials.accessKeyId);
      assert.equal(callers.size, 1);
      assert.match([...callers][0] ?? '', /^ASIA/);
    } finally {
      admin.destroy();
      await p.stop();
      await sim.stop();
    }
  });

  test('the full policy (AmazonEKS_CNI_Policy) works as well; the scoped one refuses ipamd without CLUSTER_NAME', async () => {
    const full = await startNode(() => fullCniPolicy({ partition: 'aws' }));
    const p = await startIpamdProcess(full.sim, full.instanceId, {}, { webIdentity: { roleArn: ROLE } });
    try {
      await addPods(p, 0, 5);
      await settles(() => ec2Counts(full.sim, full.instanceId), { enis: 3, ips: 9, prefixes: 0 });
      assert.deepEqual([...refusedActions(full.sim)], []);
    } finally {
      full.admin.destroy();
      await p.stop();
      await full.sim.stop();
    }
    // Without CLUSTER_NAME ipamd's new ENIs carry no cluster tag: the scoped policy refuses them.
    const scoped = await startNode(policyFor);
    const q = await startIpamdProcess(scoped.sim, scoped.instanceId, {}, { webIdentity: { roleArn: ROLE } });
    try {
      await addPods(q, 0, 1);
      await settles(() => refusedActions(scoped.sim).has('CreateNetworkInterface'), true, { stableMs: 0 });
      assert.deepEqual([...refusedActions(scoped.sim)], ['CreateNetworkInterface']);
    } finally {
      scoped.admin.destroy();
      await q.stop();
      await scoped.sim.stop();
    }
  });

  // Statement removed -> the EC2 action ipamd is refused first (named in its log), and every
  // action the emulator refuses is one that statement allows.
  const cases: { sid: string; actions: string[]; named: string }[] = [
    { sid: SCOPED_SIDS.describe, actions: ['DescribeInstances', 'DescribeInstanceTypes', 'DescribeNetworkInterfaces', 'DescribeSecurityGroups', 'DescribeSubnets', 'DescribeTags'], named: 'ec2:Describe' },
    { sid: SCOPED_SIDS.createInVpc, actions: ['CreateNetworkInterface'], named: 'ec2:CreateNetworkInterface on resource: arn:aws:ec2:us-west-2:111122223333:subnet/' },
    { sid: SCOPED_SIDS.createTagged, actions: ['CreateNetworkInterface'], named: 'ec2:CreateNetworkInterface on resource: arn:aws:ec2:us-west-2:111122223333:network-interface/*' },
    { sid: SCOPED_SIDS.tagOnCreate, actions: ['CreateNetworkInterface'], named: 'ec2:CreateTags on resource: arn:aws:ec2:us-west-2:111122223333:network-interface/*' },
    { sid: SCOPED_SIDS.attachToInstance, actions: ['AttachNetworkInterface', 'DetachNetworkInterface'], named: 'ec2:AttachNetworkInterface on resource: arn:aws:ec2:us-west-2:111122223333:instance/' },
    { sid: SCOPED_SIDS.mutateClusterEnis, actions: ['AssignPrivateIpAddresses', 'AttachNetworkInterface', 'DeleteNetworkInterface', 'DetachNetworkInterface', 'ModifyNetworkInterfaceAttribute', 'UnassignPrivateIpAddresses'], named: 'ec2:AssignPrivateIpAddresses on resource: arn:aws:ec2:us-west-2:111122223333:network-interface/' },
  ];
  for (const c of cases) {
    test(`without statement ${c.sid}: only ${c.actions.join('/')} refused, ipamd logs UnauthorizedOperation naming it`, async () => {
      const { sim, instanceId, admin } = await startNode((s) => {
        const full = policyFor(s);
        return { ...full, Statement: full.Statement.filter((st) => st.Sid !== c.sid) };
      });
      // Logs to stderr, so a refusal that stops ipamd from starting is in the error too.
      const env = { CLUSTER_NAME: CLUSTER, AWS_VPC_K8S_CNI_LOG_FILE: 'stderr' };
      let p: IpamdProcess | undefined;
      let log = '';
      try {
        p = await startIpamdProcess(sim, instanceId, env, { webIdentity: { roleArn: ROLE } }).catch((e: Error) => {
          log = e.message;
          return undefined;
        });
        if (p) {
          // One pod (asked again while the pool is empty): its address comes from the primary ENI,
          // and the warm target then wants a new ENI.
          const deadline = Date.now() + 10_000;
          let added = false;
          while (!(ipamdLog(p).includes('UnauthorizedOperation') && ipamdLog(p).includes(c.named)) && Date.now() < deadline) {
            if (!added) {
              added = await p.client
                .addNetwork({ key: podKey(0), netns: '/var/run/netns/pod0', pod: { namespace: 'default', name: 'pod-0', uid: 'uid-0' } })
                .then(() => true, () => false);
            }
            await sleep(100);
          }
          log = ipamdLog(p);
        }
        const refused = refusedActions(sim);
        assert.ok(refused.size > 0, 'nothing was refused');
        for (const a of refused) assert.ok(c.actions.includes(a), `${a} was refused, but ${c.sid} does not allow it`);
        assert.match(log, /UnauthorizedOperation/);
        assert.ok(log.includes(c.named), `ipamd's log does not name "${c.named}":\n${log.slice(-3000)}`);
        // Nothing is left behind: an ENI created but refused attachment is deleted again.
        await settles(() => sim.state.enis.size, 1, { stableMs: 0, ms: 5000 });
      } finally {
        admin.destroy();
        await p?.stop();
        await sim.stop();
      }
    });
  }
});
