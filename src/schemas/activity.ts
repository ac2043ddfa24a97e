import { parseMarketoDate } from '../marketo/dates.ts';
/**
 * The activity record published to `<prefix>.activities`: one Marketo activity, flattened, with a
 * Debezium-style `source` block saying where and when it was pulled.
 */

/** A Marketo attribute value as Avro carries it: avsc's wrapped-union form (long and double are ambiguous in JS). */
export type AttributeValue = null | { boolean: boolean } | { long: number } | { double: number } | { string: string };

/** Where a record came from (Debezium's `source` block). */
export interface SourceInfo {
  /** Always `marketo-stream`. */
  connector: 'marketo-stream';
  /** The Marketo instance (Munchkin id), e.g. `123-ABC-456`. */
  instance: string;
  /** The connection (customer configuration) that pulled the record. */
  connection: string;
  /** When the record was pulled, epoch milliseconds. */
  pulledAt: number;
}

/** An activity, as encoded against {@link activitySchema}. */
export interface ActivityRecord {
  marketoGUID: string;
  id: number | null;
  leadId: number;
  /** Epoch milliseconds (Avro long, logical type timestamp-millis). */
  activityDate: number;
  activityTypeId: number;
  activityTypeName: string;
  campaignId: number | null;
  primaryAttributeValueId: number | null;
  primaryAttributeValue: string | null;
  attributes: Record<string, AttributeValue>;
  source: SourceInfo;
}

/** The connector name written into every `source` block. */
export const CONNECTOR_NAME = 'marketo-stream';

/** Avro schema of the `source` block, shared by every record type. */
export const sourceSchema = {
  type: 'record',
  name: 'Source',
  namespace: 'io.marketostream',
  doc: 'Where and when the record was pulled (Debezium-style source block).',
  fields: [
    { name: 'connector', type: 'string', doc: 'Always "marketo-stream".' },
    { name: 'instance', type: 'string', doc: 'Marketo instance (Munchkin id) the record belongs to.' },
    { name: 'connection', type: 'string', doc: 'Connection (customer configuration) that pulled the record.' },
    {
      name: 'pulledAt',
      type: { type: 'long', logicalType: 'timestamp-millis' },
      doc: 'When marketo-stream fetched the record from Marketo.',
    },
  ],
} as const;

/** Avro schema of an activity (registered under `<activities topic>-value`). */
export const activitySchema = {
  type: 'record',
  name: 'Activity',
  namespace: 'io.marketostream',
  doc: 'One Marketo activity (GET /rest/v1/activities.json), flattened.',
  fields: [
    { name: 'marketoGUID', type: 'string', doc: 'Marketo global activity id; unique, the identity of the record.' },
    {
      name: 'id',
      type: ['null', 'long'],
      default: null,
      doc: 'Legacy integer activity id; null when Marketo omits it.',
    },
    { name: 'leadId', type: 'long', doc: 'Lead the activity belongs to (also in the record key).' },
    {
      name: 'activityDate',
      type: { type: 'long', logicalType: 'timestamp-millis' },
      doc: 'When the activity happened (UTC).',
    },
    { name: 'activityTypeId', type: 'int', doc: 'Marketo activity type id.' },
    { name: 'activityTypeName', type: 'string', doc: 'Activity type name from activities/types.json.' },
    { name: 'campaignId', type: ['null', 'long'], default: null, doc: 'Smart campaign that caused it; may be null.' },
    {
      name: 'primaryAttributeValueId',
      type: ['null', 'long'],
      default: null,
      doc: 'Id of the primary attribute value (e.g. the program or email id); may be null.',
    },
    {
      name: 'primaryAttributeValue',
      type: ['null', 'string'],
      default: null,
      doc: 'Primary attribute value (e.g. the email name); may be null.',
    },
    {
      name: 'attributes',
      type: { type: 'map', values: ['null', 'boolean', 'long', 'double', 'string'] },
      default: {},
      doc:
        'Secondary attributes by name. Integers are long, other numbers double, booleans boolean, strings string, ' +
        'JSON null null; objects and arrays are carried as their JSON text in string.',
    },
    { name: 'source', type: sourceSchema, doc: 'Where and when the record was pulled.' },
  ],
} as const;

/** An activity as Marketo returns it (only the fields this schema reads). */
export interface RawActivity {
  id?: number | null;
  marketoGUID: string;
  leadId: number;
  /** ISO 8601, e.g. `2024-01-02T03:04:05Z`, `…+0000`, or Marketo's odd `…Z+0000`. */
  activityDate: string;
  activityTypeId: number;
  campaignId?: number | null;
  primaryAttributeValueId?: number | null;
  primaryAttributeValue?: string | null;
  attributes?: { name: string; value: unknown }[] | null;
}

/** What the caller knows about the pull that produced the activity. */
export interface ActivityContext {
  /** Activity type name (from activities/types.json). */
  typeName: string;
  instance: string;
  connection: string;
  /** Epoch milliseconds. */
  pulledAt: number;
}

/**
 * Maps a raw Marketo activity to an {@link ActivityRecord}: the date becomes epoch ms, absent
 * optionals become null, attributes become a map (a repeated name keeps its last value).
 * Throws (so the record is dead-lettered) when `activityDate` is not a date, `marketoGUID` is not a
 * non-empty string, or `attributes` is not a list of named values.
 */
export function toActivityRecord(raw: RawActivity, ctx: ActivityContext): ActivityRecord {
  // Without an identity the record could be neither de-duplicated nor told apart downstream.
  const guid: unknown = raw.marketoGUID;
  if ((typeof guid !== 'string' && typeof guid !== 'number') || guid === '') {
    throw new TypeError(`marketoGUID is not a string: ${JSON.stringify(guid) ?? 'absent'}`);
  }
  if (raw.attributes != null && !Array.isArray(raw.attributes)) throw new TypeError('attributes is not a list');
  const attributes: Record<string, AttributeValue> = {};
  for (const attr of raw.attributes ?? []) {
    if (typeof attr?.name !== 'string') throw new TypeError(`an attribute without a name: ${JSON.stringify(attr)}`);
    attributes[attr.name] = toAttributeValue(attr.value);
  }
  if (raw.activityDate == null) throw new RangeError('activityDate is absent');
  return {
    marketoGUID: String(guid),
    id: raw.id ?? null,
    leadId: raw.leadId,
    activityDate: typeof raw.activityDate === 'number' ? raw.activityDate : parseMarketoDate(raw.activityDate),
    activityTypeId: raw.activityTypeId,
    activityTypeName: ctx.typeName,
    campaignId: raw.campaignId ?? null,
    primaryAttributeValueId: raw.primaryAttributeValueId ?? null,
    primaryAttributeValue: raw.primaryAttributeValue ?? null,
    attributes,
    source: { connector: CONNECTOR_NAME, instance: ctx.instance, connection: ctx.connection, pulledAt: ctx.pulledAt },
  };
}

/**
 * Converts one JSON attribute value losslessly: integers → long, other numbers → double,
 * objects/arrays → their JSON text.
 */
export function toAttributeValue(value: unknown): AttributeValue {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'boolean':
      return { boolean: value };
    case 'number':
      // Integers beyond 2^53 have already lost precision in JSON.parse; keep them as double so
      // avsc does not reject them as longs.
      return Number.isSafeInteger(value) ? { long: value } : { double: value };
    case 'string':
      return { string: value };
    default:
      return { string: JSON.stringify(value) };
  }
}
