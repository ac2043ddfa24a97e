import { ErrorCodes, MarketoStreamError } from '../errors.ts';
import type { MarketoClient } from './client.ts';
import { formatMarketoDate } from './dates.ts';
import type {
  MarketoActivity,
  MarketoActivityType,
  MarketoDeletedLead,
  MarketoLead,
  MarketoLeadChange,
  MarketoLeadDescription,
  MarketoProgram,
  MarketoResponse,
  MarketoSmartCampaign,
  MarketoUsage,
} from './types.ts';

/**
 * The client surface the helpers need (a MarketoClient, or a test double). Every helper takes an
 * optional AbortSignal, last or (for the page helpers) as `params.signal`.
 */
export type MarketoGetter = Pick<MarketoClient, 'get'>;

/** Marketo's limits on one call (shared/marketo-api.md). */
export const LIMITS = Object.freeze({
  /** Max `batchSize` of lead-database endpoints. */
  batchSize: 300,
  /** Max activity type ids per activities.json call. */
  activityTypeIds: 10,
  /** Max ids per leads.json call. */
  leadIds: 300,
  /** Max `maxReturn` of asset endpoints. */
  maxReturn: 200,
});

function check(ok: boolean, field: string, message: string): void {
  if (!ok) throw new MarketoStreamError(ErrorCodes.CONFIG_INVALID, `${field} ${message}`, { field });
}

function checkCount(items: readonly unknown[], max: number, field: string): void {
  check(items.length >= 1 && items.length <= max, field, `must hold 1 to ${max} entries, got ${items.length}`);
}

/** Marketo's own count of the instance's calls (`stats/usage.json`; Marketo counts this call too). */
export async function getDailyUsage(client: MarketoGetter, signal?: AbortSignal): Promise<MarketoUsage[]> {
  return (await client.get<MarketoUsage>('/rest/v1/stats/usage.json', undefined, signal)).result;
}

/** All activity types (`activities/types.json`, one unpaged call). */
export async function getActivityTypes(client: MarketoGetter, signal?: AbortSignal): Promise<MarketoActivityType[]> {
  return (await client.get<MarketoActivityType>('/rest/v1/activities/types.json', undefined, signal)).result;
}

/**
 * A paging token positioned at `since` (`activities/pagingtoken.json`; costs one call). `since` is
 * an ISO instant or epoch ms; it is sent in UTC without milliseconds.
 */
export async function getPagingToken(
  client: MarketoGetter,
  since: string | number,
  signal?: AbortSignal,
): Promise<string> {
  const res = await client.get(
    '/rest/v1/activities/pagingtoken.json',
    { sinceDatetime: formatMarketoDate(since) },
    signal,
  );
  if (!res.nextPageToken) {
    throw new MarketoStreamError(
      ErrorCodes.MALFORMED_RESPONSE,
      'activities/pagingtoken.json answered without a nextPageToken',
      {
        retriable: true,
        requestId: res.requestId,
      },
    );
  }
  return res.nextPageToken;
}

/**
 * One page of `activities.json`. A page may be empty while `moreResult` is true; keep paging with
 * the returned `nextPageToken` until `moreResult` is false. At most 10 type ids.
 */
export function getActivitiesPage(
  client: MarketoGetter,
  params: {
    nextPageToken: string;
    activityTypeIds: readonly number[];
    signal?: AbortSignal;
  },
): Promise<MarketoResponse<MarketoActivity>> {
  checkCount(params.activityTypeIds, LIMITS.activityTypeIds, 'activityTypeIds');
  return client.get<MarketoActivity>(
    '/rest/v1/activities.json',
    {
      nextPageToken: params.nextPageToken,
      activityTypeIds: params.activityTypeIds.join(','),
      batchSize: LIMITS.batchSize,
    },
    params.signal,
  );
}

/**
 * Leads by id (`leads.json?filterType=id`, ≤ 300 ids) with the given REST field names. Fields whose
 * value is null are absent from the records. Long field lists go out in the `_method=GET` form.
 */
