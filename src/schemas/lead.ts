/**
 * The lead record published to `<prefix>.leads`: the lead id, the fields the customer configured
 * (typed from `leads/describe2.json`), and the `source` block. The schema is generated per
 * connection; every configured field is nullable with default null, so adding or removing a
 * field yields a BACKWARD-compatible version.
 */
import { ErrorCodes, MarketoStreamError } from '../errors.ts';
import { parseMarketoDate } from '../marketo/dates.ts';
import type { MarketoLeadField } from '../marketo/types.ts';
import { CONNECTOR_NAME, type SourceInfo, sourceSchema } from './activity.ts';

/** The Avro type of a lead field value (without the null branch). */
export type LeadFieldType =
  | 'string'
  | 'long'
  | 'double'
  | 'boolean'
  | { type: 'int'; logicalType: 'date' }
  | { type: 'long'; logicalType: 'timestamp-millis' };

/** How a value is converted for one Avro field type. */
export type LeadValueKind = 'string' | 'long' | 'double' | 'boolean' | 'date' | 'timestamp';

const DATE: LeadFieldType = { type: 'int', logicalType: 'date' };
const TIMESTAMP: LeadFieldType = { type: 'long', logicalType: 'timestamp-millis' };

/**
 * The Avro type of a Marketo data type: string, text, email, phone, url, reference and anything
 * unknown → string; integer, score → long; float, currency, percent → double; boolean; date →
 * `date` (days since the epoch); datetime → `timestamp-millis`.
 */
export function leadAvroType(dataType: string): LeadFieldType {
  switch (dataType.toLowerCase()) {
    case 'integer':
    case 'score':
      // long, not int: a widening later would otherwise be needed for large ids and counters.
      return 'long';
    case 'float':
    case 'currency':
    case 'percent':
      return 'double';
    case 'boolean':
      return 'boolean';
    case 'date':
      return DATE;
    case 'datetime':
      return TIMESTAMP;
    default:
      return 'string';
  }
}

/** The conversion kind of an Avro field type (with or without its null branch). */
export function valueKindOf(type: unknown): LeadValueKind | undefined {
  const t = Array.isArray(type) ? type.find((b) => b !== 'null') : type;
  if (t === 'string' || t === 'long' || t === 'double' || t === 'boolean') return t;
  if (t && typeof t === 'object') {
    const { type: base, logicalType } = t as { type?: unknown; logicalType?: unknown };
    if (base === 'int' && logicalType === 'date') return 'date';
    if (base === 'long' && logicalType === 'timestamp-millis') return 'timestamp';
    if (base === 'long' || base === 'int') return 'long';
    if (base === 'double' || base === 'float') return 'double';
    if (base === 'string' || base === 'boolean') return base;
  }
  if (t === 'int') return 'long';
  if (t === 'float') return 'double';
  return undefined;
}

const KIND_TYPES: Record<LeadValueKind, LeadFieldType> = {
  string: 'string',
  long: 'long',
  double: 'double',
  boolean: 'boolean',
  date: DATE,
  timestamp: TIMESTAMP,
};

/** One configured field in the generated schema. */
export interface LeadFieldPlan {
  /** Marketo REST name (the key in leads.json). */
  restName: string;
  /** Avro field name (the REST name, sanitised when it is not a valid Avro name). */
  avroName: string;
  /** Marketo data type from describe2. */
  dataType: string;
  /** How values are converted (follows the registered type when that was kept). */
  kind: LeadValueKind;
}

/** A configured field whose Marketo type no longer matches the type already registered for it. */
export interface LeadTypeConflict {
  field: string;
  dataType: string;
  registered: LeadValueKind;
  wanted: LeadValueKind;
  /** What the generated schema does about it. */
  resolution: string;
}

/** The generated lead schema and how to fill it. */
export interface LeadSchemaPlan {
  schema: object;
  fields: LeadFieldPlan[];
  conflicts: LeadTypeConflict[];
}

/** Names the schema uses itself; a lead field with such a name gets a trailing underscore. */
const RESERVED = new Set(['id', 'source']);

/** A valid Avro name for a Marketo REST name: invalid characters become `_`, a leading digit gets `_`. */
export function avroFieldName(restName: string): string {
  let name = restName.replace(/[^A-Za-z0-9_]/g, '_');
  if (!/^[A-Za-z_]/.test(name)) name = `_${name}`;
  return name;
}

/**
 * Avro promotions a BACKWARD reader accepts: a registered kind that the wanted kind can read, so
 * the wanted type can replace it (long → double).
 */
function promotes(registered: LeadValueKind, wanted: LeadValueKind): boolean {
  return registered === 'long' && wanted === 'double';
}

/**
 * Generates the lead schema (record `io.marketostream.Lead`) for the `configured` REST names,
 * typed from `described` (describe2's fields; every configured name must be among them). `id`
 * is always the first field (long, required: it is the key). `previous` is the lead schema
 * registered last, if any: a field whose Marketo type changed keeps its registered type unless
 * the new one is a legal Avro promotion of it (long → double), so the new version stays
 * BACKWARD compatible; such fields are listed in `conflicts` and their values are coerced to the
 * registered type (a value that cannot be is an encoding error: the lead goes to the dead-letter
 * topic naming the field).
 */
