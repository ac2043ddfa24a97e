import { type Admin, ConfigResourceTypes, type Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultTopicSpecs, ensureTopics, topicNames } from '../../src/kafka/topics.ts';
import { testKafka, uniqueName } from '../stack/helpers.ts';
import { cleanUpAfterFile } from '../support/cleanup.ts';

cleanUpAfterFile();

describe('ensureTopics (real Kafka)', () => {
  let kafka: Kafka;
  let admin: Admin;

  beforeAll(async () => {
    kafka = testKafka('topics-test');
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin.disconnect();
  });

  it('creates the missing topics with their cleanup policy and partitions, and is idempotent', async () => {
    const names = topicNames(uniqueName('it'));
    const specs = defaultTopicSpecs(names, { partitions: 3 });
    specs[0] = { ...specs[0]!, config: { 'retention.ms': '86400000' } };
    expect((await ensureTopics(admin, specs)).sort()).toEqual(Object.values(names).sort());

    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: Object.values(names).map((name) => ({
        type: ConfigResourceTypes.TOPIC,
        name,
        configNames: ['cleanup.policy', 'retention.ms'],
      })),
    });
    const policy = (topic: string, key = 'cleanup.policy') =>
      configs.resources.find((r) => r.resourceName === topic)?.configEntries.find((e) => e.configName === key)
        ?.configValue;
    expect(policy(names.activities)).toBe('delete');
    expect(policy(names.activities, 'retention.ms')).toBe('86400000');
    expect(policy(names.leads)).toBe('compact');
    expect(policy(names.programs)).toBe('compact');
    expect(policy(names.campaigns)).toBe('compact');
    expect(policy(names.dlq)).toBe('delete');
    expect(policy(names.checkpoints)).toBe('compact');

    const { topics } = await admin.fetchTopicMetadata({ topics: [names.activities, names.leads, names.checkpoints] });
    const partitions = Object.fromEntries(topics.map((t) => [t.name, t.partitions.length]));
    expect(partitions).toEqual({ [names.activities]: 3, [names.leads]: 3, [names.checkpoints]: 1 });

    // Second run: nothing to create, nothing changed (even with a different spec).
    expect(await ensureTopics(admin, defaultTopicSpecs(names, { partitions: 6 }))).toEqual([]);
    const again = await admin.fetchTopicMetadata({ topics: [names.activities] });
    expect(again.topics[0]!.partitions).toHaveLength(3);
  });
});
