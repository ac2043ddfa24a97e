import { hash3 } from './hash.ts';
import type { TimelinePos } from './world.ts';

/**
 * nextPageToken codec. Tokens look like Marketo's (upper-case base32) and carry a timeline
 * position, a page counter (drives the deterministic paging quirks), the simulator time at which
 * they were issued (for the optional TTL) and a checksum bound to the world's seed, so garbage or a
 * token from another world is rejected with 1003.
 */
export interface PagingToken extends TimelinePos {
  /** Pages served from this chain so far. */
  q: number;
  issuedAt: number;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const DECODE = new Int8Array(128).fill(-1);
for (let j = 0; j < 32; j++) DECODE[ALPHABET.charCodeAt(j)] = j;

function base32(s: string): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (let j = 0; j < s.length; j++) {
    value = (value << 8) | s.charCodeAt(j);
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= 0xff;
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

function unbase32(s: string): string | undefined {
  let out = '';
  let bits = 0;
  let value = 0;
  for (let j = 0; j < s.length; j++) {
    const c = s.charCodeAt(j);
    const d = c < 128 ? DECODE[c]! : -1;
    if (d < 0) return undefined;
    value = ((value << 5) | d) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      out += String.fromCharCode((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return out;
}

function check(seed: number, body: string): number {
  let h = seed >>> 0;
  for (let j = 0; j < body.length; j++) h = hash3(h, body.charCodeAt(j), j);
  return h;
}

/** Encodes a token for the world with `seed`. */
export function encodePagingToken(seed: number, t: PagingToken): string {
  const body = `${t.i}.${t.k}.${t.mDate}.${t.mSeq}.${t.q}.${t.issuedAt}`;
  return base32(`${body}.${check(seed, body).toString(36)}`);
}

/** Decodes a token; undefined when it is malformed or was not issued by this world. */
export function decodePagingToken(seed: number, token: string): PagingToken | undefined {
  if (token.length === 0 || token.length > 200) return undefined;
  const s = unbase32(token);
  if (!s) return undefined;
  const parts = s.split('.');
  if (parts.length !== 7) return undefined;
  const body = parts.slice(0, 6).join('.');
  if (check(seed, body).toString(36) !== parts[6]) return undefined;
  const [i, k, mDate, mSeq, q, issuedAt] = parts.slice(0, 6).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (![i, k, mDate, mSeq, q, issuedAt].every(Number.isFinite)) return undefined;
  return { i, k, mDate, mSeq, q, issuedAt };
}
