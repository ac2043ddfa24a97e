import type { Readable } from 'node:stream';
import { parseMarketoDate } from '../marketo/dates.ts';
import type { MarketoActivity, MarketoActivityAttribute } from '../marketo/types.ts';
import {
  type ExportCsvOptions,
  type ExportCsvPage,
  integerCell as exportIntegerCell,
  rowError as exportRowError,
  readExportCsv,
} from './export-csv.ts';

/** The columns of an activity export, in Marketo's default order (the `fields` of a create call). */
export const ACTIVITY_EXPORT_FIELDS = [
  'marketoGUID',
  'leadId',
  'activityDate',
  'activityTypeId',
  'campaignId',
  'primaryAttributeValueId',
  'primaryAttributeValue',
  'attributes',
] as const;

/** Up to 300 consecutive rows of an activity export, and where they leave the reader. */
export type ActivityCsvPage = Omit<ExportCsvPage<MarketoActivity>, 'rows'> & {
  /** Good rows, in file order, exactly as activities.json would have given them. */
  activities: MarketoActivity[];
};

/** Where {@link readActivityCsv} starts. */
export type ActivityCsvOptions = ExportCsvOptions;

const rowError = (row: number, message: string) => exportRowError('activity', row, message);
const integerCell = (cell: string | null | undefined, column: string, row: number, required: boolean) =>
  exportIntegerCell('activity', cell, column, row, required);

/**
 * Marketo's export has no `id` column. Where marketoGUID is the decimal id (Marketo's own examples
 * show the two equal; the id is being replaced by the GUID), the id is taken from it, so the record
 * matches the activities.json one; otherwise the id stays absent (null in the Avro record).
 */
function idFromGuid(guid: string): number | undefined {
  if (!/^[1-9]\d{0,15}$/.test(guid)) return undefined;
  const n = Number(guid);
  return Number.isSafeInteger(n) ? n : undefined;
}

function attributesCell(cell: string | null | undefined, row: number): MarketoActivityAttribute[] {
  if (cell === null || cell === undefined || cell === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(cell);
  } catch (err) {
    throw rowError(row, `attributes is not JSON (${(err as Error).message})`);
  }
  if (parsed === null) return [];
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw rowError(row, 'attributes is not a JSON object');
  // activities.json lists attributes in this order too; the Avro map keeps insertion order.
  return Object.entries(parsed as Record<string, unknown>).map(([name, value]) => ({ name, value }));
}

/**
 * One data row of an activity export as the activities.json record of the same activity: absent
 * optionals left out (activities.json omits them), `attributes` as `[{name, value}]` in the file's
 * order, `activityDate` as written. Columns beyond Marketo's (e.g. `actionResult`) are ignored.
 * Throws MarketoStreamError BULK_ROW_INVALID naming the row and column when the row is not an activity.
 */
export function activityFromCells(
  columns: readonly string[],
  cells: readonly (string | null)[],
  row: number,
): MarketoActivity {
  const cell = (name: string): string | null | undefined => {
    const at = columns.indexOf(name);
    return at < 0 ? undefined : cells[at];
  };
  const marketoGUID = cell('marketoGUID');
  if (!marketoGUID) throw rowError(row, 'marketoGUID is empty');
  const activityDate = cell('activityDate');
  if (!activityDate) throw rowError(row, 'activityDate is empty');
  try {
    parseMarketoDate(activityDate);
  } catch (err) {
    throw rowError(row, `activityDate ${(err as Error).message}`);
  }
  const activity: MarketoActivity = {
    marketoGUID,
    leadId: integerCell(cell('leadId'), 'leadId', row, true)!,
    activityDate,
    activityTypeId: integerCell(cell('activityTypeId'), 'activityTypeId', row, true)!,
  };
  const explicitId = integerCell(cell('id'), 'id', row, false);
  const id = explicitId ?? idFromGuid(marketoGUID);
  const campaignId = integerCell(cell('campaignId'), 'campaignId', row, false);
  const primaryAttributeValueId = integerCell(cell('primaryAttributeValueId'), 'primaryAttributeValueId', row, false);
  const primaryAttributeValue = cell('primaryAttributeValue');
  return {
    ...(id !== undefined ? { id } : {}),
    ...activity,
    ...(campaignId !== null ? { campaignId } : {}),
    ...(primaryAttributeValueId !== null ? { primaryAttributeValueId } : {}),
    ...(primaryAttributeValue !== null && primaryAttributeValue !== undefined ? { primaryAttributeValue } : {}),
    attributes: attributesCell(cell('attributes'), row),
  };
}

/**
 * Reads a Marketo activity export (CSV) as a stream and yields pages of up to 300 rows: good rows
 * as activities.json records, bad rows (wrong field count, non-numeric ids, bad date, attributes
 * that are not a JSON object) as {@link RejectedRow}s. The CSV rules and the resumption are
 * {@link readExportCsv}'s. A file that is not CSV at all (an unclosed quote at the end: a
 * truncated file) rejects with MarketoStreamError BULK_FILE_CORRUPT.
 */
export async function* readActivityCsv(
  input: AsyncIterable<Buffer> | Readable,
  options: ActivityCsvOptions = {},
): AsyncGenerator<ActivityCsvPage> {
  for await (const { rows, ...page } of readExportCsv(input, activityFromCells, 'activity', options)) {
    yield { ...page, activities: rows };
  }
}
