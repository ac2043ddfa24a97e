/**
 * A read_committed tail of the activities topic for bench:fleet: it sees each record when a
 * downstream consumer would (after its transaction committed), remembers every activity by
 * source, and gives freshness (visible in the simulator → committed in Kafka) and the exactly-once
 * check against ground truth. Independent of `src/`: plain kafkajs, its own consumer group.
 */
import { randomUUID } from 'node:crypto';
import { type Consumer, Kafka, logLevel } from 'kafkajs';

/** One committed activity as the tail saw it. */
interface Seen {
  /** Activity date (ce_time): with no late arrivals, when it became visible in the simulator. */
  timeMs: number;
  /** When the tail received it (committed by then). */
  seenAtMs: number;
  /** The record's Kafka timestamp: when the service sent it, right after its page was fetched. */
  sentAtMs: number;
}

/** Percentiles in seconds. */
export interface Percentiles {
  p50Seconds: number | null;
  p99Seconds: number | null;
  maxSeconds: number | null;
}

/**
 * Freshness (activity date → seen committed) over the activities dated in a span, and its two
 * parts: until a pass fetched and sent it (date → the record's Kafka timestamp: the wait for the
 * connection's next pass and for the pass to reach the activities), and from there to committed
 * and seen (the page's transaction, the tail's fetch).
 */
export interface Freshness extends Percentiles {
  count: number;
  untilSent: Percentiles;
  sentToSeen: Percentiles;
}

export class CommittedTail {
  #consumer: Consumer;
  #groupId = `bench-fleet-tail-${randomUUID()}`;
  /** ce_source → ce_id → every sighting (more than one is a duplicate). */
  #bySource = new Map<string, Map<string, Seen[]>>();
  #records = 0;

  readonly topic: string;

  constructor(brokers: string[], topic: string) {
    this.topic = topic;
    const kafka = new Kafka({ clientId: 'bench-fleet-tail', brokers, logLevel: logLevel.NOTHING });
    this.#consumer = kafka.consumer({ groupId: this.#groupId, maxWaitTimeInMs: 200, allowAutoTopicCreation: true });
  }

  /** Committed activity records seen so far. */
  get records(): number {
    return this.#records;
  }

  async start(): Promise<void> {
    await this.#consumer.connect();
    await this.#consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await this.#consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const seenAtMs = Date.now();
        for (const m of batch.messages) {
          const h = m.headers ?? {};
          const source = String(h.ce_source ?? '');
          const id = String(h.ce_id ?? '');
          const ids = this.#bySource.get(source) ?? new Map<string, Seen[]>();
          this.#bySource.set(source, ids);
          const sightings = ids.get(id) ?? [];
          sightings.push({ timeMs: Date.parse(String(h.ce_time)), seenAtMs, sentAtMs: Number(m.timestamp) });
          ids.set(id, sightings);
          this.#records++;
        }
      },
    });
  }

  /** The ids seen for `source`, each with how many times it was seen. */
  idsOf(source: string): ReadonlyMap<string, readonly unknown[]> {
    return this.#bySource.get(source) ?? new Map();
  }

  /**
   * Freshness of the activities dated in [fromMs, toMs] (first sighting of each), of the sources
   * `include` accepts (default: all).
   */
  freshness(fromMs: number, toMs: number, include: (source: string) => boolean = () => true): Freshness {
    const firsts = this.#firsts(fromMs, toMs, include).map(([, f]) => f);
    return {
      count: firsts.length,
      ...percentiles(firsts.map((f) => f.seenAtMs - f.timeMs)),
      untilSent: percentiles(firsts.map((f) => f.sentAtMs - f.timeMs)),
      sentToSeen: percentiles(firsts.map((f) => f.seenAtMs - f.sentAtMs)),
    };
  }

  /** The `n` least fresh of those activities, slowest first: where their time went. */
  slowest(fromMs: number, toMs: number, n: number, include: (source: string) => boolean = () => true) {
    return this.#firsts(fromMs, toMs, include)
      .sort(([, a], [, b]) => b.seenAtMs - b.timeMs - (a.seenAtMs - a.timeMs))
      .slice(0, n)
      .map(([source, f]) => ({ source, ...f }));
  }

  #firsts(fromMs: number, toMs: number, include: (source: string) => boolean): [string, Seen][] {
    const firsts: [string, Seen][] = [];
    for (const [source, ids] of this.#bySource) {
      if (!include(source)) continue;
      for (const [first] of ids.values()) {
        if (first && first.timeMs >= fromMs && first.timeMs <= toMs) firsts.push([source, first]);
      }
    }
    return firsts;
  }

  async stop(): Promise<void> {
    await this.#consumer.disconnect();
  }

  /** The tail's consumer group (deleted by the bench with its other groups). */
  get groupId(): string {
    return this.#groupId;
  }
}

const round1 = (x: number) => Math.round(x * 10) / 10;

function percentiles(lagsMs: number[]): Percentiles {
  const lags = lagsMs.map((ms) => ms / 1000).sort((a, b) => a - b);
  const at = (q: number) =>
    lags.length === 0 ? null : round1(lags[Math.min(lags.length - 1, Math.floor(q * lags.length))]!);
  return { p50Seconds: at(0.5), p99Seconds: at(0.99), maxSeconds: at(1) };
}
