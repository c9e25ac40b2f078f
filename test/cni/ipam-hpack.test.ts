// HPACK (RFC 7541) as the plugin's gRPC client decodes ipamd's headers: the Appendix C examples
// byte for byte (requests and responses, raw and Huffman, with the dynamic table's contents and
// evictions after every block), the Huffman code derived from its lengths against published codes,
// the §5.2 padding rules, size updates, and the client's literal encoder.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { encodeHeaderBlock, type HeaderField, HpackDecoder, HpackError } from '../../cni/ipam/hpack.ts';
import { EOS, huffmanCode, huffmanDecode, huffmanEncode, HuffmanError } from '../../cni/ipam/huffman.ts';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

interface Step {
  section: string;
  block: string;
  fields: [string, string][];
  /** The dynamic table after the block, newest first, and its size in octets. */
  table: [string, string][];
  size: number;
}

const runSeries = (steps: Step[], limit: number): void => {
  const d = new HpackDecoder(limit);
  for (const s of steps) {
    assert.deepEqual(d.decode(hex(s.block)), s.fields, s.section);
    assert.deepEqual(d.table(), s.table, `${s.section}: dynamic table`);
    assert.equal(d.tableSize, s.size, `${s.section}: table size`);
  }
};

const REQ1: [string, string][] = [[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com']];
const REQ2: [string, string][] = [...REQ1, ['cache-control', 'no-cache']];
const REQ3: [string, string][] = [[':method', 'GET'], [':scheme', 'https'], [':path', '/index.html'], [':authority', 'www.example.com'], ['custom-key', 'custom-value']];
const T1: [string, string][] = [[':authority', 'www.example.com']];
const T2: [string, string][] = [['cache-control', 'no-cache'], ...T1];
const T3: [string, string][] = [['custom-key', 'custom-value'], ...T2];

const DATE1 = 'Mon, 21 Oct 2013 20:13:21 GMT';
const DATE2 = 'Mon, 21 Oct 2013 20:13:22 GMT';
const LOC = 'https://www.example.com';
const COOKIE = 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1';
const RESP1: [string, string][] = [[':status', '302'], ['cache-control', 'private'], ['date', DATE1], ['location', LOC]];
const RESP2: [string, string][] = [[':status', '307'], ['cache-control', 'private'], ['date', DATE1], ['location', LOC]];
const RESP3: [string, string][] = [[':status', '200'], ['cache-control', 'private'], ['date', DATE2], ['location', LOC], ['content-encoding', 'gzip'], ['set-cookie', COOKIE]];
// C.5.1: four entries, 222 octets. C.5.2: ":status: 307" evicts ":status: 302". C.5.3: three evictions.
const RT1: [string, string][] = [['location', LOC], ['date', DATE1], ['cache-control', 'private'], [':status', '302']];
const RT2: [string, string][] = [[':status', '307'], ['location', LOC], ['date', DATE1], ['cache-control', 'private']];
const RT3: [string, string][] = [['set-cookie', COOKIE], ['content-encoding', 'gzip'], ['date', DATE2]];

describe('HPACK decoder: RFC 7541 Appendix C', () => {
  test('C.2: one field of each representation, each on a fresh decoder', () => {
    const cases: [string, string, HeaderField, number][] = [
      ['C.2.1 literal with indexing', '400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572', ['custom-key', 'custom-header'], 55],
      ['C.2.2 literal without indexing', '040c 2f73 616d 706c 652f 7061 7468', [':path', '/sample/path'], 0],
      ['C.2.3 literal never indexed', '1008 7061 7373 776f 7264 0673 6563 7265 74', ['password', 'secret'], 0],
      ['C.2.4 indexed', '82', [':method', 'GET'], 0],
    ];
    for (const [section, block, field, size] of cases) {
      const d = new HpackDecoder();
      assert.deepEqual(d.decode(hex(block)), [field], section);
      assert.equal(d.tableSize, size, section);
      assert.deepEqual(d.table(), size ? [field] : [], section);
    }
  });

  test('C.3: three requests without Huffman on one connection', () => {
    runSeries([
      { section: 'C.3.1', block: '8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d', fields: REQ1, table: T1, size: 57 },
      { section: 'C.3.2', block: '8286 84be 5808 6e6f 2d63 6163 6865', fields: REQ2, table: T2, size: 110 },
      { section: 'C.3.3', block: '8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65', fields: REQ3, table: T3, size: 164 },
    ], 4096);
  });

  test('C.4: the same requests with Huffman', () => {
    runSeries([
      { section: 'C.4.1', block: '8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff', fields: REQ1, table: T1, size: 57 },
      { section: 'C.4.2', block: '8286 84be 5886 a8eb 1064 9cbf', fields: REQ2, table: T2, size: 110 },
      { section: 'C.4.3', block: '8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf', fields: REQ3, table: T3, size: 164 },
    ], 4096);
  });

  test('C.5: three responses without Huffman, a 256-octet table evicting entries', () => {
    runSeries([
      {
        section: 'C.5.1',
        block: `4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133
                2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d`,
        fields: RESP1, table: RT1, size: 222,
      },
      { section: 'C.5.2', block: '4803 3330 37c1 c0bf', fields: RESP2, table: RT2, size: 222 },
      {
        section: 'C.5.3',
        block: `88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d
                54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049
                5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31`,
        fields: RESP3, table: RT3, size: 215,
      },
    ], 256);
  });

  test('C.6: the same responses with Huffman', () => {
    runSeries([
      {
        section: 'C.6.1',
        block: `4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6
                2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3`,
        fields: RESP1, table: RT1, size: 222,
      },
      { section: 'C.6.2', block: '4883 640e ffc1 c0bf', fields: RESP2, table: RT2, size: 222 },
      {
        section: 'C.6.3',
        block: `88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab
                77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f
                9587 3160 65c0 03ed 4ee5 b106 3d50 07`,
        fields: RESP3, table: RT3, size: 215,
      },
    ], 256);
  });
});

describe('HPACK decoder: table size updates and malformed blocks', () => {
  test('a size update shrinks the table (evicting oldest first) and may only open a block', () => {
    const d = new HpackDecoder();
    d.decode(hex('8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d')); // C.3.1
    d.decode(hex('8286 84be 5808 6e6f 2d63 6163 6865')); // C.3.2: 110 octets
    assert.deepEqual(d.decode(hex('3f21 82')), [[':method', 'GET']]); // update to 64 (5-bit prefix: 31 + 33)
    assert.equal(d.maxTableSize, 64);
    assert.deepEqual(d.table(), [['cache-control', 'no-cache']]);
    assert.throws(() => d.decode(hex('82 20')), /after a header field/);
  });

  test('after the limit drops (our SETTINGS acknowledged), a block must first lower the table', () => {
    const d = new HpackDecoder(4096);
    d.setLimit(0);
    assert.throws(() => d.decode(hex('88')), /did not lower the table/);
    assert.throws(() => d.decode(hex('3f01 88')), /exceeds SETTINGS_HEADER_TABLE_SIZE 0/); // an update to 32
    assert.deepEqual(d.decode(hex('20 88')), [[':status', '200']]);
    assert.deepEqual(d.decode(hex('88')), [[':status', '200']], 'later blocks need no update');
    // With a zero-size table an indexed literal is decoded but not kept (§4.4).
    assert.deepEqual(d.decode(hex('4003 6b65 7903 7661 6c')), [['key', 'val']]);
    assert.equal(d.tableSize, 0);
    assert.throws(() => d.decode(hex('be')), /beyond the dynamic table/);
  });

  test('malformed blocks are errors, never garbage', () => {
    const d = new HpackDecoder();
    for (const [block, why] of [
      ['80', /index 0/],
      ['c0', /beyond the dynamic table/],
      ['0f', /truncated integer/],
      ['04', /truncated string literal/],
      ['0405 6162', /runs past/],
      ['7fffffffff0f', /overflow/],
    ] as const) {
      assert.throws(() => d.decode(hex(block)), (e: unknown) => e instanceof HpackError && why.test(e.message), block);
    }
  });
});

describe('Huffman code (RFC 7541 §5.2, Appendix B)', () => {
  test('codes derived from the lengths are the published ones', () => {
    const published: [number, number, number][] = [
      [0, 0x1ff8, 13], [10, 0x3ffffffc, 30], [32, 0x14, 6], [48, 0x0, 5], [57, 0x1f, 6], [88, 0xfc, 8],
      [92, 0x7fff0, 19], [97, 0x3, 5], [123, 0x7ffe, 15], [127, 0xffffffc, 28], [128, 0xfffe6, 20],
      [195, 0x7fff1, 19], [254, 0x7fffff0, 27], [255, 0x3ffffee, 26], [EOS, 0x3fffffff, 30],
    ];
    for (const [sym, code, bits] of published) assert.deepEqual(huffmanCode(sym), { code, bits }, `symbol ${sym}`);
  });

  test('every byte string survives encode then decode', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        assert.deepEqual(huffmanDecode(huffmanEncode(bytes)), bytes);
      }),
      { numRuns: 500 },
    );
  });

  test('padding longer than 7 bits, padding not of ones and an EOS inside are errors', () => {
    const www = huffmanEncode(Buffer.from('www')); // 3 x 7 bits + 3 bits of padding
    assert.equal(Buffer.from(huffmanDecode(www)).toString(), 'www');
    const rejects = (bytes: Uint8Array, why: RegExp) =>
      assert.throws(() => huffmanDecode(bytes), (e: unknown) => e instanceof HuffmanError && why.test(e.message));
    rejects(Uint8Array.from([...www, 0xff]), /longer than 7 bits/);
    rejects(Uint8Array.from([www[0]!, www[1]!, www[2]! & 0xf8]), /not a prefix of EOS/);
    rejects(Uint8Array.from([0xff, 0xff, 0xff, 0xff]), /contains EOS/); // 30 ones = EOS, then 2 bits of padding
  });
});

describe('HPACK encoder (the client request headers)', () => {
  test('static matches are indexed, the rest literals without indexing, and a decoder reads them back without indexing anything', () => {
    const fields: HeaderField[] = [
      [':method', 'POST'], [':scheme', 'http'], [':path', '/vpcwire.ipamd.v1.Ipam/AddNetwork'], [':authority', 'localhost'],
      ['te', 'trailers'], ['grpc-timeout', '10000m'], ['content-type', 'application/grpc'], ['x-long', 'v'.repeat(300)],
    ];
    const block = encodeHeaderBlock(fields);
    assert.deepEqual([...block.subarray(0, 2)], [0x83, 0x86], ':method POST and :scheme http are one octet each');
    const d = new HpackDecoder();
    assert.deepEqual(d.decode(block), fields);
    assert.equal(d.tableSize, 0);
  });
});
