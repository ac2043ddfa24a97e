import { hash3, unit } from './hash.ts';

/**
 * What an injected fault does:
 * - 'http5xx': an HTTP error status (default 502) with an HTML gateway page;
 * - 'truncated': the real response cut after a valid prefix (the call is counted: Marketo did it);
 * - 'delay': hold the response `delayMs` real milliseconds, then answer normally (holds a slot in flight);
 * - 'error': HTTP 200 with success:false and Marketo `code` (500, 502, 604, 608, 611, 614, 702, 713,
 *   …; or in turn each of `codes`), not counted: a response-level error;
 * - 'revokeToken': the current token becomes invalid and this call gets 601;
 * - 'malformed': the real (counted) response with its first `result` record altered: `field` set
 *   to `value` (default: `leadId` set to null), as a record Marketo sends broken;
 * - 'reset': the connection is cut before any answer (not counted: nothing reached Marketo's handler);
 * - 'rawPage': HTTP 200 with `body` (or the bytes of `bodyBase64`) as it is, counted: a page Marketo
 *   sent broken in a way no other fault shapes (bad types, invalid UTF-8, success:true without result…).
 */
export type FaultKind = 'http5xx' | 'truncated' | 'delay' | 'error' | 'revokeToken' | 'malformed' | 'reset' | 'rawPage';

/** A fault rule. Fires by `rate` (deterministic from seed and the rule's match number) or on `calls`. */
export interface FaultSpec {
  kind: FaultKind;
  /** Only requests whose path contains this string (e.g. 'activities.json', '/identity'). */
  endpoint?: string;
  /** Share of matching requests (0..1). */
  rate?: number;
  /** 1-based numbers of matching requests that fault (e.g. [3] = the third matching request). */
  calls?: number[];
  /** Stop after firing this many times. */
  times?: number;
  status?: number;
  code?: string;
  /** 'error': the codes used in turn, one per firing (e.g. every response-level kind in one rule). */
  codes?: string[];
  message?: string;
  delayMs?: number;
  /** 'malformed': the record field to alter (default 'leadId'). */
  field?: string;
  /** 'malformed': the value it gets (default null). */
  value?: unknown;
  /** 'rawPage': the response body. */
  body?: string;
  /** 'rawPage': the response body as base64 (for bytes that are not valid UTF-8). */
  bodyBase64?: string;
}

/** How often one rule fired, and on which paths. */
export interface FaultReport {
  id: number;
  kind: FaultKind;
  fired: number;
  byPath: Record<string, number>;
}

interface Rule extends FaultSpec {
  index: number;
  seen: number;
  fired: number;
  byPath: Record<string, number>;
}

/** Per-call latency: `medianMs`, log-normal with a 99th percentile of `p99Ms` when given (else fixed). */
export interface LatencyProfile {
  medianMs: number;
  p99Ms?: number;
}

/** The 99th percentile of the standard normal distribution. */
const Z99 = 2.326;

/** The latency (real ms) of the `n`-th call under `profile`, deterministic from `seed`. */
export function latencyOf(profile: LatencyProfile, seed: number, n: number): number {
  const { medianMs, p99Ms } = profile;
  if (p99Ms === undefined || p99Ms <= medianMs) return medianMs;
  const sigma = Math.log(p99Ms / medianMs) / Z99;
  // Box-Muller from two uniforms in (0, 1].
  const u1 = 1 - unit(hash3(seed, n, 4242));
  const u2 = unit(hash3(seed, n, 4243));
  const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  return Math.round(medianMs * Math.exp(sigma * z));
}

/** `body` (a JSON envelope) with its first `result` record's `field` set to `value`; unchanged when it has none. */
export function malformFirstRecord(body: string, field = 'leadId', value: unknown = null): string {
  const envelope = JSON.parse(body) as { result?: Record<string, unknown>[] };
  const first = envelope.result?.[0];
  if (!first) return body;
  first[field] = value;
  return JSON.stringify(envelope);
}

/** The bytes a 'rawPage' fault answers with. */
export function rawPageBody(spec: FaultSpec): Buffer {
  return spec.bodyBase64 !== undefined ? Buffer.from(spec.bodyBase64, 'base64') : Buffer.from(spec.body ?? '');
}

const MESSAGES: Record<string, string> = {
  '500': 'Internal Server Error',
  '502': 'Bad Gateway',
  '614': 'Invalid Subscription',
  '702': 'No data found',
  '604': 'Request timed out',
  '608': 'API Temporarily Unavailable',
  '611': 'System error',
  '606': "Max rate limit '100' exceeded with in '20' secs",
  '615': 'Concurrent access limit reached',
  '713': 'Transient Error',
  '719': 'Lock wait timeout exception',
};

/** Default message for a Marketo error code. */
export function faultMessage(code: string): string {
  return MESSAGES[code] ?? 'Injected error';
}

/** The set of active fault rules. */
export class Faults {
  readonly #seed: number;
  #rules: Rule[] = [];
  #next = 0;

  constructor(seed: number) {
    this.#seed = seed;
  }

  /** Adds a rule; returns its id. */
  add(spec: FaultSpec): number {
    const index = this.#next++;
    this.#rules.push({ ...spec, index, seen: 0, fired: 0, byPath: {} });
    return index;
  }

  /** Removes every rule. */
  clear(): void {
    this.#rules = [];
  }

  /** How often each active rule has fired so far, by request path. */
  report(): FaultReport[] {
    return this.#rules.map((r) => ({ id: r.index, kind: r.kind, fired: r.fired, byPath: { ...r.byPath } }));
  }

  /** The faults that fire for this request (each matching rule advances its counter). */
  match(path: string): FaultSpec[] {
    const out: FaultSpec[] = [];
    for (const r of this.#rules) {
      if (r.endpoint && !path.includes(r.endpoint)) continue;
      r.seen++;
      if (r.times !== undefined && r.fired >= r.times) continue;
      const byCall = r.calls?.includes(r.seen) ?? false;
      const byRate = r.rate !== undefined && unit(hash3(this.#seed, r.index + 7777, r.seen)) < r.rate;
      if (byCall || byRate || (r.calls === undefined && r.rate === undefined)) {
        r.fired++;
        r.byPath[path] = (r.byPath[path] ?? 0) + 1;
        out.push(r.codes?.length ? { ...r, code: r.codes[(r.fired - 1) % r.codes.length] } : r);
      }
    }
    return out;
  }
}
