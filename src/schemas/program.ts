/**
 * The program record published to `<prefix>.programs` (compacted, key `<instance>:<programId>`):
 * one Marketo program from `asset/v1/programs.json`, dates normalised to epoch milliseconds.
 */
import { CONNECTOR_NAME, sourceSchema } from './activity.ts';
import {
  type AssetContext,
  assetDate,
  optBool,
  optInt,
  optionalField,
  optNumber,
  optString,
  TIMESTAMP_MILLIS,
} from './asset-fields.ts';

/** Avro schema of a program (registered under `<programs topic>-value`). */
export const programSchema = {
  type: 'record',
  name: 'Program',
  namespace: 'io.marketostream',
  doc: 'A Marketo program (GET /rest/asset/v1/programs.json).',
  fields: [
    { name: 'id', type: 'long', doc: 'Program id (also in the record key).' },
    { name: 'name', type: 'string', doc: 'Program name.' },
    optionalField('description', 'string', 'Description; null when absent.'),
    { name: 'createdAt', type: TIMESTAMP_MILLIS, doc: 'Creation time (UTC; Marketo writes `…Z+0000`).' },
    { name: 'updatedAt', type: TIMESTAMP_MILLIS, doc: 'Last update (UTC); the incremental cursor field.' },
    optionalField('url', 'string', 'Link to the program in the Marketo UI.'),
    optionalField('type', 'string', 'program, event, email, engagement, …'),
    optionalField('channel', 'string', 'Channel, e.g. Webinar.'),
    {
      name: 'folder',
      type: [
        'null',
        {
          type: 'record',
          name: 'ProgramFolder',
          fields: [
            { name: 'type', type: ['null', 'string'], default: null, doc: 'Folder or Program.' },
            { name: 'value', type: ['null', 'long'], default: null, doc: 'Id of the folder.' },
            { name: 'folderName', type: ['null', 'string'], default: null, doc: 'Name of the folder.' },
          ],
        },
      ],
      default: null,
      doc: 'Parent folder; null when absent.',
    },
    optionalField('status', 'string', 'Program status (on/off for engagement, locked/unlocked for email, else empty).'),
    optionalField('workspace', 'string', 'Workspace name.'),
    { name: 'headStart', type: ['null', 'boolean'], default: null, doc: 'Head-start enabled (event programs).' },
    optionalField('sfdcId', 'string', 'Salesforce campaign id; null when not synced.'),
    optionalField('sfdcName', 'string', 'Salesforce campaign name; null when not synced.'),
    {
      name: 'tags',
      type: {
        type: 'array',
        items: {
          type: 'record',
          name: 'ProgramTag',
          fields: [
            { name: 'tagType', type: 'string' },
            { name: 'tagValue', type: ['null', 'string'], default: null },
          ],
        },
      },
      default: [],
      doc: 'Program tags (empty when none).',
    },
    {
      name: 'costs',
      type: {
        type: 'array',
        items: {
          type: 'record',
          name: 'ProgramCost',
          fields: [
            { name: 'startDate', type: ['null', 'string'], default: null, doc: 'Period start as Marketo writes it.' },
            { name: 'cost', type: ['null', 'double'], default: null },
            { name: 'note', type: ['null', 'string'], default: null },
          ],
        },
      },
      default: [],
      doc: 'Period costs (empty when none).',
    },
    { name: 'source', type: sourceSchema, doc: 'Where and when the record was pulled.' },
  ],
} as const;

/**
 * Maps a programs.json record to {@link programSchema}'s value. Throws when id, name or a date is
 * missing or malformed (the runner dead-letters the record).
 */
export function toProgramRecord(raw: Record<string, unknown>, ctx: AssetContext): Record<string, unknown> {
  const id = optInt(raw.id);
  if (id === null || typeof raw.name !== 'string') throw new TypeError('program without a numeric id or a name');
  const folder = raw.folder && typeof raw.folder === 'object' ? (raw.folder as Record<string, unknown>) : undefined;
  const list = (v: unknown) => (Array.isArray(v) ? (v as Record<string, unknown>[]) : []);
  return {
    id,
    name: raw.name,
    description: optString(raw.description),
    createdAt: assetDate('createdAt', raw.createdAt),
    updatedAt: assetDate('updatedAt', raw.updatedAt),
    url: optString(raw.url),
    type: optString(raw.type),
    channel: optString(raw.channel),
    folder: folder
      ? {
          type: optString(folder.type),
          value: optInt(folder.value ?? folder.id),
          folderName: optString(folder.folderName),
        }
      : null,
    status: optString(raw.status),
    workspace: optString(raw.workspace),
    headStart: optBool(raw.headStart),
    sfdcId: optString(raw.sfdcId),
    sfdcName: optString(raw.sfdcName),
    tags: list(raw.tags).map((t) => ({ tagType: String(t.tagType ?? ''), tagValue: optString(t.tagValue) })),
    costs: list(raw.costs).map((c) => ({
      startDate: optString(c.startDate),
      cost: optNumber(c.cost),
      note: optString(c.note),
    })),
    source: { connector: CONNECTOR_NAME, instance: ctx.instance, connection: ctx.connection, pulledAt: ctx.pulledAt },
  };
}
