/**
 * HPACK (RFC 7541): the full decoder the client needs to read ipamd's response headers and
 * trailers, and the tiny encoder it needs for its own request headers.
 *
 * The decoder is complete even though the client advertises SETTINGS_HEADER_TABLE_SIZE 0 (so a
 * conforming server never indexes): integers (§5.1), string literals with Huffman (§5.2), the static
 * table (Appendix A), the dynamic table with eviction (§4) and size updates (§6.3). A peer that
 * ignored the setting would still be decoded correctly until it broke the size limit, which is then
 * reported instead of mis-decoded.
 *
 * Names and values are byte strings (RFC 9113 §8.2): they are kept as latin1 strings so that no byte
 * is lost; grpc-message's UTF-8 is restored after percent-decoding (see h2-unary.ts).
 */
import { huffmanDecode } from './huffman.ts';

export type HeaderField = readonly [name: string, value: string];

export class HpackError extends Error {
  override readonly name = 'HpackError';
}

/** RFC 7541 Appendix A; index 1 is STATIC_TABLE[0]. */
const STATIC_TABLE: readonly HeaderField[] = [
  [':authority', ''], [':method', 'GET'], [':method', 'POST'], [':path', '/'], [':path', '/index.html'],
  [':scheme', 'http'], [':scheme', 'https'], [':status', '200'], [':status', '204'], [':status', '206'],
  [':status', '304'], [':status', '400'], [':status', '404'], [':status', '500'], ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'], ['accept-language', ''], ['accept-ranges', ''], ['accept', ''],
  ['access-control-allow-origin', ''], ['age', ''], ['allow', ''], ['authorization', ''], ['cache-control', ''],
  ['content-disposition', ''], ['content-encoding', ''], ['content-language', ''], ['content-length', ''],
  ['content-location', ''], ['content-range', ''], ['content-type', ''], ['cookie', ''], ['date', ''],
  ['etag', ''], ['expect', ''], ['expires', ''], ['from', ''], ['host', ''], ['if-match', ''],
  ['if-modified-since', ''], ['if-none-match', ''], ['if-range', ''], ['if-unmodified-since', ''],
  ['last-modified', ''], ['link', ''], ['location', ''], ['max-forwards', ''], ['proxy-authenticate', ''],
  ['proxy-authorization', ''], ['range', ''], ['referer', ''], ['refresh', ''], ['retry-after', ''],
  ['server', ''], ['set-cookie', ''], ['strict-transport-security', ''], ['transfer-encoding', ''],
  ['user-agent', ''], ['vary', ''], ['via', ''], ['www-authenticate', ''],
];

/** §4.1: an entry's size is its name and value lengths in octets plus 32. */
const entrySize = ([name, value]: HeaderField): number => name.length + value.length + 32;

/** Integers this large never occur in a sane header block; stop before float precision is lost. */
const MAX_INT = 2 ** 31;

const latin1 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');

/**
 * One connection's decoding context. `limit` is the SETTINGS_HEADER_TABLE_SIZE the decoder's side
 * has in effect (4096 until the peer acknowledges a lower value: RFC 9113 §6.5.3).
 */
export class HpackDecoder {
  private entries: HeaderField[] = []; // oldest first, newest last
  private size = 0;
  private maxSize: number;
  private limit: number;

  constructor(limit = 4096) {
    this.limit = limit;
    this.maxSize = limit;
  }

  /** The peer acknowledged a new SETTINGS_HEADER_TABLE_SIZE. */
  setLimit(limit: number): void {
    this.limit = limit;
  }

  /** Octets in use, the maximum last signalled, and the entries newest first (index 62 first). */
  get tableSize(): number {
    return this.size;
  }
  get maxTableSize(): number {
    return this.maxSize;
  }
  table(): HeaderField[] {
    return [...this.entries].reverse();
  }

