/**
 * Leads bench: `node bench/leads.ts [--leads N] [--activities N]`. Backfills a seeded simulator world
 * (in-process, virtual time) with every lead field configured, and counts the leads.json calls per
 * 1,000 touched leads (target ≤ 4: 300 leads per call). A touched lead is one that appears in a
 * pulled activity or in a lead change, i.e. one the pipeline had to fetch.
 */
import { parseArgs } from 'node:util';
import { LEAD_FIELDS, startSimulator, TRACKED_TYPE_IDS } from '../simulator/index.ts';
import { parseConfig } from '../src/config/index.ts';
import { createKafka } from '../src/kafka/index.ts';
import { createLogger } from '../src/log.ts';
import { runService } from '../src/service.ts';
import { FakeClock } from '../test/support/fake-clock.ts';
import { endpointsFromEnv, type ServiceEndpoints, startLocalStack } from '../test/support/services.ts';
import { deleteTopicsWithPrefix } from './support.ts';

/** Result of benchLeads. */
export interface LeadsBenchResult {
  /** leads.json calls per 1,000 touched leads. */
  leadCallsPer1k: number;
  /** Distinct leads the backfill had to fetch (seen in activities or lead changes). */
  touchedLeads: number;
  leadCalls: number;
}

/**
 * Runs one backfill of a simulator world (default 20,000 leads, 200,000 activities) through the
 * whole service against the given (or environment's, or local) Kafka, registry and Redis, and
 * counts leads.json calls with the simulator's per-endpoint counter.
 */
export async function benchLeads(
  opts: { leads?: number; activities?: number; services?: ServiceEndpoints } = {},
): Promise<LeadsBenchResult> {
  const services = opts.services ?? endpointsFromEnv() ?? startLocalStack();
  const now = '2026-01-01T00:00:00Z';
  const clock = new FakeClock(now);
  const sim = await startSimulator({
    seed: 17,
    leads: opts.leads ?? 20_000,
    activities: opts.activities ?? 200_000,
    start: '2025-01-01T00:00:00Z',
    end: '2025-12-31T23:59:59Z',
    now,
    clock,
    limits: { dailyQuota: 10_000_000 },
    quirks: { shortPageRate: 0, emptyPageRate: 0 },
  });
  const run = `bench-leads-${Date.now().toString(36)}`;
  try {
    const startDate = '2025-01-01T00:00:00Z';
    const config = parseConfig({
      kafka: { brokers: services.kafkaBrokers.split(','), topicPrefix: run, partitions: 6 },
      schemaRegistry: { url: services.schemaRegistryUrl },
      redis: { url: services.redisUrl },
      logLevel: 'warn',
      // REST paging, as the figures recorded for this bench were measured.
      backfill: { method: 'rest' },
      connections: [
        {
          id: run,
          instance: run,
          baseUrl: sim.url,
          clientId: sim.clientId,
          clientSecret: sim.clientSecret,
          startDate,
          leadFields: LEAD_FIELDS.map((f) => f.name),
          dailyQuota: 10_000_000,
          ratePer20s: 100,
        },
      ],
    });
    const result = await runService({
      config,
      logger: createLogger({ level: 'warn' }),
      signal: new AbortController().signal,
      clock,
      untilCaughtUp: true,
    });
    const error = Object.values(result)[0]?.error;
    if (error) throw error;
    const touched = new Set<number>();
    // Tracked activities, plus New Lead (12) and Change Data Value (13): what leadchanges.json serves.
    for (const a of sim.truth.activities({ typeIds: [...TRACKED_TYPE_IDS, 12, 13], from: startDate }))
      touched.add(a.leadId);
    const leadCalls = sim.counts().byEndpoint['/rest/v1/leads.json']?.requests ?? 0;
    return {
      leadCallsPer1k: Math.round((leadCalls / touched.size) * 1000 * 100) / 100,
      touchedLeads: touched.size,
      leadCalls,
    };
  } finally {
    await sim.close();
    await deleteTopicsWithPrefix(
      createKafka({ clientId: 'marketo-stream-bench', brokers: services.kafkaBrokers.split(',') }),
      run,
    );
  }
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { leads: { type: 'string' }, activities: { type: 'string' } } });
  const figures = await benchLeads({
    leads: values.leads ? Number(values.leads) : undefined,
    activities: values.activities ? Number(values.activities) : undefined,
  });
  console.log(JSON.stringify(figures, null, 2));
  process.exit(0);
}
