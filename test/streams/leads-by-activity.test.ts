import { describe, expect, it } from 'vitest';
import { planLeadChunks, type TouchedLead } from '../../src/streams/leads-by-activity.ts';

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
