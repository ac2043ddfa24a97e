import type { Admin } from 'kafkajs';
import { type Clock, systemClock } from '../clock.ts';
import { retry } from '../retry/index.ts';

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

/** Options of {@link ensureTopics}. */
export interface EnsureTopicsOptions {
  /** The clock retries wait on (default the wall clock). */
  clock?: Clock;
  /** Attempts in all (default 5). */
  maxAttempts?: number;
}

/**
 * Creates the topics of `specs` that do not exist yet (waiting for their leaders) and leaves
 * existing ones as they are (even when their settings differ). Safe to run concurrently from
 * several processes; a retriable failure is retried with backoff. Returns the names that were missing.
 */
export async function ensureTopics(
  admin: Admin,
  specs: TopicSpec[],
  options: EnsureTopicsOptions = {},
): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.topic));
  if (missing.length === 0) return [];
  // Metadata may lag behind a creation under load (UNKNOWN_TOPIC_OR_PARTITION while waiting for
  // leaders); a retry lists again, so topics another attempt or process created are not re-created.
  await retry(
    async (attempt) => {
      if (attempt === 1) return createAll(admin, missing);
      const now = new Set(await admin.listTopics());
      const left = missing.filter((s) => !now.has(s.topic));
      if (left.length > 0) await createAll(admin, left);
    },
    { clock: options.clock ?? systemClock, maxAttempts: options.maxAttempts ?? 5, baseDelayMs: 500, maxDelayMs: 5_000 },
  );
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
