import { describe, expect, it } from 'vitest';
import { buildWireRequest, encodeQuery, MAX_URL_BYTES } from '../../src/marketo/url.ts';

const BASE = 'https://123-abc-456.mktorest.com';

describe('encodeQuery', () => {
  it('joins arrays with commas, skips undefined, encodes values', () => {
    expect(encodeQuery({ a: [1, 2, 3], b: undefined, c: 'x y&z', d: true, e: 0 })).toBe(
      'a=1%2C2%2C3&c=x+y%26z&d=true&e=0',
    );
    expect(encodeQuery(undefined)).toBe('');
  });
});

describe('buildWireRequest', () => {
  it('keeps a short GET as a GET with its query string', () => {
    expect(
      buildWireRequest(BASE, 'GET', '/rest/v1/leads.json', { filterType: 'id', filterValues: [1, 2] }, undefined),
    ).toEqual({
      method: 'GET',
      url: `${BASE}/rest/v1/leads.json?filterType=id&filterValues=1%2C2`,
      tunnelled: false,
    });
  });

  it('turns a GET over 8 KB into POST _method=GET with a form body', () => {
    const ids = Array.from({ length: 300 }, (_, i) => 1_000_000 + i);
    const fields = Array.from({ length: 300 }, (_, i) => `customField${i}__c`);
    const query = { filterType: 'id', filterValues: ids, fields };
    const wire = buildWireRequest(BASE, 'GET', '/rest/v1/leads.json', query, undefined);
    expect(wire.method).toBe('POST');
    expect(wire.url).toBe(`${BASE}/rest/v1/leads.json`);
    expect(wire.contentType).toBe('application/x-www-form-urlencoded');
    expect(wire.tunnelled).toBe(true);
    expect(wire.body).toBe(`_method=GET&${encodeQuery(query)}`);
    expect(new URLSearchParams(wire.body).get('fields')).toBe(fields.join(','));
  });

  it('stays a GET at exactly 8 KB and tunnels one byte later', () => {
    const prefix = `${BASE}/rest/v1/x.json?q=`;
    const fits = 'a'.repeat(MAX_URL_BYTES - prefix.length);
    expect(buildWireRequest(BASE, 'GET', '/rest/v1/x.json', { q: fits }, undefined).method).toBe('GET');
    expect(buildWireRequest(BASE, 'GET', '/rest/v1/x.json', { q: `${fits}a` }, undefined).method).toBe('POST');
  });

  it('tunnels on demand (after a 414) and sends POST bodies as JSON', () => {
    expect(buildWireRequest(BASE, 'GET', '/rest/v1/x.json', { a: 1 }, undefined, true)).toMatchObject({
      method: 'POST',
      body: '_method=GET&a=1',
    });
    expect(
      buildWireRequest(BASE, 'POST', '/bulk/v1/activities/export/create.json', undefined, { format: 'CSV' }),
    ).toEqual({
      method: 'POST',
      url: `${BASE}/bulk/v1/activities/export/create.json`,
      body: '{"format":"CSV"}',
      contentType: 'application/json',
      tunnelled: false,
    });
  });
});
