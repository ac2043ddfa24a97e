import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors.ts';
import type { MarketoClient } from '../../src/marketo/index.ts';
import { leadSchema } from '../../src/schemas/index.ts';
import { LeadFetchLog } from '../../src/streams/leads.ts';
import { leadChangeFields, leadChangesStream } from '../../src/streams/leads-changes.ts';
import { FakeClock } from '../support/fake-clock.ts';

const described = [
  { name: 'email', dataType: 'email' },
  { name: 'firstName', dataType: 'string' },
  { name: 'updatedAt', dataType: 'datetime' },
];

describe('lead changes fields', () => {
  it('asks only for fields describe2 lists; fails naming them when none is', () => {
    expect(leadChangeFields(['id', 'email', 'updatedAt'], described)).toEqual(['email', 'updatedAt']);
    expect(() => leadChangeFields(['id', 'nope'], described)).toThrow(
      expect.objectContaining({
        code: ErrorCodes.CONFIG_UNKNOWN_LEAD_FIELD,
        message: expect.stringMatching(/id, nope/),
      }),
    );
  });

  it('the stream calls leadchanges.json with the listed fields only (not id, which describe2 does not list here)', async () => {
    const asked: Record<string, unknown>[] = [];
    const client = {
      get: async (path: string, query: Record<string, unknown>) => {
        asked.push({ path, ...query });
        return { result: [], moreResult: false, nextPageToken: 'T2', warnings: [], raw: {} };
      },
    } as unknown as MarketoClient;
    const clock = new FakeClock();
    const stream = leadChangesStream({
      client,
      topic: 't',
      instance: 'i',
      connection: 'c',
      plan: leadSchema(described, ['email', 'updatedAt']),
      describedFields: described,
      fetchLog: new LeadFetchLog(60_000),
      startDate: '2026-01-01T00:00:00Z',
      lookbackMs: 0,
      clock,
    });
    const cursor = { ...stream.initialCursor(clock.now()), nextPageToken: 'T1' };
    await stream.fetchPage(cursor, { signal: new AbortController().signal, clock } as never);
    const changes = asked.filter((a) => a.path === '/rest/v1/activities/leadchanges.json');
    expect(changes).toHaveLength(1);
    expect(changes[0]!.fields).toBe('email,updatedAt');
  });
});
