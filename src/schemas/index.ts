/** The records' Avro schemas and values, their keys and CloudEvents headers, and the schema registry. */
export { activitySchema, toActivityRecord } from './activity.ts';
export type { AssetContext } from './asset-fields.ts';
export { campaignSchema, toCampaignRecord } from './campaign.ts';
export {
  CE_ID,
  CE_SOURCE,
  CE_TIME,
  cloudEventHeaderFactory,
  cloudEventHeaders,
  cloudEventSource,
  EventTypes,
  STREAM_HEADER,
} from './headers.ts';
export { decodeRecordKey, recordKey } from './keys.ts';
export { convertLeadValue, type LeadSchemaPlan, leadSchema, toLeadRecord } from './lead.ts';
export { programSchema, toProgramRecord } from './program.ts';
export { SchemaCatalog } from './registry.ts';
export { registryClientOptions, registryCredentialsError } from './registry-client.ts';
