/**
 * Deterministic 32-bit hashing: every pseudo-random choice of the simulated world is a pure
 * function of (seed, position, salt), so the same seed always yields the same bytes and nothing
 * has to be materialised to be reproducible.
 */

/** murmur3's finaliser: a fast, well-mixed bijection on 32-bit integers. Returns an unsigned int. */
export function mix32(x: number): number {
  let h = x | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Hash of (seed, a, b): an unsigned 32-bit integer. `a` and `b` must be integers below 2^31 or so. */
export function hash3(seed: number, a: number, b: number): number {
  const x = mix32((seed ^ 0x9e3779b9) + Math.imul(a, 0x01000193));
  return mix32((x ^ Math.imul(b + 0x632be5ab, 0x27d4eb2d)) + (a >>> 16));
}

/** Uniform float in [0, 1) from a 32-bit hash. */
export function unit(h: number): number {
  return h / 4294967296;
}

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, '0'));

function hex32(h: number): string {
  return HEX[(h >>> 24) & 255]! + HEX[(h >>> 16) & 255]! + HEX[(h >>> 8) & 255]! + HEX[h & 255]!;
}

/**
 * A uuid-shaped (version 4 layout) string derived only from (seed, stream, index). The last group
 * embeds stream and index, so distinct (stream, index) pairs never collide.
 */
export function guid(seed: number, stream: number, index: number): string {
  const a = hash3(seed, index, stream * 4 + 1);
  const b = hash3(seed, index, stream * 4 + 2);
  const hi = Math.floor(index / 4294967296);
  return `${hex32(a)}-${HEX[(b >>> 24) & 255]}${HEX[(b >>> 16) & 255]}-4${'0123456789abcdef'[(b >>> 8) & 15]}${HEX[b & 255]}-${HEX[0x80 | ((a ^ b) & 0x3f)]}${HEX[stream & 255]}-${HEX[hi & 255]}${HEX[(hi >>> 8) & 255]}${hex32(index >>> 0)}`;
}

const PAD2: string[] = [];
for (let i = 0; i < 60; i++) PAD2.push(i < 10 ? `0${i}` : String(i));
let cachedDay = Number.NaN;
let cachedPrefix = '';

/** `HH:MM:SS` after the cached `YYYY-MM-DDT` prefix of the day: formatting is the hot path of paging. */
function isoSeconds(ms: number): string {
  const day = Math.floor(ms / 86400_000);
  if (day !== cachedDay) {
    cachedDay = day;
    cachedPrefix = new Date(day * 86400_000).toISOString().slice(0, 11);
  }
  const s = Math.floor((ms - day * 86400_000) / 1000);
  return `${cachedPrefix}${PAD2[Math.floor(s / 3600)]}:${PAD2[Math.floor(s / 60) % 60]}:${PAD2[s % 60]}`;
}

/** Formats epoch ms as Marketo's activity date `2023-01-16T23:32:19Z` (seconds precision). */
export function isoZ(ms: number): string {
  return `${isoSeconds(ms)}Z`;
}

/** `2023-01-16T23:32:19+0000`: the form of lead changes and deleted leads. */
export function isoPlus0000(ms: number): string {
  return `${isoSeconds(ms)}+0000`;
}

/** `2015-05-21T22:45:13Z+0000`: the form of the asset API. */
export function isoAsset(ms: number): string {
  return `${isoSeconds(ms)}Z+0000`;
}

/**
 * Parses the date forms Marketo accepts in query parameters (ISO-8601 with `Z`, an offset such as
 * `+0000`/`-05:00`, or a bare date). Returns NaN when unparseable.
 */
export function parseMarketoDate(s: string): number {
  let t = s.trim().replace(' ', '+');
  t = t.replace(/Z\+0000$/, 'Z').replace(/([+-]\d\d)(\d\d)$/, '$1:$2');
  return Date.parse(t);
}

/** A float in [0,1) from (seed, a, b): drives the deterministic paging quirks. */
export function quirkRollSeed(seed: number, a: number, b: number): number {
  return unit(hash3(seed, a, b));
}