export function getLeadsByIds(
  client: MarketoGetter,
  ids: readonly number[],
  fields: readonly string[],
  signal?: AbortSignal,
): Promise<MarketoResponse<MarketoLead>> {
  checkCount(ids, LIMITS.leadIds, 'ids');
  check(fields.length > 0, 'fields', 'must not be empty');
  return client.get<MarketoLead>(
    '/rest/v1/leads.json',
    { filterType: 'id', filterValues: ids.join(','), fields: fields.join(','), batchSize: LIMITS.batchSize },
    signal,
  );
}

/** The lead schema (`leads/describe2.json`): result[0].fields lists every field with its REST name. */
export async function describeLeads2(client: MarketoGetter, signal?: AbortSignal): Promise<MarketoLeadDescription[]> {
  return (await client.get<MarketoLeadDescription>('/rest/v1/leads/describe2.json', undefined, signal)).result;
}

/** One page of `activities/deletedleads.json` (type 37 records; older than 14 days may be pruned). */
export function getDeletedLeadsPage(
  client: MarketoGetter,
  params: { nextPageToken: string; signal?: AbortSignal },
): Promise<MarketoResponse<MarketoDeletedLead>> {
  return client.get<MarketoDeletedLead>(
    '/rest/v1/activities/deletedleads.json',
    { nextPageToken: params.nextPageToken, batchSize: LIMITS.batchSize },
    params.signal,
  );
}

/** One page of `activities/leadchanges.json` (types 12 and 13) for the given fields. */
export function getLeadChangesPage(
  client: MarketoGetter,
  params: { nextPageToken: string; fields: readonly string[]; signal?: AbortSignal },
): Promise<MarketoResponse<MarketoLeadChange>> {
  check(params.fields.length > 0, 'fields', 'must not be empty');
  return client.get<MarketoLeadChange>(
    '/rest/v1/activities/leadchanges.json',
    {
      nextPageToken: params.nextPageToken,
      fields: params.fields.join(','),
      batchSize: LIMITS.batchSize,
    },
    params.signal,
  );
}

/** The asset collections paged by offset. */
export type AssetKind = 'programs' | 'smartCampaigns';

/** A page of an asset collection; `done` when it held fewer than `maxReturn` records (or none). */
export type AssetPage<T> = MarketoResponse<T> & { done: boolean };

/**
 * One page of `asset/v1/{programs|smartCampaigns}.json` updated within [earliestUpdatedAt,
 * latestUpdatedAt] (sent in UTC without milliseconds). Page with `offset += maxReturn` until `done`;
 * the end shows up as a "No assets found" warning with no `result`.
 */
export async function getAssetPage<K extends AssetKind>(
  client: MarketoGetter,
  kind: K,
  params: {
    offset: number;
    maxReturn?: number;
    earliestUpdatedAt: string | number;
    latestUpdatedAt: string | number;
    signal?: AbortSignal;
  },
): Promise<AssetPage<K extends 'programs' ? MarketoProgram : MarketoSmartCampaign>> {
  const maxReturn = params.maxReturn ?? LIMITS.maxReturn;
  check(maxReturn >= 1 && maxReturn <= LIMITS.maxReturn, 'maxReturn', `must be 1 to ${LIMITS.maxReturn}`);
  check(Number.isInteger(params.offset) && params.offset >= 0, 'offset', 'must be a non-negative integer');
  const earliest = formatMarketoDate(params.earliestUpdatedAt);
  const latest = formatMarketoDate(params.latestUpdatedAt);
  check(earliest < latest, 'earliestUpdatedAt', `must precede latestUpdatedAt (${earliest} vs ${latest})`);
  const res = await client.get<K extends 'programs' ? MarketoProgram : MarketoSmartCampaign>(
    `/rest/asset/v1/${kind}.json`,
    { offset: params.offset, maxReturn, earliestUpdatedAt: earliest, latestUpdatedAt: latest },
    params.signal,
  );
  return { ...res, done: res.result.length < maxReturn };
}
