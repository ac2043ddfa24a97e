import { beforeAll, describe, expect, it } from 'vitest';
import { defaultTopicSpecs, ensureTopics, fetchEndOffsets, topicNames } from '../../src/kafka/index.ts';
import type { MarketoClient } from '../../src/marketo/index.ts';
import { cloudEventHeaders, leadSchema, STREAM_HEADER } from '../../src/schemas/index.ts';
import { LeadFetchLog } from '../../src/streams/leads.ts';
import { type LeadsByActivityCursor, leadsByActivityStream } from '../../src/streams/leads-by-activity.ts';
import type { StreamContext } from '../../src/streams/stream.ts';
import { cleanUpAfterFile, recordTopicPrefix } from '../support/cleanup.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { testKafka, testLogger, unique } from '../support/pipeline.ts';

cleanUpAfterFile();

const kafka = testKafka();
const prefix = unique('lba');
recordTopicPrefix(prefix);
const names = topicNames(prefix);
const INSTANCE = 'inst-1';

beforeAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, defaultTopicSpecs(names, { partitions: 3 }));
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  const message = (leadId: number, source: string, stream: string, n: number) => ({
    key: `${source}:${leadId}`,
    value: Buffer.from('x'),
    headers: { ...cloudEventHeaders({ id: `g${n}`, source, type: 't', time: 1_000 + n }), [STREAM_HEADER]: stream },
  });
  const messages = [];
  // 900 activities of 450 leads of this instance, plus noise another connection's stream would skip.
  for (let n = 0; n < 900; n++) messages.push(message(1 + ((n * 7) % 450), INSTANCE, 'activities.1-2', n));
  for (let n = 0; n < 60; n++) messages.push(message(10_000 + n, 'other-instance', 'activities.1-2', n));
  for (let n = 0; n < 60; n++) messages.push(message(20_000 + n, INSTANCE, 'leads.changes', n));
  await producer.send({ topic: names.activities, messages });
  await producer.disconnect();
});

describe('leads.by-activity stream', () => {
  it('fetches every lead of this connection’s activities once, in full calls of 300, resuming exactly from its offsets', async () => {
    const calls: number[][] = [];
    // Leads deleted or merged away since their activities: leads.json answers without them.
    const gone = (id: number) => id % 10 === 0;
    const client = {
      get: async (_path: string, params: { filterValues: string }) => {
        const ids = params.filterValues.split(',').map(Number);
        calls.push(ids);
        const result = ids.filter((id) => !gone(id)).map((id) => ({ id, email: `${id}@x.example` }));
        return { result, warnings: [], raw: {} };
      },
    } as unknown as MarketoClient;
    const clock = new FakeClock('2026-01-01T00:00:00Z');
    // The worker's log outlives rebuilds of the definitions.
    const fetchLog = new LeadFetchLog(3_600_000);
    const make = () =>
      leadsByActivityStream({
        client,
        kafka,
        activitiesTopic: names.activities,
        topic: names.leads,
        instance: INSTANCE,
        connection: 'c',
        plan: leadSchema([{ name: 'email', dataType: 'email' }], ['email']),
        fetchLog,
        startDate: '2025-01-01T00:00:00Z',
        lookbackMs: 0,
        clock,
        sliceRecords: 250,
      });
    const ctx: StreamContext = { clock, logger: testLogger(), signal: new AbortController().signal };

    let def = make();
    let cursor: LeadsByActivityCursor = def.beginPass(def.initialCursor(clock.now()), clock.now());
    let pages = 0;
    for (;;) {
      const page = await def.fetchPage(cursor, ctx);
      def.afterCommit?.(page.records); // as the runner does once the page is committed
      cursor = page.cursor;
      pages++;
      // A crash after the second page: a fresh definition resumes from the committed cursor alone.
      if (pages === 2) def = make();
      if (page.done) break;
    }
    const fetched = calls.flat();
    expect(Math.max(...calls.map((c) => c.length))).toBeLessThanOrEqual(300);
    expect(new Set(fetched)).toEqual(new Set(Array.from({ length: 450 }, (_, i) => i + 1)));
    expect(fetched.every((id) => id <= 450)).toBe(true); // no other instance, no other stream
    // Each lead once, although its activities span several slices: a gone lead too (not asked again).
    expect(fetched).toHaveLength(450);
    expect(fetchLog.goneCount).toBe(45);
    // Full calls: slices (1,020 records / 250 per slice) are read together until a call fills up.
    expect(calls.map((c) => c.length)).toEqual([300, 150]);
    expect(cursor.phase).toBe('incremental');
    expect(cursor.offsets).toEqual(await fetchEndOffsets(kafka, names.activities));

    // Nothing new: the next pass ends at once without a call.
    const before = calls.length;
    const again = await def.fetchPage(def.beginPass(cursor, clock.now()), ctx);
    expect(again).toMatchObject({ records: [], done: true });
    expect(calls.length).toBe(before);
  });
});
