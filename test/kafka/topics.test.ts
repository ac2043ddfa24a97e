import type { Admin } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { defaultTopicSpecs, ensureTopics, topicNames } from '../../src/kafka/topics.ts';
import { FakeClock } from '../support/fake-clock.ts';

/** An admin whose createTopics fails with `failures` in turn (creating nothing), then creates what it is asked. */
function flakyAdmin(failures: unknown[]) {
  const topics = new Set<string>();
  const created: string[][] = [];
  const admin = {
    listTopics: async () => [...topics],
    createTopics: async ({ topics: asked }: { topics: { topic: string }[] }) => {
      const failure = failures.shift();
      if (failure !== undefined) throw failure;
      created.push(asked.map((t) => t.topic));
      for (const t of asked) topics.add(t.topic);
      return true;
    },
  };
  return { admin: admin as unknown as Admin, created, topics };
}

const retriable = () => Object.assign(new Error('This server does not host this topic-partition'), { retriable: true });

describe('ensureTopics', () => {
  const specs = defaultTopicSpecs(topicNames('x'), { partitions: 1 }).slice(0, 2);

  it('retries a retriable failure on the given clock, creating only what is still missing', async () => {
    const clock = new FakeClock();
    const { admin, created } = flakyAdmin([retriable(), retriable()]);
    expect(await ensureTopics(admin, specs, { clock })).toEqual(['x.activities', 'x.leads']);
    expect(created).toEqual([['x.activities', 'x.leads']]);
    expect(clock.sleeps).toHaveLength(2);
  });

  it('rethrows a fatal failure at once, and a retriable one after maxAttempts', async () => {
    const fatal = new Error('invalid config');
    const clock = new FakeClock();
    await expect(ensureTopics(flakyAdmin([fatal]).admin, specs, { clock })).rejects.toBe(fatal);
    expect(clock.sleeps).toEqual([]);
    const last = retriable();
    await expect(ensureTopics(flakyAdmin([retriable(), last]).admin, specs, { clock, maxAttempts: 2 })).rejects.toBe(
      last,
    );
    expect(clock.sleeps).toHaveLength(1);
  });
});

describe('topicNames', () => {
  it('prefixes every topic, marketo by default', () => {
    expect(topicNames()).toEqual({
      activities: 'marketo.activities',
      leads: 'marketo.leads',
      programs: 'marketo.programs',
      campaigns: 'marketo.campaigns',
      dlq: 'marketo.dlq',
      checkpoints: 'marketo.checkpoints',
    });
    expect(topicNames('acme').dlq).toBe('acme.dlq');
  });
});

describe('defaultTopicSpecs', () => {
  it('co-partitions activities and leads and compacts state topics', () => {
    const names = topicNames();
    const specs = Object.fromEntries(defaultTopicSpecs(names, { partitions: 12 }).map((s) => [s.topic, s]));
    expect(specs[names.activities]).toEqual({ topic: names.activities, partitions: 12, cleanupPolicy: 'delete' });
    expect(specs[names.leads]).toEqual({ topic: names.leads, partitions: 12, cleanupPolicy: 'compact' });
    expect(specs[names.programs]?.cleanupPolicy).toBe('compact');
    expect(specs[names.campaigns]?.cleanupPolicy).toBe('compact');
    expect(specs[names.dlq]?.cleanupPolicy).toBe('delete');
    expect(specs[names.checkpoints]).toEqual({ topic: names.checkpoints, partitions: 1, cleanupPolicy: 'compact' });
    expect(
      defaultTopicSpecs(names, { partitions: 2, replicationFactor: 3 }).every((s) => s.replicationFactor === 3),
    ).toBe(true);
  });
});
