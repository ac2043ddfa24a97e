import { pipeline, type Readable } from 'node:stream';
import { type CastingContext, parse } from 'csv-parse';
import { ErrorCodes, MarketoStreamError } from '../errors.ts';
import { parseMarketoDate } from '../marketo/dates.ts';
import type { MarketoActivity, MarketoActivityAttribute } from '../marketo/types.ts';

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

/** Marketo's activities.json page size, kept for bulk pages so a page is the same unit either way. */
export const BULK_PAGE_SIZE = 300;

/** A row of the file that is not an activity: the stream dead-letters it with `error.message`. */
export interface RejectedRow {
  /** 1-based data row number (the header is row 0). */
  row: number;
  /** The row's text as it stands in the file. */
  raw: string;
  /** MarketoStreamError BULK_ROW_INVALID naming the row and the column at fault. */
  error: MarketoStreamError;
}

/** Up to `pageSize` consecutive rows of an activity export, and where they leave the reader. */
export interface ActivityCsvPage {
  /** Good rows, in file order, exactly as activities.json would have given them. */
  activities: MarketoActivity[];
  /** Rows that could not be read, in file order. */
  rejected: RejectedRow[];
  /** The header's columns (needed to resume mid-file). */
  columns: string[];
  /** The 1-based number of the page's first data row (its rows are consecutive up to `rowsReached`). */
  firstRow: number;
  /** Data rows consumed from the start of the file, this page included. */
  rowsReached: number;
  /** File offset just past this page's last row: a resume starts here with the same columns. */
  bytesReached: number;
}

/** Where {@link readActivityCsv} starts. */
export interface ActivityCsvOptions {
  /** Offset in the file of the input's first byte; 0 (default) means the input starts with the header. */
  startByte?: number;
  /** Data rows before `startByte` (row numbers continue from here). */
  startRow?: number;
  /** The header's columns; required when `startByte` > 0, where the input has no header. */
  columns?: readonly string[];
  /** Rows per page (default 300). */
  pageSize?: number;
}

function rowError(row: number, message: string): MarketoStreamError {
  return new MarketoStreamError(ErrorCodes.BULK_ROW_INVALID, `bulk activity file, row ${row}: ${message}`);
}

// Marketo writes the empty value as a bare `null`; a quoted "null" is the text null. NUL bytes are
// noise in Marketo's files (other connectors drop them too). A CR outside quotes is a line-ending
// artifact (CSV writers quote a value that holds one); inside quotes it is data and stays.
function castCell(value: string, context: CastingContext): string | null {
  let v = value.includes('\0') ? value.replaceAll('\0', '') : value;
  if (context.quoting) return v;
  if (v.includes('\r')) v = v.replaceAll('\r', '');
  return v === 'null' ? null : v;
}

const INTEGER = /^-?\d+$/;

function integerCell(cell: string | null | undefined, column: string, row: number, required: boolean): number | null {
  if (cell === null || cell === undefined || cell === '') {
    if (required) throw rowError(row, `${column} is empty`);
    return null;
  }
  const n = Number(cell);
  if (!INTEGER.test(cell) || !Number.isSafeInteger(n))
    throw rowError(row, `${column} is not an integer: ${JSON.stringify(cell)}`);
  return n;
}

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
  if (cells.length !== columns.length) {
    throw rowError(row, `${cells.length} fields where the header has ${columns.length}`);
  }
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

interface ParsedRecord {
  record: (string | null)[];
  raw: string;
  info: { bytes: number };
}

/**
 * Reads a Marketo activity export (CSV) as a stream and yields pages of up to 300 rows: good rows
 * as activities.json records, bad rows (wrong field count, non-numeric ids, bad date, attributes
 * that are not a JSON object) as {@link RejectedRow}s. Quoted fields may hold commas, doubled
 * quotes and newlines; `null` is the empty value; NUL bytes and CRs outside quotes are dropped.
 * Pull-based: the input is read only as fast as pages are taken, so memory stays flat whatever
 * the file size. A file that is not CSV at all (an unclosed quote at the end: a truncated file)
 * rejects with MarketoStreamError BULK_FILE_CORRUPT.
 */
export async function* readActivityCsv(
  input: AsyncIterable<Buffer> | Readable,
  options: ActivityCsvOptions = {},
): AsyncGenerator<ActivityCsvPage> {
  const startByte = options.startByte ?? 0;
  const pageSize = options.pageSize ?? BULK_PAGE_SIZE;
  if (startByte > 0 && !options.columns) {
    throw new MarketoStreamError(ErrorCodes.BULK_FILE_CORRUPT, 'resuming a bulk file mid-way needs its header columns');
  }
  let columns: string[] | undefined = options.columns ? [...options.columns] : undefined;
  let row = options.startRow ?? 0;
  const parser = parse({
    cast: castCell,
    info: true,
    raw: true,
    bom: startByte === 0,
    record_delimiter: ['\r\n', '\n'],
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
  });
  pipeline(input, parser, () => {
    // Errors surface through the parser's iterator below.
  });
  let page: ActivityCsvPage | undefined;
  const fresh = (): ActivityCsvPage => ({
    activities: [],
    rejected: [],
    columns: columns ?? [],
    firstRow: row,
    rowsReached: row,
    bytesReached: startByte,
  });
  try {
    for await (const parsed of parser as AsyncIterable<ParsedRecord>) {
      const end = startByte + parsed.info.bytes;
      if (!columns) {
        columns = parsed.record.map((c) => c ?? 'null');
        page = undefined;
        continue;
      }
      row += 1;
      page ??= fresh();
      try {
        page.activities.push(activityFromCells(columns, parsed.record, row));
      } catch (err) {
        if (!(err instanceof MarketoStreamError)) throw err;
        page.rejected.push({ row, raw: parsed.raw.replace(/\r?\n$/, ''), error: err });
      }
      page.rowsReached = row;
      page.bytesReached = end;
      if (page.activities.length + page.rejected.length >= pageSize) {
        yield page;
        page = undefined;
      }
    }
  } catch (err) {
    if (err instanceof MarketoStreamError) throw err;
    const code = (err as { code?: string }).code;
    throw new MarketoStreamError(
      ErrorCodes.BULK_FILE_CORRUPT,
      `bulk activity file is not readable CSV after row ${row}: ${(err as Error).message}`,
      { retriable: true, cause: code ? err : undefined },
    );
  } finally {
    parser.destroy();
  }
  if (page) yield page;
}
