import type { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import type { MarketoClient } from '../../src/marketo/index.ts';
import { leadSchema } from '../../src/schemas/index.ts';
import type { BulkBackfillCursor } from '../../src/streams/backfill-plan.ts';
import { LeadSnapshotGate } from '../../src/streams/lead-snapshot-gate.ts';
import { LeadFetchLog } from '../../src/streams/leads.ts';
import { leadsByActivityStream, planLeadChunks, type TouchedLead } from '../../src/streams/leads-by-activity.ts';
import { FakeClock } from '../support/fake-clock.ts';

const t = (partition: number, offset: number, leadId: number, time = 0): TouchedLead => ({
  partition,
  offset,
  leadId,
  time,
});

describe('planLeadChunks', () => {
  it('puts at most 300 distinct leads in a chunk, each lead once, with exact resume offsets', () => {
    const touched: TouchedLead[] = [];
    // Partition 1 listed first on purpose: chunks walk partitions in order.
    for (let i = 0; i < 200; i++) touched.push(t(1, 1000 + i, 10_000 + i));
    for (let i = 0; i < 250; i++) touched.push(t(0, 10 + i, 1 + (i % 200)));
    const chunks = planLeadChunks(touched, { '0': 10, '1': 1000, '2': 7 }, { '0': 300, '1': 1250, '2': 9 });
    expect(chunks.map((c) => c.ids.length)).toEqual([300, 100]);
    // 200 distinct leads from partition 0 (250 activities), then 100 from partition 1.
    expect(chunks[0]!.ids.slice(0, 3)).toEqual([1, 2, 3]);
    expect(chunks[0]!.after).toEqual({ '0': 300, '1': 1100, '2': 7 });
    expect(chunks[1]!.after).toEqual({ '0': 300, '1': 1250, '2': 9 });
    expect(new Set(chunks.flatMap((c) => c.ids)).size).toBe(400);
  });

  it('skips leads already fetched after the activity, and still moves past a slice that touched nobody new', () => {
    const chunks = planLeadChunks([t(0, 0, 5, 100), t(0, 1, 6, 100)], { '0': 0 }, { '0': 2 }, (id) => id === 5);
    expect(chunks).toEqual([{ ids: [6], after: { '0': 2 } }]);
    expect(planLeadChunks([], { '0': 4 }, { '0': 9 })).toEqual([{ ids: [], after: { '0': 9 } }]);
  });
});

describe('leads by activity with a lead snapshot', () => {
  it('reads nothing and calls nothing while the snapshot is unknown or running; reads the topic once it is finished', async () => {
    const used: string[] = [];
    // Any use of Kafka or Marketo is recorded, and fails the page.
    const spy = <T extends object>(what: string) =>
      new Proxy({} as T, {
        get: (_t, prop) => {
          used.push(`${what}.${String(prop)}`);
          throw new Error(`${what} used`);
        },
      });
    const clock = new FakeClock();
    const gate = new LeadSnapshotGate();
    const described = [{ name: 'email', dataType: 'email' }];
    const stream = leadsByActivityStream({
      client: spy<MarketoClient>('client'),
      kafka: spy<Kafka>('kafka'),
      activitiesTopic: 'activities',
      topic: 'leads',
      instance: 'i',
      connection: 'c',
      plan: leadSchema(described, ['email']),
      fetchLog: new LeadFetchLog(60_000),
      startDate: '2026-01-01T00:00:00Z',
      lookbackMs: 0,
      clock,
      snapshot: gate,
    });
    const cursor = stream.initialCursor(clock.now());
    const ctx = { signal: new AbortController().signal, clock, logger: { debug: () => {} } } as never;
    const running = { windowsDone: 1, handoverAt: '2026-03-10T00:00:00Z' } as BulkBackfillCursor;
    for (const state of ['unknown', 'running']) {
      expect(gate.state.state).toBe(state);
      expect(await stream.fetchPage(cursor, ctx)).toEqual({ records: [], cursor, done: true });
      gate.committedCursor(running);
    }
    expect(used).toEqual([]);
    gate.finished('2026-03-10T00:00:00Z');
    await expect(stream.fetchPage(cursor, ctx)).rejects.toThrow('used');
    expect(used.length).toBeGreaterThan(0);
  });
});
