import { describe, expect, it } from 'vitest';
import { readLeadCsv } from '../../src/bulk/lead-csv.ts';
import { ErrorCodes } from '../../src/errors.ts';
import type { MarketoLeadField } from '../../src/marketo/types.ts';
import { leadSchema, toLeadRecord } from '../../src/schemas/lead.ts';

function chunks(text: string, chunk = 5): AsyncIterable<Buffer> {
  const buf = Buffer.from(text);
  return (async function* () {
    for (let at = 0; at < buf.length; at += chunk) yield buf.subarray(at, at + chunk);
  })();
}

const described = (name: string, dataType: string): MarketoLeadField =>
  ({ name, displayName: name, dataType, rest: { name, readOnly: false } }) as unknown as MarketoLeadField;

const FIELDS: [string, string][] = [
  ['email', 'email'],
  ['notes__c', 'text'],
  ['numberOfEmployees', 'integer'],
  ['annualRevenue', 'currency'],
  ['unsubscribed', 'boolean'],
  ['lastDemoDate__c', 'date'],
  ['updatedAt', 'datetime'],
];

describe('readLeadCsv', () => {
  it('reads leads as leads.json has them: id a number, text as written, empty values left out; the records convert alike', async () => {
    const header = ['id', ...FIELDS.map(([n]) => n)].join(',');
    const file = [
      header,
      '7,a@x.io,"Met at booth 3.\nAsked about ""pricing"", API & SSO.",250,12500.5,true,2026-02-01,2026-02-03T10:00:00Z',
      '8,null,null,null,null,false,null,2026-02-04T11:00:00Z',
      '',
    ].join('\n');
    const pages = [];
    for await (const page of readLeadCsv(chunks(file))) pages.push(page);
    expect(pages).toHaveLength(1);
    expect(pages[0]!.rejected).toEqual([]);
    expect(pages[0]!.rows).toEqual([
      {
        id: 7,
        email: 'a@x.io',
        notes__c: 'Met at booth 3.\nAsked about "pricing", API & SSO.',
        numberOfEmployees: '250',
        annualRevenue: '12500.5',
        unsubscribed: 'true',
        lastDemoDate__c: '2026-02-01',
        updatedAt: '2026-02-03T10:00:00Z',
      },
      { id: 8, unsubscribed: 'false', updatedAt: '2026-02-04T11:00:00Z' },
    ]);

    // The leads.json records of the same two leads give the same Avro values.
    const plan = leadSchema(
      FIELDS.map(([n, t]) => described(n, t)),
      FIELDS.map(([n]) => n),
    );
    const ctx = { instance: 'i', connection: 'c', pulledAt: 1 };
    const json = [
      {
        id: 7,
        email: 'a@x.io',
        notes__c: 'Met at booth 3.\nAsked about "pricing", API & SSO.',
        numberOfEmployees: 250,
        annualRevenue: 12500.5,
        unsubscribed: true,
        lastDemoDate__c: '2026-02-01',
        updatedAt: '2026-02-03T10:00:00Z',
      },
      { id: 8, unsubscribed: false, updatedAt: '2026-02-04T11:00:00Z' },
    ];
    expect(pages[0]!.rows.map((r) => toLeadRecord(r, plan.fields, ctx))).toEqual(
      json.map((r) => toLeadRecord(r, plan.fields, ctx)),
    );
  });

  it('rejects a row without an integer id, or with the wrong number of fields, and reads on', async () => {
    const file = ['id,email', 'x1,a@x.io', '2,b@x.io,extra', 'null,c@x.io', '3,d@x.io', ''].join('\n');
    const pages = [];
    for await (const page of readLeadCsv(chunks(file))) pages.push(page);
    expect(pages[0]!.rows).toEqual([{ id: 3, email: 'd@x.io' }]);
    expect(pages[0]!.rejected.map((r) => [r.row, r.error.code, r.error.message])).toEqual([
      [1, ErrorCodes.BULK_ROW_INVALID, 'bulk lead file, row 1: id is not an integer: "x1"'],
      [2, ErrorCodes.BULK_ROW_INVALID, 'bulk lead file, row 2: 3 fields where the header has 2'],
      [3, ErrorCodes.BULK_ROW_INVALID, 'bulk lead file, row 3: id is empty'],
    ]);
    expect(pages[0]!.rowsReached).toBe(4);
  });
});