export function leadSchema(
  described: readonly MarketoLeadField[],
  configured: readonly string[],
  previous?: object,
): LeadSchemaPlan {
  const byName = new Map(described.map((f) => [f.name, f]));
  const registered = new Map<string, LeadValueKind>();
  for (const f of (previous as { fields?: { name: string; type: unknown }[] } | undefined)?.fields ?? []) {
    const kind = valueKindOf(f.type);
    if (kind) registered.set(f.name, kind);
  }
  const fields: LeadFieldPlan[] = [];
  const conflicts: LeadTypeConflict[] = [];
  const used = new Set(RESERVED);
  const avroFields: object[] = [{ name: 'id', type: 'long', doc: 'Marketo lead id (also in the record key).' }];
  for (const restName of new Set(configured)) {
    if (restName === 'id') continue;
    const described = byName.get(restName);
    if (!described) {
      throw new MarketoStreamError(
        ErrorCodes.CONFIG_UNKNOWN_LEAD_FIELD,
        `leadFields: lead field "${restName}" is not in leads/describe2.json`,
        { field: 'leadFields' },
      );
    }
    let avroName = avroFieldName(restName);
    while (used.has(avroName)) avroName = `${avroName}_`;
    used.add(avroName);
    const wanted = valueKindOf(leadAvroType(described.dataType))!;
    let kind = wanted;
    const before = registered.get(avroName);
    if (before !== undefined && before !== wanted) {
      if (promotes(before, wanted)) {
        conflicts.push({
          field: restName,
          dataType: described.dataType,
          registered: before,
          wanted,
          resolution: `widened to ${wanted}`,
        });
      } else {
        kind = before;
        conflicts.push({
          field: restName,
          dataType: described.dataType,
          registered: before,
          wanted,
          resolution: `kept as ${before}; values are coerced, and a lead whose value cannot be goes to the dead-letter topic`,
        });
      }
    }
    fields.push({ restName, avroName, dataType: described.dataType, kind });
    const label = described.displayName ? `${described.displayName} ` : '';
    avroFields.push({
      name: avroName,
      type: ['null', KIND_TYPES[kind]],
      default: null,
      doc: `${label}(Marketo REST name "${restName}", data type ${described.dataType}); null when Marketo has no value.`,
      marketoName: restName,
    });
  }
  avroFields.push({ name: 'source', type: sourceSchema, doc: 'Where and when the record was pulled.' });
  return {
    schema: {
      type: 'record',
      name: 'Lead',
      namespace: 'io.marketostream',
      doc: 'A Marketo lead (GET /rest/v1/leads.json) with the fields configured for the connection.',
      fields: avroFields,
    },
    fields,
    conflicts,
  };
}

/** What the caller knows about the pull that produced the lead. */
export interface LeadContext {
  instance: string;
  connection: string;
  pulledAt: number;
}

/**
 * Maps a leads.json record to the value of its generated schema: absent fields become null,
 * values are converted to the field's type. Throws a TypeError naming the field when a value
 * cannot be converted (the runner then dead-letters the lead).
 */
export function toLeadRecord(
  raw: Record<string, unknown>,
  fields: readonly LeadFieldPlan[],
  ctx: LeadContext,
): Record<string, unknown> {
  const id = convertLeadValue('id', 'long', raw.id);
  if (id === null) throw new TypeError('lead has no id');
  const out: Record<string, unknown> = { id };
  for (const f of fields) out[f.avroName] = convertLeadValue(f.restName, f.kind, raw[f.restName]);
  const source: SourceInfo = {
    connector: CONNECTOR_NAME,
    instance: ctx.instance,
    connection: ctx.connection,
    pulledAt: ctx.pulledAt,
  };
  out.source = source;
  return out;
}

const DAY_MS = 86_400_000;

/** Converts one Marketo value to `kind`; null/undefined/'' (non-string kinds) become null. */
export function convertLeadValue(field: string, kind: LeadValueKind, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  const fail = (): never => {
    throw new TypeError(`lead field "${field}": ${JSON.stringify(value)} is not a valid ${kind}`);
  };
  if (kind === 'string') return typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (value === '') return null;
  switch (kind) {
    case 'long': {
      const n = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
      return typeof n === 'number' && Number.isSafeInteger(n) ? n : fail();
    }
    case 'double': {
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      return typeof n === 'number' && Number.isFinite(n) ? n : fail();
    }
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 1 || value === '1') return true;
      if (value === 'false' || value === 0 || value === '0') return false;
      return fail();
    case 'date': {
      if (typeof value !== 'string') return fail();
      const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(value);
      if (!m) return fail();
      const ms = /T/.test(value) ? timestamp(value) : Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
      return ms === undefined || Number.isNaN(ms) ? fail() : Math.floor(ms / DAY_MS);
    }
    case 'timestamp': {
      const ms = typeof value === 'number' ? value : typeof value === 'string' ? timestamp(value) : undefined;
      return ms === undefined || !Number.isFinite(ms) ? fail() : ms;
    }
  }
}

function timestamp(s: string): number | undefined {
  try {
    return parseMarketoDate(s);
  } catch {
    // Marketo sometimes writes datetimes without a zone; they are UTC.
    const ms = Date.parse(/[zZ]|[+-]\d{2}:?\d{2}$/.test(s) ? s : `${s}Z`);
    return Number.isNaN(ms) ? undefined : ms;
  }
}
