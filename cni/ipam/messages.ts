/**
 * The protobuf messages the CNI plugin exchanges with ipamd, encoded with @bufbuild/protobuf's wire
 * layer only (BinaryWriter/BinaryReader: a bundle keeps those two classes and nothing of the
 * reflection runtime). The field numbers are the contract, copied from ipamd/api/ipamd.proto and
 * ipamd/api/health.proto: the plugin shares only those files with ipamd (DESIGN.md §1), so these
 * camelCase types are its own.
 *
 * Each message is a small table, field name -> [number, kind], read like the .proto; one generic
 * codec turns the table into an encoder and a decoder. Proto3 rules: a field at its default
 * ('' / 0 / false) is not written and reads back as the default; a repeated field is one record per
 * element; unknown fields are skipped, so replies of a newer ipamd (the .proto only ever adds
 * fields within a major) still decode. Every message has both directions: the client needs
 * requests out and replies in, tests and fakes the reverse.
 */
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';

export interface Codec<T> {
  encode(m: T): Uint8Array;
  /** Throws on malformed input (truncated, or a known field with the wrong wire type). */
  decode(bytes: Uint8Array): T;
  /** Writes the fields into `w` (for embedding as a sub-message). */
  write(w: BinaryWriter, m: T): void;
}

/** The kinds this API uses; int64 values are milliseconds, exact in a double. */
type Kind = 'string' | 'int32' | 'int64' | 'bool' | 'strings' | Codec<never>;

type Spec<V> = V extends string
  ? readonly [number, 'string']
  : V extends number
    ? readonly [number, 'int32' | 'int64']
    : V extends boolean
      ? readonly [number, 'bool']
      : V extends string[]
        ? readonly [number, 'strings']
        : V extends (infer M)[]
          ? readonly [number, Codec<M>]
          : never;

const S = WireType.LengthDelimited;
const V = WireType.Varint;

function codec<T>(fields: { readonly [K in keyof T]-?: Spec<T[K]> }): Codec<T> {
  const table = Object.entries(fields as Record<string, readonly [number, Kind]>);
  // Built on first decode: a one-shot process decodes one or two of these messages, not all.
  let byNumber: Map<number, { key: string; kind: Kind; wire: WireType }> | undefined;
  const lookup = () =>
    (byNumber ??= new Map(table.map(([key, [no, kind]]) => [no, { key, kind, wire: kind === 'int32' || kind === 'int64' || kind === 'bool' ? V : S }])));

  const write = (w: BinaryWriter, m: T): void => {
    const rec = m as Record<string, unknown>;
    for (const [key, [no, kind]] of table) {
      const v = rec[key];
      if (kind === 'string') {
        if (v !== '') w.tag(no, S).string(v as string);
      } else if (kind === 'int32') {
        if (v !== 0) w.tag(no, V).int32(v as number);
      } else if (kind === 'int64') {
        if (v !== 0) w.tag(no, V).int64(Math.trunc(v as number));
      } else if (kind === 'bool') {
        if (v) w.tag(no, V).bool(true);
      } else if (kind === 'strings') {
        for (const s of v as string[]) w.tag(no, S).string(s);
      } else {
        for (const sub of v as never[]) {
          w.tag(no, S).fork();
          kind.write(w, sub);
          w.join();
        }
      }
    }
  };

  const defaults = (): Record<string, unknown> => {
    const m: Record<string, unknown> = {};
    for (const [key, [, kind]] of table) {
      m[key] = kind === 'string' ? '' : kind === 'int32' || kind === 'int64' ? 0 : kind === 'bool' ? false : [];
    }
    return m;
  };

  const decode = (bytes: Uint8Array): T => {
    const m = defaults();
    const fieldsByNumber = lookup();
    const r = new BinaryReader(bytes);
    while (r.pos < r.len) {
      const [no, wire] = r.tag();
      const field = fieldsByNumber.get(no);
      if (field === undefined) {
        r.skip(wire, no); // unknown: a newer ipamd's addition
        continue;
      }
      if (wire !== field.wire) throw new Error(`field ${no} (${field.key}) has wire type ${wire}, expected ${field.wire}`);
      const { key, kind } = field;
      if (kind === 'string') m[key] = r.string();
      else if (kind === 'int32') m[key] = r.int32();
      else if (kind === 'int64') m[key] = Number(r.int64());
      else if (kind === 'bool') m[key] = r.bool();
      else if (kind === 'strings') (m[key] as string[]).push(r.string());
      else (m[key] as unknown[]).push(kind.decode(r.bytes()));
    }
    return m as T;
  };

  return {
    write,
    decode,
    encode(m: T): Uint8Array {
      const w = new BinaryWriter();
      write(w, m);
      return w.finish();
    },
  };
}

// --- vpcwire.ipamd.v1 (ipamd.proto)

export interface AddNetworkRequest {
  clientVersion: string;
  networkName: string;
  containerId: string;
  ifName: string;
  netns: string;
  k8sPodNamespace: string;
  k8sPodName: string;
  k8sPodUid: string;
  k8sPodInfraContainerId: string;
}
export const AddNetworkRequest = codec<AddNetworkRequest>({
  clientVersion: [1, 'string'],
  networkName: [2, 'string'],
  containerId: [3, 'string'],
  ifName: [4, 'string'],
  netns: [5, 'string'],
  k8sPodNamespace: [6, 'string'],
  k8sPodName: [7, 'string'],
  k8sPodUid: [8, 'string'],
  k8sPodInfraContainerId: [9, 'string'],
});

