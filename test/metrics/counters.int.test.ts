import { Redis } from 'ioredis';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { endpointName } from '../../src/marketo/client.ts';
import { runService } from '../../src/service.ts';
import { readWholeTopic } from '../support/committed-reader.ts';
import { testLogger } from '../support/pipeline.ts';
import { useScenario } from '../support/scenario.ts';
import { freePort } from '../support/tcp-proxy.ts';

const startScenario = useScenario();
const redis = new Redis(process.env.REDIS_URL!);
afterAll(() => redis.disconnect());

/** The samples of `name` in a Prometheus text exposition, each with its labels parsed. */
function samples(text: string, name: string): { labels: Record<string, string>; value: number }[] {
  const out: { labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1]!, l[2]!]));
    out.push({ labels, value: Number(m[3]) });
  }
  return out;
}

/** Sums `name`'s samples by the value of `label`, keeping only those `keep` accepts. */
function sumBy(
  text: string,
  name: string,
  label: string,
  keep: (labels: Record<string, string>) => boolean = () => true,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of samples(text, name)) {
    if (!keep(s.labels)) continue;
    const k = s.labels[label]!;
    out.set(k, (out.get(k) ?? 0) + s.value);
  }
  return out;
}

describe('metrics counters', () => {
  it("after a backfill, match the simulator's calls by endpoint and the topics' committed records", async () => {
    const { sim, config, topics } = await startScenario({
      world: {
        seed: 23,
        leads: 150,
        activities: 3_000,
        start: '2026-01-01T00:00:00Z',
        end: '2026-03-01T00:00:00Z',
        limits: { ratePer20s: false, maxInFlight: false },
      },
      config: {
        metricsPort: await freePort(),
        // One pass after the backfill, then a long sleep: the counters hold still while compared.
        incrementIntervalSeconds: 3_600,
        connection: { ratePer20s: 1_000 },
      },
    });
    // Failures of several kinds, so the outcomes are not all `success`; one record dead-lettered.
    sim.injectFault({ kind: 'error', endpoint: 'activities.json', calls: [2], code: '611' });
    sim.injectFault({ kind: 'http5xx', endpoint: '/rest/v1/leads', calls: [1], status: 503 });
    sim.injectFault({ kind: 'malformed', endpoint: 'activities.json', calls: [3], field: 'leadId', value: null });
    const c = config.connections[0]!;
    const controller = new AbortController();
    const done = runService({ config, logger: testLogger(), signal: controller.signal });
    try {
      const scrape = async () => (await fetch(`http://127.0.0.1:${config.metricsPort}/metrics`)).text();
      await vi.waitFor(
        async () => {
          const text = await scrape();
          // Every call Marketo received was counted once, under its endpoint, whatever its outcome.
          const counts = sim.counts().byEndpoint;
          const calls = sumBy(text, 'marketo_stream_marketo_requests_total', 'endpoint');
          const successes = sumBy(
            text,
            'marketo_stream_marketo_requests_total',
            'endpoint',
            (l) => l.outcome === 'success',
          );
          expect(Object.keys(counts).length).toBeGreaterThanOrEqual(5);
          for (const [path, n] of Object.entries(counts)) {
            expect(calls.get(endpointName(path)), path).toBe(n.requests);
            // Marketo counts the successful REST calls (identity is free).
            if (path.startsWith('/rest/')) expect(successes.get(endpointName(path)) ?? 0, path).toBe(n.counted);
          }
          expect([...calls.values()].reduce((a, b) => a + b, 0)).toBe(
            Object.values(counts).reduce((a, n) => a + n.requests, 0),
          );
          const failures = samples(text, 'marketo_stream_marketo_requests_total').filter(
            (s) => s.labels.outcome !== 'success',
          );
          // The failed calls are those the two failing faults hit (the malformed record's call succeeded).
          const failed = sim
            .faultsFired()
            .filter((f) => f.kind !== 'malformed')
            .flatMap((f) => Object.keys(f.byPath).map(endpointName));
          expect(failed).toHaveLength(2);
          expect(new Set(failures.map((s) => s.labels.endpoint))).toEqual(new Set(failed));
          expect(failures.map((s) => s.labels.outcome).sort()).toEqual(['unavailable', 'unavailable']);
          for (const s of failures) expect(s.labels.instance).toBe(c.instance);

          // Pages: one per cursor sequence (every stream started from nothing).
          const pages = sumBy(text, 'marketo_stream_pages_total', 'stream');
          const streams = await redis.keys(`mkto:{${c.id}}:cursor:*`);
          expect(streams.length).toBeGreaterThanOrEqual(6);
          for (const key of streams) {
            const [phase, seq] = await redis.hmget(key, 'phase', 'seq');
            expect(phase, key).toBe('incremental');
            expect(pages.get(key.slice(key.lastIndexOf(':') + 1)), key).toBe(Number(seq));
          }

          // Records: what a read_committed consumer finds in each topic (every topic has some, so
          // the last stream of the pass has committed too).
          const published = sumBy(text, 'marketo_stream_records_published_total', 'topic');
          for (const topic of [topics.activities, topics.leads, topics.programs, topics.campaigns]) {
            expect(published.get(topic) ?? 0, topic).toBeGreaterThan(0);
            expect(published.get(topic), topic).toBe((await readWholeTopic(topic)).length);
          }
        },
        { timeout: 90_000, interval: 500 },
      );

      const text = await scrape();
      const deadLettered = [...sumBy(text, 'marketo_stream_records_dead_lettered_total', 'topic').values()];
      expect(deadLettered.reduce((a, b) => a + b, 0)).toBe((await readWholeTopic(topics.dlq)).length);
      expect((await readWholeTopic(topics.dlq)).length).toBe(1);
      const commits = samples(text, 'marketo_stream_transaction_commit_seconds_count')[0]!.value;
      expect(commits).toBe([...sumBy(text, 'marketo_stream_pages_total', 'stream').values()].reduce((a, b) => a + b));
    } finally {
      controller.abort();
      const results = await done;
      for (const r of Object.values(results)) expect(r.error).toBeUndefined();
    }
  });
});
