import type { Admin } from 'kafkajs';

/** The topics of one deployment. */
export interface TopicNames {
  activities: string;
  leads: string;
  programs: string;
  campaigns: string;
  /** Records that could not be encoded, with the reason and the raw payload. */
  dlq: string;
  /** Internal, compacted: the committed position of every stream of every connection. */
  checkpoints: string;
}

/** Topic names under `prefix`: `<prefix>.activities`, …, `<prefix>.dlq`, `<prefix>.checkpoints`. */
export function topicNames(prefix = 'marketo'): TopicNames {
  return {
    activities: `${prefix}.activities`,
    leads: `${prefix}.leads`,
    programs: `${prefix}.programs`,
    campaigns: `${prefix}.campaigns`,
    dlq: `${prefix}.dlq`,
    checkpoints: `${prefix}.checkpoints`,
  };
}

/** How one topic must be created. */
export interface TopicSpec {
  topic: string;
  partitions: number;
  cleanupPolicy: 'delete' | 'compact';
  /** Defaults to the broker's `default.replication.factor`. */
  replicationFactor?: number;
  /** Further topic configs (e.g. `retention.ms`); `cleanup.policy` comes from `cleanupPolicy`. */
  config?: Record<string, string>;
}

/**
 * The topics the pipeline writes, with their cleanup policies: activities and dlq delete;
 * leads, programs, campaigns compact (latest state per key, tombstones delete); checkpoints
 * compact with one partition. Activities and leads get the same partition count so they stay
 * co-partitioned.
 */
export function defaultTopicSpecs(
  names: TopicNames,
  options: { partitions: number; replicationFactor?: number },
): TopicSpec[] {
  const { partitions, replicationFactor } = options;
  const spec = (topic: string, cleanupPolicy: TopicSpec['cleanupPolicy'], count = partitions): TopicSpec => ({
    topic,
    partitions: count,
    cleanupPolicy,
    ...(replicationFactor === undefined ? {} : { replicationFactor }),
  });
  return [
    spec(names.activities, 'delete'),
    spec(names.leads, 'compact'),
    spec(names.programs, 'compact'),
    spec(names.campaigns, 'compact'),
    spec(names.dlq, 'delete'),
    spec(names.checkpoints, 'compact', 1),
  ];
}

/**
 * Creates the topics of `specs` that do not exist yet (waiting for their leaders) and leaves
 * existing ones as they are (even when their settings differ). Safe to run concurrently from
 * several processes; a retriable failure is retried up to `attempts` times. Returns the names that were missing.
 */
export async function ensureTopics(admin: Admin, specs: TopicSpec[], attempts = 5): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.topic));
  if (missing.length === 0) return [];
  try {
    await createAll(admin, missing);
  } catch (err) {
    // Metadata may lag behind a creation under load (UNKNOWN_TOPIC_OR_PARTITION while waiting for leaders).
    if ((err as { retriable?: unknown }).retriable !== true || attempts <= 1) throw err;
    await new Promise((resolve) => setTimeout(resolve, 500));
    await ensureTopics(admin, specs, attempts - 1);
  }
  // kafkajs treats "already exists" (another process won the race) as success.
  return missing.map((s) => s.topic);
}

async function createAll(admin: Admin, missing: TopicSpec[]): Promise<void> {
  await admin.createTopics({
    waitForLeaders: true,
    topics: missing.map((s) => ({
      topic: s.topic,
      numPartitions: s.partitions,
      replicationFactor: s.replicationFactor ?? -1,
      configEntries: Object.entries({ ...s.config, 'cleanup.policy': s.cleanupPolicy }).map(([name, value]) => ({
        name,
        value,
      })),
    })),
  });
}
