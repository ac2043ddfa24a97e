import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { type Simulator, type SimulatorOptions, startSimulator, TRACKED_TYPE_IDS } from '../../simulator/index.ts';
import { BulkExtractClient, type ExportWindow } from '../../src/bulk/index.ts';
import { createLogger } from '../../src/log.ts';
import { MarketoClient } from '../../src/marketo/index.ts';
import { Quota } from '../../src/quota/index.ts';
import { FakeClock } from './fake-clock.ts';

/** The instant the bulk rigs start at: after the simulated January. */
export const BULK_NOW = '2026-02-01T12:00:00Z';
/** An activity group of 10 tracked types. */
export const BULK_GROUP = TRACKED_TYPE_IDS.slice(0, 10);
/** A week of the simulated January. */
export const BULK_WINDOW: ExportWindow = { startAt: '2026-01-10T00:00:00Z', endAt: '2026-01-17T00:00:00Z' };

/** A simulator following a FakeClock, and the service's Marketo client on it (real Redis quota). */
export interface BulkRig {
  sim: Simulator;
  clock: FakeClock;
  quota: Quota;
  client: MarketoClient;
  bulk: BulkExtractClient;
  redis: Redis;
  /** A fresh instance name: the rig's Redis keys are `mkto:{<instance>}:*`. */
  instance: string;
  /** Closes everything and deletes the instance's Redis keys. */
  close(): Promise<void>;
}

/**
 * Starts a simulated January of activities (marketoGUIDs equal to ids, files with NUL bytes and
 * stray CRs, as Marketo's) and the clients the bulk path uses, all on one FakeClock.
 */
export async function startBulkRig(options: SimulatorOptions = {}): Promise<BulkRig> {
  const logger = createLogger({ level: 'silent' });
  const clock = new FakeClock(BULK_NOW);
  const sim = await startSimulator({
    seed: 11,
    leads: 400,
    activities: 30_000,
    start: '2026-01-01T00:00:00Z',
    end: '2026-02-01T00:00:00Z',
    now: BULK_NOW,
    clock,
    limits: { ratePer20s: false },
    numericGuids: true,
    bulkNoise: true,
    ...options,
  });
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const instance = `test-bulk-${randomUUID().slice(0, 8)}`;
  const quota = new Quota({ redis, instance, dailyBudget: 50_000, ratePer20s: 100_000, clock, logger });
  const client = new MarketoClient({
    baseUrl: sim.url,
    clientId: sim.clientId,
    clientSecret: sim.clientSecret,
    quota,
    clock,
    logger,
  });
  return {
    sim,
    clock,
    quota,
    client,
    redis,
    instance,
    bulk: new BulkExtractClient({ client, clock, logger }),
    async close() {
      await client.close();
      await sim.close();
      const keys = await redis.keys(`mkto:{${instance}}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    },
  };
}
