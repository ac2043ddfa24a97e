import { Redis } from 'ioredis';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import type { Config } from '../../src/config/index.ts';
import { runService } from '../../src/service.ts';
import { readStatus } from '../../src/status/index.ts';
import { testConfig, testLogger } from '../support/pipeline.ts';
import { useSimulator } from '../support/scenario.ts';
import { freePort, startTcpProxy } from '../support/tcp-proxy.ts';

const startSimulator = useSimulator();
const redis = new Redis(process.env.REDIS_URL!);
afterAll(() => redis.disconnect());

/** The samples of `name` in a Prometheus text exposition, by their label text. */
function samples(text: string, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (m && m[1] === name) out.set(m[2] ?? '', Number(m[3]));
  }
  return out;
}

/** Runs the service in this process until the returned stop() (which resolves once it has ended). */
function startService(config: Readonly<Config>) {
  const controller = new AbortController();
  const done = runService({ config, logger: testLogger(), signal: controller.signal });
  return {
    done,
    stop: async () => {
      controller.abort();
      const results = await done;
      for (const r of Object.values(results)) expect(r.error).toBeUndefined();
    },
  };
}

describe('HTTP endpoints', () => {
  it('/metrics exposes every metric, and the gauges read from Redis match Redis', async () => {
    const sim = await startSimulator({
      seed: 41,
      leads: 100,
      activities: 2_000,
      start: '2026-01-01T00:00:00Z',
      end: '2026-03-01T00:00:00Z',
      limits: { ratePer20s: false, maxInFlight: false },
    });
    const port = await freePort();
    const config = testConfig(sim, { metricsPort: port, connection: { ratePer20s: 1000, quotaReserve: 11 } });
    const c = config.connections[0]!;
    const service = startService(config);
    const status = () => readStatus({ config, redis, clock: systemClock, logger: testLogger() });
    // Caught up: every stream incremental (the service then sleeps until its next pass).
    await vi.waitFor(
      async () => {
        const s = await status();
        expect(s.connections[0]!.streams.length).toBeGreaterThanOrEqual(6);
        for (const v of s.connections[0]!.streams) expect(v.phase).toBe('incremental');
      },
      { timeout: 60_000, interval: 250 },
    );

    const scrape = async () => {
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/plain');
      return res.text();
    };
    let text = await scrape();
    for (const name of [
      'marketo_stream_marketo_requests_total',
      'marketo_stream_records_published_total',
      'marketo_stream_records_dead_lettered_total',
      'marketo_stream_pages_total',
      'marketo_stream_transaction_commit_seconds',
      'marketo_stream_quota_used_calls',
      'marketo_stream_quota_limit_calls',
      'marketo_stream_quota_reserve_calls',
      'marketo_stream_quota_reset_seconds',
      'marketo_stream_quota_paused',
      'marketo_stream_quota_limit_errors',
      'marketo_stream_cursor_lag_seconds',
      'marketo_stream_cursor_sequence',
      'marketo_stream_connection_state',
      'process_cpu_seconds_total',
      'nodejs_eventloop_lag_seconds',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }

    // A last call of the pass may land between a scrape and the Redis reads: compare until they agree.
    await vi.waitFor(
      async () => {
        text = await scrape();
        const snapshot = await status();
        const day = await redis.hgetall(`mkto:{${c.instance}}:quota:${snapshot.instances[0]!.date}`);
        const instance = `{instance="${c.instance}"}`;
        expect(samples(text, 'marketo_stream_quota_used_calls').get(instance)).toBe(Number(day.used));
        expect(Number(day.used)).toBeGreaterThan(0);
        expect(samples(text, 'marketo_stream_quota_limit_calls').get(instance)).toBe(c.dailyQuota);
        expect(samples(text, 'marketo_stream_quota_reserve_calls').get(instance)).toBe(11);
        expect(samples(text, 'marketo_stream_quota_paused').get(instance)).toBe(0);
        const resetIn = samples(text, 'marketo_stream_quota_reset_seconds').get(instance)!;
        expect(Math.abs(resetIn - (Number(day.resetAt) - Date.now()) / 1000)).toBeLessThan(30);
        expect(samples(text, 'marketo_stream_quota_limit_errors').get(`{instance="${c.instance}",code="606"}`)).toBe(0);

        const sequences = samples(text, 'marketo_stream_cursor_sequence');
        const lags = samples(text, 'marketo_stream_cursor_lag_seconds');
        const streams = snapshot.connections[0]!.streams;
        expect(sequences.size).toBe(streams.length);
        for (const v of streams) {
          const labels = `{connection="${c.id}",stream="${v.stream}"}`;
          expect(sequences.get(labels)).toBe(Number(await redis.hget(`mkto:{${c.id}}:cursor:${v.stream}`, 'seq')));
          const updatedAt = Date.parse((await redis.hget(`mkto:{${c.id}}:cursor:${v.stream}`, 'updatedAt'))!);
          expect(Math.abs(lags.get(labels)! - (Date.now() - updatedAt) / 1000)).toBeLessThan(5);
        }
      },
      { timeout: 20_000, interval: 250 },
    );

    // The worker writes its state to mkto:{<connection>}:status; the gauge shows the same.
    await vi.waitFor(
      async () => {
        const states = samples(await scrape(), 'marketo_stream_connection_state');
        expect((await status()).connections[0]!.state).toBe('running');
        expect(states.get(`{connection="${c.id}",state="running"}`)).toBe(1);
        expect(states.get(`{connection="${c.id}",state="unknown"}`)).toBe(0);
      },
      { timeout: 20_000, interval: 250 },
    );

    expect((await fetch(`http://127.0.0.1:${port}/livez`)).status).toBe(200);
    await service.stop();
    // Closed with the service.
    await expect(fetch(`http://127.0.0.1:${port}/livez`)).rejects.toThrow();
  });

  it('/readyz answers 503 naming Redis while Redis is unreachable, and 200 when it answers again', async () => {
    const sim = await startSimulator({
      seed: 42,
      leads: 50,
      activities: 300,
      start: '2026-01-01T00:00:00Z',
      end: '2026-01-15T00:00:00Z',
      limits: { ratePer20s: false, maxInFlight: false },
    });
    const target = new URL(process.env.REDIS_URL!);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
    const port = await freePort();
    const config = testConfig(sim, {
      metricsPort: port,
      redis: { url: `redis://127.0.0.1:${proxy.port}` },
      connection: { ratePer20s: 1000, streams: ['programs'] },
    });
    const service = startService(config);
    const readyz = async () => {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      return { status: res.status, body: (await res.json()) as { failing: string[]; checks: Record<string, string> } };
    };
    await vi.waitFor(async () => expect((await readyz()).status).toBe(200), { timeout: 30_000, interval: 250 });
    expect((await readyz()).body.checks).toEqual({ redis: 'ok', kafka: 'ok', schemaRegistry: 'ok' });

    await proxy.down();
    const down = await readyz();
    expect(down.status).toBe(503);
    expect(down.body.failing).toEqual(['redis']);
    expect(down.body.checks.kafka).toBe('ok');
    expect(down.body.checks.schemaRegistry).toBe('ok');
    // The event loop still answers.
    expect((await fetch(`http://127.0.0.1:${port}/livez`)).status).toBe(200);

    await proxy.up();
    await vi.waitFor(async () => expect((await readyz()).status).toBe(200), { timeout: 30_000, interval: 250 });
    await service.stop();
    await proxy.down();
  });
});
