import { randomBytes } from 'node:crypto';
import { createAdminService } from './admin/admin-service.ts';
import { CLOUDWATCH_BUCKETS, createCloudWatchService, MAX_REQUEST_BYTES, tooLargeResponse } from './cloudwatch/cloudwatch-service.ts';
import { MetricStore } from './cloudwatch/metric-store.ts';
import type { DataPlane } from './dataplane/types.ts';
import { bridgeDataPlane } from './dataplane-bridge.ts';
import { type Caller, createEc2Service } from './ec2/ec2-service.ts';
import { AwsError } from './errors.ts';
import { FaultInjector } from './faults/fault-injector.ts';
import { RequestLog } from './faults/request-log.ts';
import { assertLoopback, listen, type RunningServer } from './http/server.ts';
import { createImdsService } from './imds/imds-service.ts';
import { LaggedMetadata } from './imds/lagged-view.ts';
import { type Clock, systemClock } from './model/clock.ts';
import type { Instance, SecurityGroup, Subnet, Vpc } from './model/types.ts';
import { type Timings, VpcState } from './model/vpc-state.ts';
import { PROFILES } from './profiles.ts';
import type { PolicyDocument } from './iam/evaluate.ts';
import { IamStore } from './iam/iam-store.ts';
import { CredentialStore } from './sts/credential-store.ts';
import { OidcIssuer } from './sts/oidc-issuer.ts';
import { SigV4Error, verifySigV4 } from './sts/sigv4-verify.ts';
import { createStsService, toStsAuthError } from './sts/sts-service.ts';
import { type BucketSpec, loadPublishedBuckets, TokenBuckets } from './throttle/token-buckets.ts';
import { loadTopology, type Topology, validateTopology } from './topology.ts';

export interface EmulatorOptions {
  /** A topology object or a path to a topology file; the default topology otherwise. */
  topology?: Topology | string;
  /** `fast` (default), `instant` or `realistic`: transition delays, IMDS lag and latency. */
  profile?: keyof typeof PROFILES;
  timings?: Partial<Timings>;
  imdsLagMs?: number;
  /** false disables throttling; an object overrides bucket sizes by bucket name. */
  throttling?: boolean | Record<string, Partial<BucketSpec>>;
  /**
   * Static credentials the EC2 endpoint accepts; one pair is generated when omitted. They act as
   * the IAM user `vpcwire-admin`, unrestricted unless `policies` are given (then only what those
   * identity policies allow, as for a role with `policies` in the topology).
   */
  credentials?: { accessKeyId: string; secretAccessKey: string; policies?: PolicyDocument[] };
  /** Create the kernel data plane (root only): a netns per instance behind a VPC router netns. */
  dataPlane?: boolean;
  /** Loopback address to serve on (127.0.0.1); anything but 127.0.0.0/8 or ::1 is refused. */
  host?: string;
  ports?: { ec2?: number; sts?: number; admin?: number; cloudwatch?: number };
  clock?: Clock;
  /** Seed for the fault injector's random draws. */
  seed?: number;
  /**
   * The OIDC issuer URL of the emulated cluster (IRSA); a random EKS-shaped one by default. Fix it
   * when a topology role's `trustPolicy` names the OIDC provider.
   */
  oidcIssuer?: string;
}

export interface Emulator {
  readonly region: string;
  readonly accountId: string;
  readonly endpoints: { readonly ec2: string; readonly sts: string; readonly admin: string; readonly cloudwatch: string };
  /** The static credentials that sign EC2 and CloudWatch requests. */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly state: VpcState;
  readonly faults: FaultInjector;
  readonly throttle: TokenBuckets;
  /** The emulated CloudWatch's metrics: what PutMetricData stored (datapointCount, metricCount, get(), all(), reset()). */
  readonly cloudwatch: MetricStore;
  readonly log: RequestLog;
  readonly metadata: LaggedMetadata;
  readonly credentialStore: CredentialStore;
  /** Identity policies by principal ARN, enforced on EC2 and CloudWatch calls; change them at any time. */
  readonly iam: IamStore;
  /** The ARN the static credentials act as (`arn:aws:iam::<account>:user/vpcwire-admin`). */
  readonly adminArn: string;
  readonly oidc: OidcIssuer;
  readonly dataPlane: DataPlane | undefined;
  /** The IMDS endpoint of an instance (each instance has its own, as each EC2 host does). */
  imdsEndpoint(instanceId: string): string;
  /** Topology objects by name. */
  instance(name: string): Instance;
  subnet(name: string): Subnet;
  securityGroup(name: string): SecurityGroup;
  readonly vpc: Vpc;
  launchInstance(spec: {
    type: string;
    subnet: string;
    securityGroups?: string[];
    name?: string;
  }): Promise<Instance>;
  terminateInstance(instanceId: string): Promise<void>;
  stop(): Promise<void>;
}

