import {
  AssignPrivateIpAddressesCommand,
  AttachNetworkInterfaceCommand,
  CreateNetworkInterfaceCommand,
  DeleteNetworkInterfaceCommand,
  DescribeInstanceTypesCommand,
  DescribeNetworkInterfacesCommand,
  DetachNetworkInterfaceCommand,
  EC2Client,
  type Filter,
  ModifyNetworkInterfaceAttributeCommand,
  type NetworkInterface,
  paginateDescribeNetworkInterfaces,
  paginateDescribeSubnets,
  type _InstanceType,
  UnassignPrivateIpAddressesCommand,
} from '@aws-sdk/client-ec2';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { randomUUID } from 'node:crypto';
import { IpamdError } from '../errors.ts';
import type { CallStats, CreateEniRequest, Ec2Eni, Ec2Filter, Ec2Port, Ec2Subnet, InstanceTypeInfo } from '../ports.ts';
import { classifyAwsError } from './classify.ts';
import type { MetricsPort } from '../metrics/port.ts';

export interface Ec2AdapterOptions {
  region: string;
  endpoint?: string;
  /** Omit to use the SDK's default chain (IRSA web identity, instance role...). */
  credentials?: AwsCredentialIdentity;
  /** SDK attempts per call, throttling and 5xx retried with the SDK's backoff (default 8). */
  maxAttempts?: number;
  /** Each call and each HTTP attempt reported (issue 13): requests, retries, throttling, latency. */
  metrics?: MetricsPort;
}

/**
 * The only place ipamd touches the EC2 SDK: each call retried by the SDK's standard mode (which
 * recognises RequestLimitExceeded and 5xx), each failure classified once into IpamdError, each
 * action's calls, errors and latency counted.
 */
export class Ec2Adapter implements Ec2Port {
  readonly #client: EC2Client;
  readonly stats = new Map<string, CallStats>();
  readonly #metrics: MetricsPort | undefined;

