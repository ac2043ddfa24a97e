/** The Marketo REST client, its endpoint helpers and wire types. */
export { MarketoClient, type RawResponse } from './client.ts';
export { formatMarketoDate, parseMarketoDate } from './dates.ts';
export {
  type AssetKind,
  describeLeads2,
  getActivitiesPage,
  getActivityTypes,
  getAssetPage,
  getDailyUsage,
  getDeletedLeadsPage,
  getLeadChangesPage,
  getLeadsByIds,
  getPagingToken,
  LIMITS,
} from './endpoints.ts';
export type { MarketoActivity, MarketoDeletedLead, MarketoLead, MarketoLeadField, MarketoResponse } from './types.ts';
