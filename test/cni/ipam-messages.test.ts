// The plugin's hand-written protobuf codecs (cni/ipam/messages.ts) against the encoder ipamd itself
// uses: @grpc/proto-loader (protobufjs) loading ipamd.proto and health.proto with ipamd's options.
// For random messages shaped by the .proto's own descriptors, both ways: our bytes decoded by
// protobufjs, protobufjs's bytes decoded by ours, must give back the same object. A field added to
// the .proto and missing here (or numbered differently) fails this. Also: unknown fields are skipped, wrong wire types refused.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { loadSync, type MethodDefinition } from '@grpc/proto-loader';
import { HEALTH_PROTO_PATH, IPAMD_PROTO_PATH, LOADER_OPTIONS } from '../../ipamd/api/proto.ts';
import {
  AddNetworkReply,
  AddNetworkRequest,
  type Codec,
  DelNetworkReply,
  DelNetworkRequest,
  GetPoolStatusReply,
  HealthCheckRequest,
  HealthCheckResponse,
  ListAllocationsReply,
  SERVING_STATUS,
  VersionedRequest,
} from '../../cni/ipam/messages.ts';

const ipamPkg = loadSync(IPAMD_PROTO_PATH, LOADER_OPTIONS);
const healthPkg = loadSync(HEALTH_PROTO_PATH, LOADER_OPTIONS);
const ipamDef = ipamPkg['vpcwire.ipamd.v1.Ipam'] as unknown as Record<string, MethodDefinition<object, object>>;
const healthDef = healthPkg['grpc.health.v1.Health'] as unknown as Record<string, MethodDefinition<object, object>>;

// ipamd's loader options: snake_case names, int64 as decimal strings, enums as names.
const INT64 = new Set(['allocated_at_unix_ms']);
const snake = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const camel = (k: string): string => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const mapKeys = (v: unknown, key: (k: string) => string, value: (k: string, v: unknown) => unknown): unknown => {
  if (Array.isArray(v)) return v.map((x) => mapKeys(x, key, value));
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [key(k), value(key(k), mapKeys(x, key, value))]));
};
const toLoader = (m: object, enumNames?: readonly string[]): object =>
  mapKeys(m, snake, (k, v) => (INT64.has(k) ? String(v) : enumNames && k === 'status' ? enumNames[v as number] : v)) as object;
const fromLoader = (m: object, enumNames?: readonly string[]): object =>
  mapKeys(m, camel, (k, v) => (k === 'allocatedAtUnixMs' ? Number(v) : enumNames && k === 'status' ? enumNames.indexOf(v as string) : v)) as object;

const text = fc.oneof(fc.constant(''), fc.string(), fc.string({ unit: 'grapheme', maxLength: 40 }));
const int32 = fc.oneof(fc.constant(0), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }));
const ms = fc.oneof(fc.constant(0), fc.constant(1_700_000_000_123), fc.maxSafeInteger());

interface FieldDescriptor {
  name: string;
  label: string;
  type: string;
  typeName: string;
}

/**
 * Random messages with exactly the fields the .proto declares (camelCase), built from the loader's
 * own descriptors: a field added to the .proto and not to messages.ts makes the decoders disagree.
 */
function arbitraryOf(pkg: Record<string, unknown>, pkgName: string, message: string): fc.Arbitrary<object> {
  const fields = (pkg[`${pkgName}.${message}`] as { type: { field: FieldDescriptor[] } }).type.field;
  const scalar: Record<string, fc.Arbitrary<unknown>> = {
    TYPE_STRING: text, TYPE_INT32: int32, TYPE_INT64: ms, TYPE_BOOL: fc.boolean(), TYPE_ENUM: fc.integer({ min: 0, max: 3 }),
  };
  return fc.record(
    Object.fromEntries(
      fields.map((f) => {
        const one = scalar[f.type] ?? arbitraryOf(pkg, pkgName, f.typeName);
        return [camel(f.name), f.label === 'LABEL_REPEATED' ? fc.array(one, { maxLength: 4 }) : one];
      }),
    ),
  );
}

interface Case {
  name: string;
  codec: Codec<object>;
  arb: fc.Arbitrary<object>;
  serialize: (m: object) => Buffer;
  deserialize: (b: Buffer) => object;
  enumNames?: readonly string[];
}

