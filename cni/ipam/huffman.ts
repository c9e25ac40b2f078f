/**
 * The HPACK Huffman code (RFC 7541 §5.2, Appendix B), for decoding the header strings ipamd's
 * HTTP/2 stack (nghttp2) Huffman-encodes whenever that is shorter, which is nearly always.
 *
 * Appendix B's code is canonical: within each length, codes are consecutive and ordered by symbol,
 * and each length's first code follows the previous length's last one shifted left. So the 257 code
 * lengths below are the whole table; the codes are derived from them at load time (a few
 * microseconds), instead of carrying 257 hand-copied hex codes that could hide a typo. Tests check
 * the derived codes against published ones and decode the Appendix C examples.
 */

/** Code length in bits of each symbol 0..255, then EOS (256). RFC 7541 Appendix B, in order. */
const CODE_LENGTHS = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, // 0x00
  28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28, // 0x10
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, // 0x20 ' ' .. '/'
  5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10, // 0x30 '0' .. '?'
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, // 0x40 '@' .. 'O'
  7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6, // 0x50 'P' .. '_'
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, // 0x60 '`' .. 'o'
  6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28, // 0x70 'p' .. DEL
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, // 0x80
  24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24, // 0x90
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, // 0xa0
  21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23, // 0xb0
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, // 0xc0
  19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27, // 0xd0
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, // 0xe0
  26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26, // 0xf0
  30, // EOS
];

export const EOS = 256;
const MAX_BITS = 30;

/**
 * The canonical code, as the decoder uses it: for each length, how many codes have it, the first
 * code of that length, and where its symbols start in `symbols` (all symbols ordered by length,
 * then by value: the order in which canonical codes are assigned). Built by counting, in two
 * passes over the lengths, rather than by sorting: this runs once per process, in the interpreter.
 */
const count = new Int32Array(MAX_BITS + 2);
const firstCode = new Int32Array(MAX_BITS + 2);
const offset = new Int32Array(MAX_BITS + 2);
const symbols = new Int32Array(CODE_LENGTHS.length);
const codes = new Int32Array(CODE_LENGTHS.length);
{
  for (const l of CODE_LENGTHS) count[l]!++;
  for (let l = 1, code = 0, at = 0; l <= MAX_BITS; l++) {
    code = (code + count[l - 1]!) << 1;
    firstCode[l] = code;
    offset[l] = at;
    at += count[l]!;
  }
  const next = offset.slice();
  for (let sym = 0; sym < CODE_LENGTHS.length; sym++) {
    const l = CODE_LENGTHS[sym]!;
    codes[sym] = firstCode[l]! + next[l]! - offset[l]!;
    symbols[next[l]!++] = sym;
  }
}

/** The code of one symbol (right-aligned) and its length: for tests and the encoder below. */
export const huffmanCode = (symbol: number): { code: number; bits: number } => ({
  code: codes[symbol]!,
  bits: CODE_LENGTHS[symbol]!,
});

export class HuffmanError extends Error {
  override readonly name = 'HuffmanError';
}

/**
 * Decodes a Huffman-coded string literal (RFC 7541 §5.2). Errors, as the section requires: the EOS
 * symbol inside the string, padding longer than 7 bits, padding that is not the most significant
 * bits of EOS (all ones). Walks bit by bit: header strings are a few dozen bytes.
 */
export function huffmanDecode(input: Uint8Array): Uint8Array {
  // Codes are at least 5 bits, so the output is at most 8/5 of the input.
  const out = new Uint8Array(Math.ceil((input.length * 8) / 5));
  let n = 0;
  let code = 0;
  let len = 0;
  for (const byte of input) {
    for (let bit = 7; bit >= 0; bit--) {
      code = (code << 1) | ((byte >> bit) & 1);
      len++;
      const idx = code - firstCode[len]!;
      if (idx >= 0 && idx < count[len]!) {
        const sym = symbols[offset[len]! + idx]!;
        if (sym === EOS) throw new HuffmanError('Huffman string contains EOS (RFC 7541 §5.2)');
        out[n++] = sym;
        code = 0;
        len = 0;
      } else if (len >= MAX_BITS) {
        // Unreachable with a complete code (Kraft sum 1), kept so a broken table cannot loop on.
        throw new HuffmanError('invalid Huffman code');
      }
    }
  }
  if (len > 7) throw new HuffmanError('Huffman padding longer than 7 bits (RFC 7541 §5.2)');
  if (code !== (1 << len) - 1) throw new HuffmanError('Huffman padding is not a prefix of EOS (RFC 7541 §5.2)');
  return out.subarray(0, n);
}

/**
 * Encodes with the Huffman code, padding with the high bits of EOS. The client never needs it
 * (it sends its few headers as raw literals); tests use it to build server header blocks.
 */
export function huffmanEncode(input: Uint8Array): Uint8Array {
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const byte of input) {
    const len = CODE_LENGTHS[byte]!;
    const code = codes[byte]!;
    // Feed the code in pieces of at most 8 bits so `acc` never exceeds 31 bits.
    for (let left = len; left > 0; ) {
      const take = Math.min(8, left);
      left -= take;
      acc = (acc << take) | ((code >>> left) & ((1 << take) - 1));
      bits += take;
      while (bits >= 8) {
        bits -= 8;
        out.push((acc >>> bits) & 0xff);
      }
      acc &= (1 << bits) - 1;
    }
  }
  if (bits > 0) out.push(((acc << (8 - bits)) | ((1 << (8 - bits)) - 1)) & 0xff);
  return Uint8Array.from(out);
}