  /** Decodes one complete header block (the HEADERS fragment plus its CONTINUATIONs). */
  decode(block: Uint8Array): HeaderField[] {
    const fields: HeaderField[] = [];
    let pos = 0;

    // §5.1: an N-bit prefix integer, continued in 7-bit groups while the prefix is all ones.
    const int = (prefixBits: number): number => {
      const mask = (1 << prefixBits) - 1;
      let value = block[pos++]! & mask;
      if (value < mask) return value;
      for (let shift = 0; ; shift += 7) {
        if (pos >= block.length) throw new HpackError('truncated integer (RFC 7541 §5.1)');
        const b = block[pos++]!;
        value += (b & 0x7f) * 2 ** shift;
        if (value > MAX_INT) throw new HpackError('integer overflow (RFC 7541 §5.1)');
        if ((b & 0x80) === 0) return value;
      }
    };
    // §5.2: H bit, 7-bit prefix length, then raw or Huffman-coded octets.
    const str = (): string => {
      if (pos >= block.length) throw new HpackError('truncated string literal (RFC 7541 §5.2)');
      const huffman = (block[pos]! & 0x80) !== 0;
      const len = int(7);
      if (pos + len > block.length) throw new HpackError('string literal runs past the header block (RFC 7541 §5.2)');
      const raw = block.subarray(pos, (pos += len));
      return latin1(huffman ? huffmanDecode(raw) : raw);
    };

    let atStart = true;
    while (pos < block.length) {
      const b = block[pos]!;
      if ((b & 0xe0) === 0x20) {
        // §6.3 / §4.2: size updates only at the start of a block, never above the limit.
        if (!atStart) throw new HpackError('dynamic table size update after a header field (RFC 7541 §4.2)');
        const size = int(5);
        if (size > this.limit) {
          throw new HpackError(`dynamic table size update to ${size} exceeds SETTINGS_HEADER_TABLE_SIZE ${this.limit} (RFC 7541 §6.3)`);
        }
        this.maxSize = size;
        this.evict(0);
        continue;
      }
      if (atStart && this.maxSize > this.limit) {
        // §4.2: after the limit was lowered, the encoder must say so before the first field.
        throw new HpackError(`header block did not lower the table to SETTINGS_HEADER_TABLE_SIZE ${this.limit} (RFC 7541 §4.2)`);
      }
      atStart = false;
      if (b & 0x80) {
        fields.push(this.at(int(7))); // §6.1 indexed field
      } else if (b & 0x40) {
        const index = int(6); // §6.2.1 literal with incremental indexing
        const name = index === 0 ? str() : this.at(index)[0];
        const field: HeaderField = [name, str()];
        fields.push(field);
        this.add(field);
      } else {
        const index = int(4); // §6.2.2 without indexing (0000), §6.2.3 never indexed (0001)
        const name = index === 0 ? str() : this.at(index)[0];
        fields.push([name, str()]);
      }
    }
    if (atStart && this.maxSize > this.limit) {
      throw new HpackError(`header block did not lower the table to SETTINGS_HEADER_TABLE_SIZE ${this.limit} (RFC 7541 §4.2)`);
    }
    return fields;
  }

  /** §2.3.3: 1..61 static, 62.. dynamic (newest first). */
  private at(index: number): HeaderField {
    if (index === 0) throw new HpackError('index 0 (RFC 7541 §6.1)');
    if (index <= STATIC_TABLE.length) return STATIC_TABLE[index - 1]!;
    const entry = this.entries[this.entries.length - (index - STATIC_TABLE.length)];
    if (!entry) throw new HpackError(`index ${index} is beyond the dynamic table (RFC 7541 §2.3.3)`);
    return entry;
  }

  /** §4.4: evict from the oldest end until the new entry fits; one larger than the table empties it. */
  private add(field: HeaderField): void {
    const size = entrySize(field);
    this.evict(size);
    if (size <= this.maxSize) {
      this.entries.push(field);
      this.size += size;
    }
  }

  private evict(room: number): void {
    let drop = 0;
    while (drop < this.entries.length && this.size + room > this.maxSize) this.size -= entrySize(this.entries[drop++]!);
    if (drop > 0) this.entries.splice(0, drop);
  }
}

const STATIC_EXACT = new Map(STATIC_TABLE.map(([n, v], i) => [`${n}\0${v}`, i + 1]));
const STATIC_NAME = new Map<string, number>();
for (const [i, [n]] of STATIC_TABLE.entries()) if (!STATIC_NAME.has(n)) STATIC_NAME.set(n, i + 1);

/** §5.1 integer with an N-bit prefix, OR-ed into the first octet's `flags`. */
function pushInt(out: number[], flags: number, prefixBits: number, value: number): void {
  const mask = (1 << prefixBits) - 1;
  if (value < mask) {
    out.push(flags | value);
    return;
  }
  out.push(flags | mask);
  for (value -= mask; value >= 0x80; value = Math.floor(value / 0x80)) out.push((value % 0x80) | 0x80);
  out.push(value);
}

/** §5.2 raw (H = 0) string literal. */
function pushString(out: number[], s: string): void {
  pushInt(out, 0, 7, s.length);
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i) & 0xff);
}

/**
 * Encodes request headers without touching any dynamic table, so the encoder keeps no state and
 * the server's decoder never has to remember anything of ours: a full static match is an indexed
 * field (§6.1, e.g. ":method: POST" is one octet), everything else a literal without indexing
 * (§6.2.2) with the name indexed when the static table has it. No Huffman: the savings on a
 * one-request connection are a few dozen bytes. Names must be lowercase (RFC 9113 §8.2.1);
 * values latin1 (ours are ASCII).
 */
export function encodeHeaderBlock(fields: readonly HeaderField[]): Buffer {
  const out: number[] = [];
  for (const [name, value] of fields) {
    const exact = STATIC_EXACT.get(`${name}\0${value}`);
    if (exact !== undefined) {
      pushInt(out, 0x80, 7, exact);
      continue;
    }
    const nameIndex = STATIC_NAME.get(name);
    if (nameIndex !== undefined) pushInt(out, 0x00, 4, nameIndex);
    else {
      out.push(0x00);
      pushString(out, name);
    }
    pushString(out, value);
  }
  return Buffer.from(out);
}