function generatedCredentials(): { accessKeyId: string; secretAccessKey: string; policies?: PolicyDocument[] } {
  return {
    accessKeyId: `AKIA${randomBytes(8).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(30).toString('base64'),
  };
}

/** Starts a whole emulated VPC in-process on ephemeral loopback ports. */
export async function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  if (opts.host !== undefined) assertLoopback(opts.host, 'host');
  const topology =
    typeof opts.topology === 'string'
      ? loadTopology(opts.topology)
      : opts.topology
        ? validateTopology(opts.topology)
        : loadTopology();
  const profile = PROFILES[opts.profile ?? 'fast'];
  if (!profile)
    throw new Error(`unknown profile '${String(opts.profile)}' (known: ${Object.keys(PROFILES).join(', ')})`);
  const clock = opts.clock ?? systemClock;
  const state = new VpcState({
    accountId: topology.accountId,
    region: topology.region,
    clock,
    timings: { ...profile.timings, ...opts.timings },
  });
  const faults = new FaultInjector(opts.seed ?? 1);
  for (const [action, spec] of Object.entries(profile.latency)) faults.setLatency(action, spec);
  const throttle = new TokenBuckets(clock, { ...loadPublishedBuckets(), ...CLOUDWATCH_BUCKETS }, opts.throttling !== false);
  if (typeof opts.throttling === 'object') throttle.configure({ buckets: opts.throttling });
  const log = new RequestLog();
  const now = () => clock.now();
  const { policies: adminPolicies, ...credentials } = opts.credentials ?? generatedCredentials();
  const adminArn = `arn:aws:iam::${state.accountId}:user/vpcwire-admin`;
  const credentialStore = new CredentialStore({ now, static: [{ ...credentials, arn: adminArn }] });
  const iam = new IamStore();
  if (adminPolicies) iam.setPolicies(adminArn, adminPolicies);
  for (const r of topology.roles ?? []) if (r.policies) iam.setPolicies(r.arn, r.policies);
  const oidc = new OidcIssuer({ now, ...(opts.oidcIssuer ? { issuer: opts.oidcIssuer } : {}) });

  // Topology: VPC, subnets, security groups, instances.
  const vpc = state.addVpc(topology.vpc.cidrs, topology.vpc.tags);
  state.addSecurityGroup(vpc.id, 'default', 'default VPC security group');
  const subnets = new Map<string, Subnet>();
  for (const s of topology.vpc.subnets) subnets.set(s.name, state.addSubnet(vpc.id, s.cidr, s.az, s.tags));
  const groups = new Map<string, SecurityGroup>();
  for (const sg of state.securityGroups.values()) groups.set(sg.name, sg);
  for (const g of topology.vpc.securityGroups ?? []) {
    groups.set(g.name, state.addSecurityGroup(vpc.id, g.name, g.description));
  }
  const named = new Map<string, Instance>();
  const launch = (spec: { type: string; subnet: string; securityGroups?: string[]; name?: string }) => {
    const subnet = subnets.get(spec.subnet) ?? state.subnet(spec.subnet);
    const sgIds = (spec.securityGroups ?? ['default']).map(
      (g) => groups.get(g)?.id ?? state.securityGroup(g).id,
    );
    const inst = state.launchInstance({
      instanceType: spec.type,
      subnetId: subnet.id,
      securityGroupIds: sgIds,
      tags: spec.name ? { Name: spec.name } : {},
    });
    if (spec.name) named.set(spec.name, inst);
    return inst;
  };
  for (const i of topology.instances ?? []) {
    const inst = launch({ ...i, name: i.name });
    for (const [k, v] of Object.entries(i.primaryEniTags ?? {})) state.tagsOf(inst.primaryEniId).set(k, v);
  }

  const metadata = new LaggedMetadata(state, opts.imdsLagMs ?? profile.imdsLagMs);
  const host = opts.host ?? '127.0.0.1';
  const servers: RunningServer[] = [];
  const imds = new Map<string, RunningServer>();
  const startImds = async (instanceId: string) => {
    const srv = await listen(createImdsService({ instanceId, metadata, clock, log }), { host });
    servers.push(srv);
    imds.set(instanceId, srv);
  };

  /**
   * Who signed a request (SigV4 scoped to `service` in the emulator's region, as a regional endpoint
   * requires): a session acts with its role's policies, a static key with its user's.
   */
  const callerOf = async (req: Parameters<typeof verifySigV4>[0], service: string): Promise<Caller> => {
    const p = await verifySigV4(req, credentialStore, { service, region: state.region, now });
    const cred = credentialStore.get(p.accessKeyId);
    const policies = iam.policiesOf(cred?.kind === 'temporary' ? cred.roleArn : p.arn);
    return { accessKeyId: p.accessKeyId, accountId: p.accountId, arn: p.arn, ...(policies ? { policies } : {}) };
  };
  const cloudwatch = new MetricStore();

  let dataPlane: DataPlane | undefined;
  let unbridge: (() => void) | undefined;
  try {
    const ec2 = await listen(
      createEc2Service({
        state,
        throttle,
        faults,
        log,
        authenticate: async (req) => {
          try {
            return await callerOf(req, 'ec2');
          } catch (e) {
            // EC2 answers expired session credentials with RequestExpired, not AuthFailure.
            if (e instanceof SigV4Error && e.reason === 'expired-token') {
              throw new AwsError('RequestExpired', 'Request has expired.', 400);
            }
            throw e;
          }
        },
      }),
      { host, port: opts.ports?.ec2 ?? 0 },
    );
    servers.push(ec2);
    const sts = await listen(
      createStsService({
        store: credentialStore,
        oidc,
        roles: topology.roles ?? [],
        now,
        region: state.region,
      }),
      { host, port: opts.ports?.sts ?? 0 },
    );
    servers.push(sts);
    const cw = await listen(
      createCloudWatchService({
        store: cloudwatch,
        throttle,
        faults,
        log,
        clock,
        region: state.region,
        closed: () => state.closed,
        authenticate: async (req) => {
          try {
            return await callerOf(req, 'monitoring');
          } catch (e) {
            // CloudWatch, like STS, answers InvalidClientTokenId, SignatureDoesNotMatch, ExpiredToken...
            throw e instanceof SigV4Error ? toStsAuthError(e, req, now()) : e;
          }
        },
      }),
      { host, port: opts.ports?.cloudwatch ?? 0, maxBody: MAX_REQUEST_BYTES, tooLarge: tooLargeResponse(clock) },
    );
    servers.push(cw);
    for (const id of state.instances.keys()) await startImds(id);
    if (opts.dataPlane) {
      const { createKernelDataPlane } = await import('./dataplane/kernel-dataplane.ts');
      dataPlane = await createKernelDataPlane({ id: randomBytes(3).toString('hex') });
      unbridge = bridgeDataPlane(state, dataPlane);
      await dataPlane.settled();
    }
    const emulator: Emulator = {
      region: state.region,
      accountId: state.accountId,
      endpoints: { ec2: ec2.url, sts: sts.url, admin: '', cloudwatch: cw.url },
      credentials,
      state,
      faults,
      throttle,
      cloudwatch,
      log,
      metadata,
      credentialStore,
      iam,
      adminArn,
      oidc,
      dataPlane,
      vpc,
      imdsEndpoint(instanceId) {
        const srv = imds.get(instanceId);
        if (!srv) throw new Error(`no IMDS for instance '${instanceId}'`);
        return srv.url;
      },
      instance(name) {
        const i = named.get(name);
        if (!i) throw new Error(`no instance named '${name}' (known: ${[...named.keys()].join(', ')})`);
        return i;
      },
      subnet(name) {
        const s = subnets.get(name);
        if (!s) throw new Error(`no subnet named '${name}' (known: ${[...subnets.keys()].join(', ')})`);
        return s;
      },
      securityGroup(name) {
        const g = groups.get(name);
        if (!g) throw new Error(`no security group named '${name}'`);
        return g;
      },
      async launchInstance(spec) {
        const inst = launch(spec);
        await startImds(inst.id);
        return inst;
      },
      async terminateInstance(instanceId) {
        state.terminateInstance(instanceId);
        const srv = imds.get(instanceId);
        imds.delete(instanceId);
        await srv?.close();
      },
      async stop() {
        // Close the state first so requests still paused or sleeping in the fault injector change
        // nothing when they are released, then close the servers and release them.
        unbridge?.();
        metadata.close();
        state.close();
        const closing = Promise.all(servers.map((s) => s.close()));
        faults.clear();
        await closing;
        await dataPlane?.close();
      },
    };
    const admin = await listen(createAdminService(emulator), { host, port: opts.ports?.admin ?? 0 });
    servers.push(admin);
    (emulator.endpoints as { admin: string }).admin = admin.url;
    return emulator;
  } catch (e) {
    unbridge?.();
    metadata.close();
    state.close();
    await Promise.all(servers.map((s) => s.close()));
    await dataPlane?.close().catch(() => undefined);
    throw e;
  }
}
