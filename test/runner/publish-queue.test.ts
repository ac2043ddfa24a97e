import { describe, expect, it } from 'vitest';
import type { PublishBatch, Publisher, PublishResult } from '../../src/producer/publisher.ts';
import { PublishQueue } from '../../src/runner/publish-queue.ts';

/** A publisher that records overlapping calls and fails the batches `fails` names. */
function recordingPublisher(fails: (key: string) => boolean = () => false) {
  const calls: string[] = [];
  let open = 0;
  let maxOpen = 0;
  const step = async (name: string) => {
    open++;
    maxOpen = Math.max(maxOpen, open);
    calls.push(`${name}:start`);
    await new Promise((r) => setTimeout(r, 2));
    calls.push(`${name}:end`);
    open--;
  };
  const publisher: Publisher = {
    connect: () => step('connect'),
    disconnect: () => step('disconnect'),
    publish: async (batch: PublishBatch): Promise<PublishResult> => {
      await step(batch.checkpoint.key);
      if (fails(batch.checkpoint.key)) throw new Error(`publish of ${batch.checkpoint.key} failed`);
      return { partitions: [], counts: {}, checkpoint: { topic: 'c', partition: 0, baseOffset: '0' } };
    },
  };
  return { publisher, calls, maxOpen: () => maxOpen };
}

const batch = (key: string) => ({ messages: {} as PublishBatch['messages'], checkpoint: { key, value: {} } });

describe('PublishQueue', () => {
  it('runs one call at a time, in the order they were made, whichever stream makes them', async () => {
    const p = recordingPublisher();
    const queue = new PublishQueue(p.publisher);
    await Promise.all([
      queue.connect(),
      queue.publish(batch('activities')),
      queue.publish(batch('leads')),
      queue.publish(batch('programs')),
    ]);
    expect(p.maxOpen()).toBe(1);
    expect(p.calls).toEqual([
      'connect:start',
      'connect:end',
      'activities:start',
      'activities:end',
      'leads:start',
      'leads:end',
      'programs:start',
      'programs:end',
    ]);
    expect(queue.stats.publishes).toBe(3);
    expect(queue.stats.maxWaitMs).toBeGreaterThan(0);
  });

  it('a failed publish rejects for its caller only; the next one still runs', async () => {
    const p = recordingPublisher((key) => key === 'activities');
    const queue = new PublishQueue(p.publisher);
    const [first, second] = await Promise.allSettled([
      queue.publish(batch('activities')),
      queue.publish(batch('leads')),
    ]);
    expect(first.status).toBe('rejected');
    expect(second.status).toBe('fulfilled');
    expect(p.calls.at(-1)).toBe('leads:end');
  });
});
