/**
 * The smart campaign record published to `<prefix>.campaigns` (compacted, key
 * `<instance>:<campaignId>`): one campaign from `asset/v1/smartCampaigns.json`.
 */
import { CONNECTOR_NAME, sourceSchema } from './activity.ts';
import {
  type AssetContext,
  assetDate,
  optBool,
  optInt,
  optionalField,
  optString,
  TIMESTAMP_MILLIS,
} from './asset-fields.ts';

/** Avro schema of a smart campaign (registered under `<campaigns topic>-value`). */
export const campaignSchema = {
  type: 'record',
  name: 'SmartCampaign',
  namespace: 'io.marketostream',
  doc: 'A Marketo smart campaign (GET /rest/asset/v1/smartCampaigns.json).',
  fields: [
    { name: 'id', type: 'long', doc: 'Smart campaign id (also in the record key).' },
    { name: 'name', type: 'string', doc: 'Campaign name.' },
    optionalField('description', 'string', 'Description; null when absent.'),
    { name: 'createdAt', type: TIMESTAMP_MILLIS, doc: 'Creation time (UTC; Marketo writes `…Z+0000`).' },
    { name: 'updatedAt', type: TIMESTAMP_MILLIS, doc: 'Last update (UTC); the incremental cursor field.' },
    optionalField('status', 'string', 'Active, Inactive, Never Run, …'),
    optionalField('type', 'string', 'batch, trigger or default.'),
    optionalField('isSystem', 'boolean', 'Created by Marketo itself.'),
    optionalField('isActive', 'boolean', 'Trigger campaign is active / batch is scheduled.'),
    optionalField('isRequestable', 'boolean', 'Can be requested via the API (Campaign is Requested trigger).'),
    optionalField('isCommunicationLimitEnabled', 'boolean', 'Communication limits apply.'),
    optionalField('recurrence', 'string', 'Recurrence settings as their JSON text; null when absent.'),
    optionalField('qualificationRuleType', 'string', 'once, any, interval.'),
    optionalField('workspace', 'string', 'Workspace name.'),
    optionalField('smartListId', 'long', 'Id of its smart list.'),
    optionalField('flowId', 'long', 'Id of its flow.'),
    optionalField('parentProgramId', 'long', 'Program the campaign belongs to; null when in a folder.'),
    {
      name: 'folder',
      type: [
        'null',
        {
          type: 'record',
          name: 'CampaignFolder',
          fields: [
            { name: 'type', type: ['null', 'string'], default: null, doc: 'Folder or Program.' },
            { name: 'id', type: ['null', 'long'], default: null, doc: 'Id of the folder or program.' },
          ],
        },
      ],
      default: null,
      doc: 'Parent folder or program; null when absent.',
    },
    optionalField('computedUrl', 'string', 'Link to the campaign in the Marketo UI.'),
    { name: 'source', type: sourceSchema, doc: 'Where and when the record was pulled.' },
  ],
} as const;

/**
 * Maps a smartCampaigns.json record to {@link campaignSchema}'s value. Throws when id, name or a
 * date is missing or malformed (the runner dead-letters the record).
 */
export function toCampaignRecord(raw: Record<string, unknown>, ctx: AssetContext): Record<string, unknown> {
  const id = optInt(raw.id);
  if (id === null || typeof raw.name !== 'string') throw new TypeError('smart campaign without a numeric id or a name');
  const folder = raw.folder && typeof raw.folder === 'object' ? (raw.folder as Record<string, unknown>) : undefined;
  return {
    id,
    name: raw.name,
    description: optString(raw.description),
    createdAt: assetDate('createdAt', raw.createdAt),
    updatedAt: assetDate('updatedAt', raw.updatedAt),
    status: optString(raw.status),
    type: optString(raw.type),
    isSystem: optBool(raw.isSystem),
    isActive: optBool(raw.isActive),
    isRequestable: optBool(raw.isRequestable),
    isCommunicationLimitEnabled: optBool(raw.isCommunicationLimitEnabled),
    recurrence: optString(raw.recurrence),
    qualificationRuleType: optString(raw.qualificationRuleType),
    workspace: optString(raw.workspace),
    smartListId: optInt(raw.smartListId),
    flowId: optInt(raw.flowId),
    parentProgramId: optInt(raw.parentProgramId),
    folder: folder ? { type: optString(folder.type), id: optInt(folder.id ?? folder.value) } : null,
    computedUrl: optString(raw.computedUrl),
    source: { connector: CONNECTOR_NAME, instance: ctx.instance, connection: ctx.connection, pulledAt: ctx.pulledAt },
  };
}
