/** Schema pieces and value converters shared by the asset records (programs, smart campaigns). */
import { parseMarketoDate } from '../marketo/dates.ts';

/** Avro type of an instant: epoch milliseconds. */
export const TIMESTAMP_MILLIS = { type: 'long', logicalType: 'timestamp-millis' } as const;

/** A nullable Avro field with default null. */
export const optionalField = (name: string, type: string | object, doc: string) => ({
  name,
  type: ['null', type],
  default: null,
  doc,
});

/** What the caller knows about the pull. */
export interface AssetContext {
  instance: string;
  connection: string;
  pulledAt: number;
}

/** A string, or null for absent/non-string values (objects are carried as JSON text). */
export const optString = (v: unknown): string | null =>
  v === null || v === undefined ? null : typeof v === 'object' ? JSON.stringify(v) : String(v);
/** A safe integer, or null. */
export const optInt = (v: unknown): number | null => {
  const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isSafeInteger(n) ? n : null;
};
/** A boolean, or null. */
export const optBool = (v: unknown): boolean | null =>
  typeof v === 'boolean' ? v : v === 'true' ? true : v === 'false' ? false : null;
/** A finite number, or null. */
export const optNumber = (v: unknown): number | null => {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
};

/**
 * Normalises an asset timestamp (`2015-05-21T22:45:13Z+0000`, `…Z`, `…+0000`) to epoch ms.
 * Throws a RangeError naming the field when it is missing or not a date.
 */
export function assetDate(field: string, v: unknown): number {
  if (typeof v !== 'string') throw new RangeError(`${field}: not a Marketo timestamp: ${JSON.stringify(v)}`);
  return parseMarketoDate(v);
}
