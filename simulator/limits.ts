import { zonedDate } from './chicago.ts';

/** Instance limits; `false` turns one off. */
export interface LimitSettings {
  /** Calls per 20 s (Marketo: 100). */
  ratePer20s: number | false;
  /** Concurrent calls (Marketo: 10). */
  maxInFlight: number | false;
  /** Calls per Central day (Marketo default: 50,000). */
  dailyQuota: number | false;
  /** Bulk export bytes per Central day (Marketo: 500 MB). */
  bulkDailyBytes: number | false;
  /** Zone whose midnight resets the daily counters. */
  timeZone: string;
  /** The daily reset comes this many seconds after the zone's midnight (default 0), as Marketo's may. */
  resetLateSeconds: number;
}

/** Per-endpoint counters. */
export interface EndpointCounts {
  /** Calls Marketo would count against quota and rate (successful ones). */
  counted: number;
  /** Every request received, failed ones included. */
  requests: number;
  rateLimited606: number;
  quota607: number;
  concurrency615: number;
}

/** A snapshot of all counters. */
export interface CountsSnapshot {
  total: EndpointCounts;
  byEndpoint: Record<string, EndpointCounts>;
  /** Counted calls per Central date (what stats/usage.json reports). */
  byDate: Record<string, number>;
  /** When (simulator ms) the first counted call of each Central date was made. */
  firstCountedAt: Record<string, number>;
  inFlight: number;
}

const zero = (): EndpointCounts => ({ counted: 0, requests: 0, rateLimited606: 0, quota607: 0, concurrency615: 0 });

/**
 * The instance's limits and counters: the sliding 20 s window and the daily quota count only
 * successful calls, at the simulator clock; in-flight counts open requests.
 */
export class Limits {
  settings: LimitSettings;
  #window: number[] = [];
  #inFlight = 0;
  #byEndpoint = new Map<string, EndpointCounts>();
  #byDate = new Map<string, number>();
  #firstCountedAt = new Map<string, number>();
  #bulkBytesByDate = new Map<string, number>();

  constructor(settings: LimitSettings) {
    this.settings = settings;
  }

  #ep(endpoint: string): EndpointCounts {
    let c = this.#byEndpoint.get(endpoint);
    if (!c) {
      c = zero();
      this.#byEndpoint.set(endpoint, c);
    }
    return c;
  }

  /** Records that a request arrived (failed or not). */
  request(endpoint: string): void {
    this.#ep(endpoint).requests++;
  }

  /** Tries to enter the in-flight set; returns false (and counts a 615) when full. */
  enter(endpoint: string): boolean {
    const max = this.settings.maxInFlight;
    if (max !== false && this.#inFlight >= max) {
      this.#ep(endpoint).concurrency615++;
      return false;
    }
    this.#inFlight++;
    return true;
  }

  /** Leaves the in-flight set (call once per successful `enter`). */
  leave(): void {
    this.#inFlight--;
  }

  /** '606' / '607' when the call must be refused now, else undefined. Counts the refusal. */
  admit(endpoint: string, now: number): '606' | '607' | undefined {
    const rate = this.settings.ratePer20s;
    if (rate !== false) {
      const w = this.#window;
      let drop = 0;
      while (drop < w.length && w[drop]! <= now - 20_000) drop++;
      if (drop) w.splice(0, drop);
      if (w.length >= rate) {
        this.#ep(endpoint).rateLimited606++;
        return '606';
      }
    }
    const quota = this.settings.dailyQuota;
    if (quota !== false && (this.#byDate.get(this.centralDate(now)) ?? 0) >= quota) {
      this.#ep(endpoint).quota607++;
      return '607';
    }
    return undefined;
  }

  /** Counts a successful call against rate window and quota. */
  count(endpoint: string, now: number): void {
    this.#ep(endpoint).counted++;
    if (this.settings.ratePer20s !== false) this.#window.push(now);
    const d = this.centralDate(now);
    this.#byDate.set(d, (this.#byDate.get(d) ?? 0) + 1);
    if (!this.#firstCountedAt.has(d)) this.#firstCountedAt.set(d, now);
  }

  /** The quota day of `now`: the zone's date, turning `resetLateSeconds` after its midnight. */
  centralDate(now: number): string {
    return zonedDate(now - (this.settings.resetLateSeconds ?? 0) * 1000, this.settings.timeZone);
  }

  /** Counted calls on the Central date of `now`. */
  usedToday(now: number): number {
    return this.#byDate.get(this.centralDate(now)) ?? 0;
  }

  /** Bulk bytes exported on the Central date of `now`. */
  bulkBytesToday(now: number): number {
    return this.#bulkBytesByDate.get(this.centralDate(now)) ?? 0;
  }

  /** Adds exported bulk bytes to today's total. */
  addBulkBytes(now: number, bytes: number): void {
    const d = this.centralDate(now);
    this.#bulkBytesByDate.set(d, (this.#bulkBytesByDate.get(d) ?? 0) + bytes);
  }

  /** Snapshot of every counter. */
  snapshot(): CountsSnapshot {
    const total = zero();
    const byEndpoint: Record<string, EndpointCounts> = {};
    for (const [k, v] of this.#byEndpoint) {
      byEndpoint[k] = { ...v };
      total.counted += v.counted;
      total.requests += v.requests;
      total.rateLimited606 += v.rateLimited606;
      total.quota607 += v.quota607;
      total.concurrency615 += v.concurrency615;
    }
    return {
      total,
      byEndpoint,
      byDate: Object.fromEntries(this.#byDate),
      firstCountedAt: Object.fromEntries(this.#firstCountedAt),
      inFlight: this.#inFlight,
    };
  }

  /** Clears per-endpoint counters (not the rate window, quota usage or in-flight). */
  resetCounts(): void {
    this.#byEndpoint.clear();
  }

  /** Forgets quota usage and the rate window (e.g. for a fresh scenario). */
  resetUsage(): void {
    this.#byDate.clear();
    this.#firstCountedAt.clear();
    this.#window = [];
    this.#bulkBytesByDate.clear();
  }
}