  constructor(opts: Ec2AdapterOptions) {
    this.#client = new EC2Client({
      region: opts.region,
      ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
      ...(opts.credentials ? { credentials: opts.credentials } : {}),
      maxAttempts: opts.maxAttempts ?? 8,
      retryMode: 'standard',
    });
    this.#metrics = opts.metrics;
    if (opts.metrics) this.#countAttempts(opts.metrics);
  }

  /**
   * Every HTTP request the SDK sends, retries and pages included: a middleware inside the retry
   * loop (the deserialize step runs once per attempt), outside the deserializer so it sees the
   * AWS error code of each answer. The attempt number is the one the retry strategy stamps on
   * the request (`amz-sdk-request: attempt=N; max=M`).
   */
  #countAttempts(metrics: MetricsPort): void {
    this.#client.middlewareStack.add(
      (next, context) => async (args) => {
        const action = (context.commandName ?? 'Unknown').replace(/Command$/, '');
        const header = (args.request as { headers?: Record<string, string> }).headers?.['amz-sdk-request'] ?? '';
        const attempt = Number(/attempt=(\d+)/.exec(header)?.[1] ?? 1);
        try {
          const out = await next(args);
          metrics.ec2Attempt({ action, attempt });
          return out;
        } catch (e) {
          const err = e as { Code?: string; name?: string };
          metrics.ec2Attempt({ action, attempt, awsCode: err.Code ?? err.name ?? 'Unknown' });
          throw e;
        }
      },
      { step: 'deserialize', priority: 'high', name: 'vpcwireAttemptMetrics' },
    );
  }

  #uncertain = 0;

  /** Mutating calls that succeeded only after a retry, so far: EC2 may hold more than they said. */
  uncertainMutations(): number {
    return this.#uncertain;
  }

  destroy(): void {
    this.#client.destroy();
  }

  /** Calls to mutating actions so far: what growing and shrinking the pool cost in EC2 requests. */
  mutatingCalls(): number {
    let n = 0;
    for (const [action, s] of this.stats) if (!action.startsWith('Describe')) n += s.calls;
    return n;
  }

  async #call<T>(action: string, fn: () => Promise<T>): Promise<T> {
    let s = this.stats.get(action);
    if (!s) {
      s = { calls: 0, errors: 0, throttled: 0, totalMs: 0, maxMs: 0 };
      this.stats.set(action, s);
    }
    s.calls++;
    const t0 = performance.now();
    let failure: { awsCode: string; status: number | undefined } | undefined;
    try {
      const out = await fn();
      // The SDK retried a mutation after a 5xx or a dropped connection: an earlier attempt may
      // have taken effect too (EC2 assigned addresses this answer does not list).
      if (!action.startsWith('Describe') && ((out as { $metadata?: { attempts?: number } })?.$metadata?.attempts ?? 1) > 1) this.#uncertain++;
      return out;
    } catch (e) {
      s.errors++;
      const err = classifyAwsError(action, e);
      failure = { awsCode: err.awsCode ?? err.code, status: (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode };
      if (err.code === 'IPAMD_EC2_THROTTLED') s.throttled++;
      throw err;
    } finally {
      const ms = performance.now() - t0;
      s.totalMs += ms;
      s.maxMs = Math.max(s.maxMs, ms);
      this.#metrics?.ec2Call(failure ? { action, ms, ...failure } : { action, ms, status: 200 });
    }
  }

  async instanceType(instanceType: string): Promise<InstanceTypeInfo> {
    const r = await this.#call('DescribeInstanceTypes', () =>
      this.#client.send(new DescribeInstanceTypesCommand({ InstanceTypes: [instanceType as _InstanceType] })),
    );
    const n = r.InstanceTypes?.[0]?.NetworkInfo;
    if (!n) throw new IpamdError('IPAMD_EC2_NOT_FOUND', `DescribeInstanceTypes: no network info for ${instanceType}`);
    const cards = (n.NetworkCards ?? []).map((c) => ({ index: c.NetworkCardIndex ?? 0, maxEnis: c.MaximumNetworkInterfaces ?? 0 }));
    const defaultCard = n.DefaultNetworkCardIndex ?? 0;
    return {
      // ipamd uses the default card only, as upstream does.
      maxEnis: cards.find((c) => c.index === defaultCard)?.maxEnis ?? n.MaximumNetworkInterfaces ?? 1,
      ipv4PerEni: n.Ipv4AddressesPerInterface ?? 1,
      nitro: r.InstanceTypes?.[0]?.Hypervisor === 'nitro' || r.InstanceTypes?.[0]?.BareMetal === true,
      networkCards: cards,
      defaultNetworkCard: defaultCard,
    };
  }

  async #describe(filters: Filter[]): Promise<Ec2Eni[]> {
    return this.#call('DescribeNetworkInterfaces', async () => {
      const out: Ec2Eni[] = [];
      for await (const page of paginateDescribeNetworkInterfaces(
        { client: this.#client, pageSize: 1000 },
        { Filters: filters },
      )) {
        for (const n of page.NetworkInterfaces ?? []) out.push(toEni(n));
      }
      return out;
    });
  }

  instanceEnis(instanceId: string): Promise<Ec2Eni[]> {
    return this.#describe([{ Name: 'attachment.instance-id', Values: [instanceId] }]);
  }

  async eni(eniId: string): Promise<Ec2Eni | undefined> {
    try {
      const r = await this.#call('DescribeNetworkInterfaces', () =>
        this.#client.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eniId] })),
      );
      const n = r.NetworkInterfaces?.[0];
      return n ? toEni(n) : undefined;
    } catch (e) {
      if (e instanceof IpamdError && e.code === 'IPAMD_EC2_NOT_FOUND') return undefined;
      throw e;
    }
  }

  availableEnisTagged(key: string, value: string): Promise<Ec2Eni[]> {
    return this.#describe([
      { Name: 'status', Values: ['available'] },
      { Name: `tag:${key}`, Values: [value] },
    ]);
  }

  async createEni(req: CreateEniRequest): Promise<Ec2Eni> {
    const token = randomUUID();
    const r = await this.#call('CreateNetworkInterface', () =>
      this.#client.send(
        new CreateNetworkInterfaceCommand({
          // One token per logical create: the SDK's retries of a lost answer (a 5xx after EC2
          // created it) then return the same ENI instead of leaving an orphan for the sweep.
          ClientToken: token,
          SubnetId: req.subnetId,
          Groups: [...req.groupIds],
          Description: req.description,
          ...(req.secondaryIpCount ? { SecondaryPrivateIpAddressCount: req.secondaryIpCount } : {}),
          ...(req.prefixCount ? { Ipv4PrefixCount: req.prefixCount } : {}),
          TagSpecifications: [
            {
              ResourceType: 'network-interface',
              Tags: Object.entries(req.tags).map(([Key, Value]) => ({ Key, Value })),
            },
          ],
        }),
      ),
    );
    return toEni(r.NetworkInterface!);
  }

  async attachEni(eniId: string, instanceId: string, deviceIndex: number, networkCard: number): Promise<string> {
    const r = await this.#call('AttachNetworkInterface', () =>
      this.#client.send(
        new AttachNetworkInterfaceCommand({
          NetworkInterfaceId: eniId,
          InstanceId: instanceId,
          DeviceIndex: deviceIndex,
          NetworkCardIndex: networkCard,
        }),
      ),
    );
    return r.AttachmentId!;
  }

  async setDeleteOnTermination(eniId: string, attachmentId: string): Promise<void> {
    await this.#call('ModifyNetworkInterfaceAttribute', () =>
      this.#client.send(
        new ModifyNetworkInterfaceAttributeCommand({
          NetworkInterfaceId: eniId,
          Attachment: { AttachmentId: attachmentId, DeleteOnTermination: true },
        }),
      ),
    );
  }

  async detachEni(attachmentId: string): Promise<void> {
    await this.#call('DetachNetworkInterface', () =>
      this.#client.send(new DetachNetworkInterfaceCommand({ AttachmentId: attachmentId })),
    );
  }

  async deleteEni(eniId: string): Promise<void> {
    await this.#call('DeleteNetworkInterface', () =>
      this.#client.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eniId })),
    );
  }

  async assignIps(eniId: string, count: number): Promise<string[]> {
    const r = await this.#call('AssignPrivateIpAddresses', () =>
      this.#client.send(
        new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: eniId, SecondaryPrivateIpAddressCount: count }),
      ),
    );
    return (r.AssignedPrivateIpAddresses ?? []).map((a) => a.PrivateIpAddress!);
  }

  async assignPrefixes(eniId: string, count: number): Promise<string[]> {
    const r = await this.#call('AssignPrivateIpAddresses', () =>
      this.#client.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: eniId, Ipv4PrefixCount: count })),
    );
    return (r.AssignedIpv4Prefixes ?? []).map((p) => p.Ipv4Prefix!);
  }

  async unassignIps(eniId: string, ips: readonly string[]): Promise<void> {
    await this.#call('UnassignPrivateIpAddresses', () =>
      this.#client.send(new UnassignPrivateIpAddressesCommand({ NetworkInterfaceId: eniId, PrivateIpAddresses: [...ips] })),
    );
  }

  async unassignPrefixes(eniId: string, prefixes: readonly string[]): Promise<void> {
    await this.#call('UnassignPrivateIpAddresses', () =>
      this.#client.send(new UnassignPrivateIpAddressesCommand({ NetworkInterfaceId: eniId, Ipv4Prefixes: [...prefixes] })),
    );
  }

  subnets(filters: readonly Ec2Filter[]): Promise<Ec2Subnet[]> {
    return this.#call('DescribeSubnets', async () => {
      const out: Ec2Subnet[] = [];
      const Filters = filters.map((f) => ({ Name: f.name, Values: [...f.values] }));
      for await (const page of paginateDescribeSubnets({ client: this.#client, pageSize: 1000 }, { Filters })) {
        for (const n of page.Subnets ?? []) {
          out.push({
            id: n.SubnetId ?? '',
            vpcId: n.VpcId ?? '',
            cidr: n.CidrBlock ?? '',
            availabilityZone: n.AvailabilityZone ?? '',
            availableIps: n.AvailableIpAddressCount ?? 0,
            tags: Object.fromEntries((n.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
          });
        }
      }
      return out;
    });
  }
}

function toEni(n: NetworkInterface): Ec2Eni {
  const a = n.Attachment;
  const addrs = n.PrivateIpAddresses ?? [];
  return {
    id: n.NetworkInterfaceId!,
    mac: n.MacAddress ?? '',
    status: n.Status ?? 'unknown',
    subnetId: n.SubnetId ?? '',
    primaryIp: n.PrivateIpAddress ?? '',
    secondaryIps: addrs.filter((x) => !x.Primary).map((x) => x.PrivateIpAddress!),
    prefixes: (n.Ipv4Prefixes ?? []).map((p) => p.Ipv4Prefix!),
    groupIds: (n.Groups ?? []).map((g) => g.GroupId!),
    tags: Object.fromEntries((n.TagSet ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
    description: n.Description ?? '',
    ...(a?.AttachmentId
      ? {
          attachment: {
            id: a.AttachmentId,
            instanceId: a.InstanceId ?? '',
            deviceIndex: a.DeviceIndex ?? 0,
            networkCard: a.NetworkCardIndex ?? 0,
            status: a.Status ?? 'unknown',
            deleteOnTermination: a.DeleteOnTermination ?? false,
          },
        }
      : {}),
  };
}
