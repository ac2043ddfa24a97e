import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll } from 'vitest';

/**
 * What the integration tests create on the shared local stack (topics, `<topic>-value` registry
 * subjects, `mkto:{<id>}:*` Redis keys), recorded per test file and removed after it, so a reused
 * stack does not fill up. Only names the file recorded are removed: never anything another test or
 * a user created.
 */

const topicPrefixes = new Set<string>();
const redisIds = new Set<string>();

/** Records a topic name or prefix: after the file, topics `<name>` and `<name>.*` and their value subjects go. */
export function recordTopicPrefix(prefix: string): void {
  topicPrefixes.add(prefix);
}

/** Records a connection or instance id: after the file, its `mkto:{<id>}:*` keys go. */
export function recordRedisId(id: string): void {
  redisIds.add(id);
}

/** Registers the removal of everything this file recorded, after the file's last test (call at the top). */
export function cleanUpAfterFile(): void {
  afterAll(async () => {
    const prefixes = [...topicPrefixes];
    const ids = [...redisIds];
    topicPrefixes.clear();
    redisIds.clear();
    await removeTestResources({ topicPrefixes: prefixes, redisIds: ids });
  });
}

/** Deletes the topics and value subjects of `topicPrefixes` and the Redis keys of `redisIds`. */
export async function removeTestResources(what: { topicPrefixes: string[]; redisIds: string[] }): Promise<void> {
  const ours = (name: string) => what.topicPrefixes.some((p) => name === p || name.startsWith(`${p}.`));
  if (what.topicPrefixes.length > 0) {
    const admin = new Kafka({ brokers: process.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const topics = (await admin.listTopics()).filter(ours);
      if (topics.length > 0) await admin.deleteTopics({ topics });
    } finally {
      await admin.disconnect();
    }
    await deleteSubjects((subject) => subject.endsWith('-value') && ours(subject.slice(0, -'-value'.length)));
  }
  if (what.redisIds.length > 0) {
    const redis = new Redis(process.env.REDIS_URL!);
    try {
      for (const id of what.redisIds) {
        const keys = await redis.keys(`mkto:{${escapeGlob(id)}}:*`);
        if (keys.length > 0) await redis.del(...keys);
      }
    } finally {
      redis.disconnect();
    }
  }
}

/** Deletes the registry subjects `matches` selects: soft delete, then the permanent one (ccompat API). */
export async function deleteSubjects(matches: (subject: string) => boolean): Promise<void> {
  const registry = process.env.SCHEMA_REGISTRY_URL!;
  const subjects = (await (await fetch(`${registry}/subjects`)).json()) as string[];
  for (const subject of subjects.filter(matches)) {
    const path = `${registry}/subjects/${encodeURIComponent(subject)}`;
    await fetch(path, { method: 'DELETE' });
    await fetch(`${path}?permanent=true`, { method: 'DELETE' });
  }
}

function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, '\\$&');
}
