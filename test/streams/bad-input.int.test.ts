import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultSpec } from '../../simulator/faults.ts';
import { type Simulator, startSimulator } from '../../simulator/index.ts';
import { cleanUpAfterFile } from '../support/cleanup.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { consumeAll, duplicatesOf, runUntilCaughtUp, testConfig, topicsOf, unique } from '../support/pipeline.ts';

/** One case of test/fixtures/bad-input: a raw page Marketo answers once, and what must come of it. */
interface BadInputCase {
  description: string;
  stream: 'activities' | 'programs' | 'leads';
  /** The page as JSON, or as raw text, or as base64 bytes (for invalid UTF-8). */
  page?: unknown;
  pageText?: string;
  pageBase64?: string;
  /** ce_id of every record of the page that must be published, each exactly once. */
  published: string[];
  /** Each dead letter: `marker` occurs in its raw record's JSON, `reason` (a regex) matches its reason. */
  deadLettered: { marker: string; reason: string }[];
}

const DIR = fileURLToPath(new URL('../fixtures/bad-input', import.meta.url));
const cases = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => ({ file, ...(JSON.parse(readFileSync(path.join(DIR, file), 'utf8')) as BadInputCase) }));

const ENDPOINT = {
  activities: '/rest/v1/activities.json',
  programs: '/rest/asset/v1/programs.json',
  leads: '/rest/v1/leads.json',
} as const;
const TOPIC = { activities: 'activities', programs: 'programs', leads: 'leads' } as const;
/** The lead fields of the leads cases (one of each describe2 type they exercise). */
const LEAD_FIELDS = ['email', 'updatedAt', 'numberOfEmployees', 'annualRevenue', 'unsubscribed', 'lastDemoDate__c'];

cleanUpAfterFile();
const clock = new FakeClock('2026-04-01T00:00:00Z');
let sim: Simulator;
// Every case runs as a connection of its own (its own instance) on the same topics.
const topicPrefix = unique('bad');
const WORLD_LEADS = 5;
beforeAll(async () => {
  sim = await startSimulator({
    seed: 66,
    leads: WORLD_LEADS,
    activities: 0,
    programs: 1,
    campaigns: 1,
    start: '2026-01-01T00:00:00Z',
    end: '2026-03-31T00:00:00Z',
    clock,
  });
});
afterAll(() => sim?.close());

/** The case's page as a 'rawPage' fault served once on its stream's endpoint. */
function rawPageFault(c: BadInputCase): FaultSpec {
  const body =
    c.pageBase64 !== undefined ? { bodyBase64: c.pageBase64 } : { body: c.pageText ?? JSON.stringify(c.page) };
  return { kind: 'rawPage', endpoint: ENDPOINT[c.stream], times: 1, ...body };
}

describe('the bad-input corpus (test/fixtures/bad-input) through the real pipeline', () => {
  it('has at least 30 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  it.each(cases)('$file: $description', { timeout: 60_000 }, async (c) => {
    const config = testConfig(sim, {
      kafka: { brokers: process.env.KAFKA_BROKERS!.split(','), topicPrefix, partitions: 1 },
      // Leads are fetched for the leads the activities touch.
      connection:
        c.stream === 'leads' ? { streams: ['activities', 'leads'], leadFields: LEAD_FIELDS } : { streams: [c.stream] },
    });
    const topics = topicsOf(config);
    const fault = sim.injectFault(rawPageFault(c));
    await runUntilCaughtUp(config, clock);
    expect(sim.faultsFired().find((f) => f.id === fault)?.fired, 'the raw page was served').toBe(1);

    const source = `/marketo/${config.connections[0]!.instance}`;
    const ours = (r: { headers: Record<string, string> }) => r.headers.ce_source === source;
    const worldIds = new Set([
      ...[...sim.truth.activities()].map((a) => a.marketoGUID),
      ...sim.world.programs.map((p) => String(p.id)),
      ...Array.from({ length: WORLD_LEADS }, (_, i) => String(i + 1)),
    ]);
    const fromPage = (id: string) => !worldIds.has(id) && !worldIds.has(id.split('@')[0]!);
    const topic = topics[TOPIC[c.stream]];
    const published = (await consumeAll(topic))
      .filter(ours)
      .map((r) => r.id)
      .filter(fromPage);
    expect(duplicatesOf(published)).toEqual([]);
    expect(new Set(published)).toEqual(new Set(c.published));

    const letters = (await consumeAll(topics.dlq))
      .filter(ours)
      .map((r) => JSON.parse(r.value!.toString()) as { reason: string; raw: unknown; stream: string });
    expect(letters.length, JSON.stringify(letters.map((l) => l.reason))).toBe(c.deadLettered.length);
    for (const want of c.deadLettered) {
      const letter = letters.find((l) => JSON.stringify(l.raw ?? null).includes(want.marker));
      expect(letter, `a dead letter with ${want.marker}`).toBeDefined();
      expect(letter!.reason).toMatch(new RegExp(want.reason));
    }
  });
});