export interface AddNetworkReply {
  ipv4Address: string;
  deviceIndex: number;
  /** 0 = the main table (primary ENI), otherwise deviceIndex + 1. */
  routeTable: number;
  eniId: string;
  eniMac: string;
  subnetCidr: string;
  subnetGateway: string;
  vpcCidrs: string[];
  mtu: number;
  vethPrefix: string;
  /** The /28 in prefix mode; '' in secondary-IP mode. */
  prefix: string;
  /** The triple already held this address (a repeated ADD): never release it on a failed wiring. */
  existing: boolean;
  /** The pod's host veth name, as ipamd names it (API 1.1). */
  hostVethName: string;
}
export const AddNetworkReply = codec<AddNetworkReply>({
  ipv4Address: [1, 'string'],
  deviceIndex: [2, 'int32'],
  routeTable: [3, 'int32'],
  eniId: [4, 'string'],
  eniMac: [5, 'string'],
  subnetCidr: [6, 'string'],
  subnetGateway: [7, 'string'],
  vpcCidrs: [8, 'strings'],
  mtu: [9, 'int32'],
  vethPrefix: [10, 'string'],
  prefix: [11, 'string'],
  existing: [12, 'bool'],
  hostVethName: [13, 'string'],
});

export interface DelNetworkRequest {
  clientVersion: string;
  networkName: string;
  containerId: string;
  ifName: string;
  reason: string;
  k8sPodNamespace: string;
  k8sPodName: string;
}
export const DelNetworkRequest = codec<DelNetworkRequest>({
  clientVersion: [1, 'string'],
  networkName: [2, 'string'],
  containerId: [3, 'string'],
  ifName: [4, 'string'],
  reason: [5, 'string'],
  k8sPodNamespace: [6, 'string'],
  k8sPodName: [7, 'string'],
});

export interface DelNetworkReply {
  /** False when the triple held nothing; the other fields are then at their defaults. */
  released: boolean;
  ipv4Address: string;
  deviceIndex: number;
  routeTable: number;
}
export const DelNetworkReply = codec<DelNetworkReply>({
  released: [1, 'bool'],
  ipv4Address: [2, 'string'],
  deviceIndex: [3, 'int32'],
  routeTable: [4, 'int32'],
});

/** ListAllocationsRequest and GetPoolStatusRequest carry only the version (field 1). */
export interface VersionedRequest {
  clientVersion: string;
}
export const VersionedRequest = codec<VersionedRequest>({ clientVersion: [1, 'string'] });

export interface Allocation {
  networkName: string;
  containerId: string;
  ifName: string;
  k8sPodNamespace: string;
  k8sPodName: string;
  k8sPodUid: string;
  ipv4Address: string;
  eniId: string;
  allocatedAtUnixMs: number;
  /** The host route table the pod's traffic uses, as in AddNetworkReply. */
  routeTable: number;
  /** Rebuilt from the kernel after ipamd's checkpoint lost it: key and pod are empty. */
  recovered: boolean;
  hostVethName: string;
}
export const Allocation = codec<Allocation>({
  networkName: [1, 'string'],
  containerId: [2, 'string'],
  ifName: [3, 'string'],
  k8sPodNamespace: [4, 'string'],
  k8sPodName: [5, 'string'],
  k8sPodUid: [6, 'string'],
  ipv4Address: [7, 'string'],
  eniId: [8, 'string'],
  allocatedAtUnixMs: [9, 'int64'],
  routeTable: [10, 'int32'],
  recovered: [11, 'bool'],
  hostVethName: [12, 'string'],
});

export interface ListAllocationsReply {
  allocations: Allocation[];
}
export const ListAllocationsReply = codec<ListAllocationsReply>({ allocations: [1, Allocation] });

export interface GetPoolStatusReply {
  serving: boolean;
  freeAddresses: number;
  assignedAddresses: number;
  canGrow: boolean;
  reason: string;
  /** '' while ipamd's host networking (ENI routes and rules, SNAT) is right; else what is wrong. */
  hostNetworkProblem: string;
}
export const GetPoolStatusReply = codec<GetPoolStatusReply>({
  serving: [1, 'bool'],
  freeAddresses: [2, 'int32'],
  assignedAddresses: [3, 'int32'],
  canGrow: [4, 'bool'],
  reason: [5, 'string'],
  hostNetworkProblem: [6, 'string'],
});

// --- grpc.health.v1 (health.proto)

export interface HealthCheckRequest {
  /** '' = the whole server. */
  service: string;
}
export const HealthCheckRequest = codec<HealthCheckRequest>({ service: [1, 'string'] });

/** HealthCheckResponse.ServingStatus, indexed by its number. */
export const SERVING_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'] as const;

export interface HealthCheckResponse {
  /** A ServingStatus number (see SERVING_STATUS). */
  status: number;
}
export const HealthCheckResponse = codec<HealthCheckResponse>({ status: [1, 'int32'] });
