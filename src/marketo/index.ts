/** The Marketo REST client, its endpoint helpers and wire types. */
export {
  endpointName,
  MarketoClient,
  type MarketoClientOptions,
  type RawResponse,
  type RequestOptions,
} from './client.ts';
export { formatMarketoDate, parseMarketoDate } from './dates.ts';
export {
  type AssetKind,
  type AssetPage,
  describeLeads2,
  getActivitiesPage,
  getActivityTypes,
  getAssetPage,
  getDeletedLeadsPage,
  getLeadChangesPage,
  getLeadsByIds,
  getPagingToken,
  LIMITS,
  type MarketoGetter,
} from './endpoints.ts';
export type { RetryPolicy } from './retry.ts';
export type {
  MarketoActivity,
  MarketoActivityAttribute,
  MarketoActivityType,
  MarketoDeletedLead,
  MarketoErrorEntry,
  MarketoFolder,
  MarketoLead,
  MarketoLeadChange,
  MarketoLeadDescription,
  MarketoLeadField,
  MarketoProgram,
  MarketoResponse,
  MarketoSmartCampaign,
  MarketoUsage,
  QuotaGate,
  QuotaReservation,
} from './types.ts';
export type { Query } from './url.ts';
