import { describe, expect, it } from 'vitest';
import { defaultTopicSpecs, topicNames } from '../../src/kafka/topics.ts';

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