/** One message of a method: its codec here, its protobufjs codec and random instances. */
const side = (
  name: string, codec: unknown, def: MethodDefinition<object, object>, dir: 'request' | 'response', pkg = ipamPkg, pkgName = 'vpcwire.ipamd.v1',
): Case => ({
  name,
  codec: codec as Codec<object>,
  arb: arbitraryOf(pkg, pkgName, name),
  serialize: dir === 'request' ? def.requestSerialize : def.responseSerialize,
  deserialize: dir === 'request' ? def.requestDeserialize : def.responseDeserialize,
});

const CASES: Case[] = [
  side('AddNetworkRequest', AddNetworkRequest, ipamDef.AddNetwork!, 'request'),
  side('AddNetworkReply', AddNetworkReply, ipamDef.AddNetwork!, 'response'),
  side('DelNetworkRequest', DelNetworkRequest, ipamDef.DelNetwork!, 'request'),
  side('DelNetworkReply', DelNetworkReply, ipamDef.DelNetwork!, 'response'),
  side('ListAllocationsRequest', VersionedRequest, ipamDef.ListAllocations!, 'request'),
  side('ListAllocationsReply', ListAllocationsReply, ipamDef.ListAllocations!, 'response'),
  side('GetPoolStatusRequest', VersionedRequest, ipamDef.GetPoolStatus!, 'request'),
  side('GetPoolStatusReply', GetPoolStatusReply, ipamDef.GetPoolStatus!, 'response'),
  side('HealthCheckRequest', HealthCheckRequest, healthDef.Check!, 'request', healthPkg, 'grpc.health.v1'),
  { ...side('HealthCheckResponse', HealthCheckResponse, healthDef.Check!, 'response', healthPkg, 'grpc.health.v1'), enumNames: SERVING_STATUS },
];

describe('messages.ts against protobufjs (ipamd.proto, health.proto, ipamd loader options)', () => {
  for (const c of CASES) {
    test(`${c.name}: ours -> protobufjs and protobufjs -> ours give the same object`, () => {
      fc.assert(
        // fc.record builds null-prototype objects; compare with plain ones, as decoders build.
        fc.property(c.arb.map((m) => structuredClone(m)), (m) => {
          assert.deepEqual(fromLoader(c.deserialize(Buffer.from(c.codec.encode(m))), c.enumNames), m, 'protobufjs reading our bytes');
          assert.deepEqual(c.codec.decode(c.serialize(toLoader(m, c.enumNames))), m, 'we reading protobufjs bytes');
        }),
        { numRuns: 200 },
      );
    });
  }
});

describe('forward compatibility and malformed input', () => {
  const reply: AddNetworkReply = {
    ...AddNetworkReply.decode(new Uint8Array()), // every field the .proto declares, at its default
    ipv4Address: '10.0.16.5', deviceIndex: 1, routeTable: 2, eniId: 'eni-0b', eniMac: '02:00:00:00:00:0b',
    subnetCidr: '10.0.16.0/20', subnetGateway: '10.0.16.1', vpcCidrs: ['10.0.0.0/16'], mtu: 9001, vethPrefix: 'eni',
    existing: true,
  };

  test('fields of every wire type unknown to this client (a newer ipamd) are skipped', () => {
    const unknown = Buffer.from([
      0xa0, 0x06, 0x96, 0x01, // field 100, varint 150
      0xa9, 0x06, 1, 2, 3, 4, 5, 6, 7, 8, // field 101, fixed64
      0xb2, 0x06, 0x03, 0x61, 0x62, 0x63, // field 102, length-delimited "abc"
      0xbd, 0x06, 1, 2, 3, 4, // field 103, fixed32
    ]);
    const ours = Buffer.from(AddNetworkReply.encode(reply));
    assert.deepEqual(AddNetworkReply.decode(Buffer.concat([unknown, ours, unknown])), reply);
  });

  test('a known field with the wrong wire type, or a truncated message, is refused', () => {
    assert.throws(() => AddNetworkReply.decode(Buffer.from([0x08, 0x01])), /field 1 \(ipv4Address\) has wire type 0, expected 2/);
    const bytes = AddNetworkReply.encode(reply);
    assert.throws(() => AddNetworkReply.decode(bytes.subarray(0, bytes.length - 3)));
  });
});
