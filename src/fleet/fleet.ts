import type { Kafka } from 'kafkajs';
import type { Config, ConnectionConfig } from '../config/index.ts';
import { ensureTopics } from '../kafka/index.ts';
import type { Logger } from '../log.ts';
import { ConnectionCatalog } from './connection-catalog.ts';
import { connectionsTopic, resolveConnection } from './connection-record.ts';
import { FleetMembership } from './membership.ts';
import { type ConnectionResults, type StartConnection, Supervisor } from './supervisor.ts';

/** Changes of the connections topic arriving within this time are assigned in one rebalance. */
const CHANGE_SETTLE_MS = 500;

/** The consumer group of a fleet's workers. */
export const fleetGroupId = (config: Readonly<Config>) => config.fleet.groupId ?? `${config.kafka.topicPrefix}.workers`;

/** Creates the compacted connections topic if missing (one partition: it is small and read whole by every worker). */
export async function ensureConnectionsTopic(kafka: Kafka, config: Readonly<Config>): Promise<string> {
  const topic = connectionsTopic(config.kafka.topicPrefix);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin, [
      { topic, partitions: 1, cleanupPolicy: 'compact', replicationFactor: config.kafka.replicationFactor },
    ]);
  } finally {
    await admin.disconnect();
  }
  return topic;
}

/**
 * One worker of a fleet, until `signal` aborts: follows the connections topic, joins the fleet's
 * consumer group, and runs the connections the group assigns it. When the set of connections
 * changes, the group's leader re-joins so that they are assigned afresh; a changed record restarts
 * its connection wherever it runs. On abort it leaves the group (its connections move at once)
 * and stops its connections between pages.
 */
export async function runFleetWorker(o: {
  config: Readonly<Config>;
  kafka: Kafka;
  logger: Logger;
  signal: AbortSignal;
  start: StartConnection;
  env?: NodeJS.ProcessEnv;
}): Promise<ConnectionResults> {
  const { config, kafka, logger, signal } = o;
  const log = logger.child({ component: 'fleet' });
  const topic = await ensureConnectionsTopic(kafka, config);
  const catalog = new ConnectionCatalog({ kafka, topic, logger });
  const supervisor = new Supervisor({ start: o.start, signal, logger });
  const problems: ConnectionResults = {};
  let assigned: string[] = [];
  let applying = Promise.resolve();

  /** The assigned connections this worker can run now (known to its catalog, secret found). */
  const runnable = (): ConnectionConfig[] => {
    const out: ConnectionConfig[] = [];
    for (const id of assigned) {
      const record = catalog.records.get(id);
      if (!record) continue; // not in this worker's view yet: applied again on the next change
      try {
        out.push(resolveConnection(record, o.env));
        delete problems[id];
      } catch (err) {
        if (problems[id]?.error?.message !== (err as Error).message) {
          log.error({ err, connection: id }, 'cannot run this connection');
        }
        problems[id] = { error: err as Error };
      }
    }
    return out;
  };
  const apply = () => {
    applying = applying
      .then(() => supervisor.apply(signal.aborted ? [] : runnable()))
      .catch((err: unknown) => {
        log.error({ err }, 'applying the assignment failed');
      });
  };

  await catalog.start();
  const membership = new FleetMembership({
    kafka,
    groupId: fleetGroupId(config),
    topic,
    sessionTimeoutMs: config.fleet.sessionTimeoutMs,
    heartbeatIntervalMs: config.fleet.heartbeatIntervalMs,
    connections: () => [...catalog.records.keys()],
    owned: () => assigned,
    onAssignment: (connections) => {
      assigned = connections;
      apply();
    },
    logger,
  });
  let knownIds = [...catalog.records.keys()].sort().join('\n');
  let settle: NodeJS.Timeout | undefined;
  catalog.onChange(() => {
    clearTimeout(settle);
    settle = setTimeout(() => {
      apply();
      const ids = [...catalog.records.keys()].sort().join('\n');
      if (ids === knownIds) return;
      knownIds = ids;
      if (membership.isLeader) {
        void membership.rejoin().catch((err: unknown) => log.error({ err }, 're-joining the group failed'));
      }
    }, CHANGE_SETTLE_MS);
  });
  try {
    await membership.start();
    log.info({ group: fleetGroupId(config), topic }, 'fleet worker running');
    if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
  } finally {
    clearTimeout(settle);
    await membership.stop().catch((err: unknown) => log.warn({ err }, 'leaving the group failed'));
    await applying;
    await supervisor.stopAll();
    await catalog.close();
  }
  return { ...problems, ...supervisor.results };
}
