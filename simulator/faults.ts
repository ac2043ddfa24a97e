import { hash3, unit } from './hash.ts';

/**
 * What an injected fault does:
 * - 'http5xx': an HTTP error status (default 502) with an HTML gateway page;
 * - 'truncated': the real response cut after a valid prefix (the call is counted: Marketo did it);
 * - 'delay': hold the response `delayMs` real milliseconds, then answer normally (holds a slot in flight);
 * - 'error': HTTP 200 with success:false and Marketo `code` (604, 608, 611, 713, …), not counted;
 * - 'revokeToken': the current token becomes invalid and this call gets 601.
 */
export type FaultKind = 'http5xx' | 'truncated' | 'delay' | 'error' | 'revokeToken';

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
  message?: string;
  delayMs?: number;
}

interface Rule extends FaultSpec {
  index: number;
  seen: number;
  fired: number;
}

const MESSAGES: Record<string, string> = {
  '604': 'Request timed out',
  '608': 'API Temporarily Unavailable',
  '611': 'System error',
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
    this.#rules.push({ ...spec, index, seen: 0, fired: 0 });
    return index;
  }

  /** Removes every rule. */
  clear(): void {
    this.#rules = [];
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
        out.push(r);
      }
    }
    return out;
  }
}
