import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors.ts';
import {
  describeLeads2,
  getActivitiesPage,
  getActivityTypes,
  getAssetPage,
  getDeletedLeadsPage,
  getLeadChangesPage,
  getLeadsByIds,
  getPagingToken,
  type MarketoGetter,
} from '../../src/marketo/endpoints.ts';
import type { MarketoResponse } from '../../src/marketo/types.ts';
import type { Query } from '../../src/marketo/url.ts';

/** A client double that records calls and answers with canned responses. */
function fakeClient(answer: (path: string) => Partial<MarketoResponse<unknown>> = () => ({})) {
  const calls: { path: string; query?: Query }[] = [];
  const client: MarketoGetter = {
    get: (async (path: string, query?: Query) => {
      calls.push({ path, query });
      return { result: [], warnings: [], raw: {}, ...answer(path) };
    }) as MarketoGetter['get'],
  };
  return { client, calls };
}

describe('endpoint helpers', () => {
  it('getActivityTypes returns the result', async () => {
    const { client, calls } = fakeClient(() => ({ result: [{ id: 1, name: 'Visit Webpage' }] }));
    expect(await getActivityTypes(client)).toEqual([{ id: 1, name: 'Visit Webpage' }]);
    expect(calls).toEqual([{ path: '/rest/v1/activities/types.json', query: undefined }]);
  });

  it('getPagingToken sends sinceDatetime in UTC without milliseconds and returns the token', async () => {
    const { client, calls } = fakeClient(() => ({ nextPageToken: 'TOKEN' }));
    expect(await getPagingToken(client, '2026-01-01T06:00:00.000-0600')).toBe('TOKEN');
    expect(calls[0]).toEqual({
      path: '/rest/v1/activities/pagingtoken.json',
      query: { sinceDatetime: '2026-01-01T12:00:00Z' },
    });
    const none = fakeClient();
    await expect(getPagingToken(none.client, 0)).rejects.toMatchObject({ code: ErrorCodes.MALFORMED_RESPONSE });
  });

  it('getActivitiesPage enforces Marketo limits', async () => {
    const { client, calls } = fakeClient();
    await getActivitiesPage(client, { nextPageToken: 'T', activityTypeIds: [1, 6, 7] });
    expect(calls[0]).toEqual({
      path: '/rest/v1/activities.json',
      query: { nextPageToken: 'T', activityTypeIds: '1,6,7', batchSize: 300 },
    });
    const eleven = Array.from({ length: 11 }, (_, i) => i + 1);
    expect(() => getActivitiesPage(client, { nextPageToken: 'T', activityTypeIds: eleven })).toThrow(/activityTypeIds/);
    expect(() => getActivitiesPage(client, { nextPageToken: 'T', activityTypeIds: [] })).toThrow(/activityTypeIds/);
  });

  it('getLeadsByIds filters by id with the chosen fields', async () => {
    const { client, calls } = fakeClient();
    await getLeadsByIds(client, [1, 2], ['email', 'myField__c']);
    expect(calls[0]).toEqual({
      path: '/rest/v1/leads.json',
      query: { filterType: 'id', filterValues: '1,2', fields: 'email,myField__c', batchSize: 300 },
    });
    expect(() =>
      getLeadsByIds(
        client,
        Array.from({ length: 301 }, (_, i) => i),
        ['email'],
      ),
    ).toThrow(/ids/);
    expect(() => getLeadsByIds(client, [1], [])).toThrow(/fields/);
  });

  it('describeLeads2, deleted leads and lead changes', async () => {
    const { client, calls } = fakeClient((path) =>
      path.endsWith('describe2.json')
        ? { result: [{ name: 'API Lead', fields: [{ name: 'email', dataType: 'email' }] }] }
        : {},
    );
    expect((await describeLeads2(client))[0]!.fields[0]!.name).toBe('email');
    await getDeletedLeadsPage(client, { nextPageToken: 'D' });
    await getLeadChangesPage(client, { nextPageToken: 'C', fields: ['email', 'score'] });
    expect(calls.slice(1)).toEqual([
      { path: '/rest/v1/activities/deletedleads.json', query: { nextPageToken: 'D', batchSize: 300 } },
      {
        path: '/rest/v1/activities/leadchanges.json',
        query: { nextPageToken: 'C', fields: 'email,score', batchSize: 300 },
      },
    ]);
  });

  it('getAssetPage pages by offset within an updatedAt window and says when it is done', async () => {
    let n = 200;
    const { client, calls } = fakeClient(() => ({ result: Array.from({ length: n }, (_, i) => ({ id: i })) }));
    const full = await getAssetPage(client, 'programs', {
      offset: 0,
      earliestUpdatedAt: '2026-01-01T00:00:00.000Z',
      latestUpdatedAt: Date.parse('2026-02-01T00:00:00Z'),
    });
    expect(full.done).toBe(false);
    expect(calls[0]).toEqual({
      path: '/rest/asset/v1/programs.json',
      query: {
        offset: 0,
        maxReturn: 200,
        earliestUpdatedAt: '2026-01-01T00:00:00Z',
        latestUpdatedAt: '2026-02-01T00:00:00Z',
      },
    });
    n = 0;
    const end = await getAssetPage(client, 'smartCampaigns', {
      offset: 200,
      earliestUpdatedAt: '2026-01-01T00:00:00Z',
      latestUpdatedAt: '2026-02-01T00:00:00Z',
    });
    expect(end.done).toBe(true);
    expect(calls[1]!.path).toBe('/rest/asset/v1/smartCampaigns.json');
    await expect(
      getAssetPage(client, 'programs', {
        offset: 0,
        earliestUpdatedAt: '2026-02-01T00:00:00Z',
        latestUpdatedAt: '2026-01-01T00:00:00Z',
      }),
    ).rejects.toThrow(/earliestUpdatedAt/);
    await expect(
      getAssetPage(client, 'programs', { offset: 0, maxReturn: 201, earliestUpdatedAt: 0, latestUpdatedAt: 1000 }),
    ).rejects.toThrow(/maxReturn/);
  });
});
