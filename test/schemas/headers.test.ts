import type { IHeaders } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import {
  CE_ID,
  CE_SOURCE,
  CE_TYPE,
  cloudEventHeaderFactory,
  cloudEventHeaders,
  EventTypes,
} from '../../src/schemas/headers.ts';

describe('cloudEventHeaders', () => {
  it('writes the CloudEvents binary-mode attributes', () => {
    const headers = cloudEventHeaders({
      id: 'guid-1',
      source: '123-ABC-456',
      type: EventTypes.activity,
      time: Date.UTC(2024, 2, 10, 12, 34, 56),
    });
    expect(headers).toEqual({
      ce_specversion: '1.0',
      ce_id: 'guid-1',
      ce_source: '/marketo/123-ABC-456',
      ce_type: 'io.marketostream.activity',
      ce_time: '2024-03-10T12:34:56.000Z',
      'content-type': 'application/avro',
    });
    expect([CE_ID, CE_SOURCE, CE_TYPE]).toEqual(['ce_id', 'ce_source', 'ce_type']);
  });

  it('adds ce_subject only when given and stringifies numeric ids', () => {
    const headers = cloudEventHeaders({
      id: 42,
      source: 'i',
      type: EventTypes.lead,
      time: '2024-01-01T00:00:00Z',
      subject: 'lead/42',
    });
    expect(headers.ce_id).toBe('42');
    expect(headers.ce_subject).toBe('lead/42');
    expect(headers.ce_time).toBe('2024-01-01T00:00:00Z');
  });
});

describe('cloudEventHeaderFactory', () => {
  const make = cloudEventHeaderFactory(
    { source: '123-ABC-456', type: EventTypes.activity },
    { mkto_stream: 'activities.6' },
  );
  const time = Date.UTC(2026, 0, 2, 3, 4, 5);
  const asStrings = (h: IHeaders) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k, String(v)]));

  it('builds the same headers as cloudEventHeaders, plus the extra ones', () => {
    expect(asStrings(make('guid-1', time))).toEqual({
      ...cloudEventHeaders({ id: 'guid-1', source: '123-ABC-456', type: EventTypes.activity, time }),
      mkto_stream: 'activities.6',
    });
  });

  it('returns the same Buffer objects for the constant values on every call', () => {
    const a = make('guid-1', time);
    const b = make('guid-2', time + 1);
    for (const name of ['ce_specversion', 'ce_source', 'ce_type', 'content-type', 'mkto_stream']) {
      expect(Buffer.isBuffer(a[name]), name).toBe(true);
      expect(b[name], name).toBe(a[name]);
    }
    expect([a.ce_id, b.ce_id]).toEqual(['guid-1', 'guid-2']);
  });
});
