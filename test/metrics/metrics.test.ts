import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { MarketoStreamError } from '../../src/errors.ts';
import { createMetrics, noopMetrics, outcomeOf } from '../../src/metrics/index.ts';
import type { StatusSnapshot } from '../../src/status/index.ts';

const snapshot: StatusSnapshot = {
  at: '2026-11-30T12:00:00.000Z',
  instances: [
    {
      instance: '123-ABC-456',
      date: '2026-11-30',
      used: 1234,
      limit: 50_000,
      reserve: 1000,
      remaining: 47_766,
      resetsAt: new Date(Date.now() + 3_600_000).toISOString(),
      paused: false,
      errors: { '606': 2, '607': 0, '615': 1 },
    },
  ],
  connections: [
    {
      connection: 'acme',
      instance: '123-ABC-456',
      state: 'paused',
      streams: [{ stream: 'programs', phase: 'incremental', seq: 17, position: '-', lagSeconds: 42, updatedAt: '' }],
    },
  ],
};

const value = async (registry: Registry, name: string, labels: Record<string, string> = {}) => {
  const metric = await registry.getSingleMetric(name)!.get();
  const match = metric.values.find((v) =>
    Object.entries(labels).every(([k, l]) => (v.labels as Record<string, unknown>)[k] === l),
  );
  return match?.value;
};

describe('metrics', () => {
  it('counts requests, pages and records, and observes commit times', async () => {
    const registry = new Registry();
    const metrics = createMetrics({ registry, processMetrics: false });
    metrics.marketoRequest('123-ABC-456', 'v1/activities', 'success');
    metrics.marketoRequest('123-ABC-456', 'v1/activities', 'success');
    metrics.marketoRequest('123-ABC-456', 'v1/activities', outcomeOf(new MarketoStreamError('MKTO_RATE_LIMITED', 'x')));
    metrics.pageCommitted({
      connection: 'acme',
      stream: 'programs',
      topic: 'marketo.programs',
      published: 199,
      deadLettered: 1,
      commitSeconds: 0.03,
    });
    expect(await value(registry, 'marketo_stream_marketo_requests_total', { outcome: 'success' })).toBe(2);
    expect(await value(registry, 'marketo_stream_marketo_requests_total', { outcome: 'rate_limited' })).toBe(1);
    expect(await value(registry, 'marketo_stream_pages_total', { connection: 'acme', stream: 'programs' })).toBe(1);
    expect(await value(registry, 'marketo_stream_records_published_total', { topic: 'marketo.programs' })).toBe(199);
    expect(await value(registry, 'marketo_stream_records_dead_lettered_total', { stream: 'programs' })).toBe(1);
    const text = await registry.metrics();
    expect(text).toContain('marketo_stream_transaction_commit_seconds_bucket{le="0.05"} 1');
    expect(text).toContain('marketo_stream_transaction_commit_seconds_bucket{le="0.025"} 0');
    // Only the caller's registry is used, and process metrics only when asked.
    expect(text).not.toContain('process_cpu_seconds_total');
  });

  it('reads the Redis-held gauges from one snapshot per scrape', async () => {
    const registry = new Registry();
    let reads = 0;
    createMetrics({
      registry,
      processMetrics: true,
      snapshot: async () => {
        reads++;
        return snapshot;
      },
    });
    const text = await registry.metrics();
    expect(reads).toBe(1);
    expect(text).toContain('marketo_stream_quota_used_calls{instance="123-ABC-456"} 1234');
    expect(text).toContain('marketo_stream_quota_limit_calls{instance="123-ABC-456"} 50000');
    expect(text).toContain('marketo_stream_quota_reserve_calls{instance="123-ABC-456"} 1000');
    expect(text).toContain('marketo_stream_quota_limit_errors{instance="123-ABC-456",code="606"} 2');
    expect(text).toContain('marketo_stream_quota_paused{instance="123-ABC-456"} 0');
    expect(text).toContain('marketo_stream_cursor_lag_seconds{connection="acme",stream="programs"} 42');
    expect(text).toContain('marketo_stream_cursor_sequence{connection="acme",stream="programs"} 17');
    expect(text).toContain('marketo_stream_connection_state{connection="acme",state="paused"} 1');
    expect(text).toContain('marketo_stream_connection_state{connection="acme",state="running"} 0');
    expect(text).toContain('process_cpu_seconds_total');
    const resetIn = Number(/marketo_stream_quota_reset_seconds\{[^}]*\} (\S+)/.exec(text)![1]);
    expect(resetIn).toBeGreaterThan(3590);
    expect(resetIn).toBeLessThanOrEqual(3600);
  });

  it('leaves the Redis-held gauges empty, not the scrape failed, when Redis cannot be read', async () => {
    const registry = new Registry();
    createMetrics({ registry, processMetrics: false, snapshot: () => Promise.reject(new Error('ECONNREFUSED')) });
    const text = await registry.metrics();
    expect(text).toContain('# TYPE marketo_stream_quota_used_calls gauge');
    expect(text).not.toMatch(/^marketo_stream_quota_used_calls\{/m);
  });

  it('the no-op metrics accept every call', () => {
    expect(() => {
      noopMetrics.marketoRequest('i', 'e', 'success');
      noopMetrics.pageCommitted({
        connection: 'c',
        stream: 's',
        topic: 't',
        published: 1,
        deadLettered: 0,
        commitSeconds: 1,
      });
    }).not.toThrow();
    expect(outcomeOf(new Error('plain'))).toBe('error');
  });
});
