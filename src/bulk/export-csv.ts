import { pipeline, type Readable } from 'node:stream';
import { type CastingContext, parse } from 'csv-parse';
import { ErrorCodes, MarketoStreamError } from '../errors.ts';

/** Marketo's REST page size (activities.json, leads.json), kept for bulk pages so a page is the same unit either way. */
export const BULK_PAGE_SIZE = 300;

/** A row of the file that cannot be read: the stream dead-letters it with `error.message`. */
export interface RejectedRow {
  /** 1-based data row number (the header is row 0). */
  row: number;
  /** The row's text as it stands in the file. */
  raw: string;
  /** MarketoStreamError BULK_ROW_INVALID naming the row and the column at fault. */
  error: MarketoStreamError;
}

/** Up to `pageSize` consecutive rows of an export file, and where they leave the reader. */
export interface ExportCsvPage<T> {
  /** Good rows, in file order, as the row reader made them. */
  rows: T[];
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

/** Where {@link readExportCsv} starts. */
export interface ExportCsvOptions {
  /** Offset in the file of the input's first byte; 0 (default) means the input starts with the header. */
  startByte?: number;
  /** Data rows before `startByte` (row numbers continue from here). */
  startRow?: number;
  /** The header's columns; required when `startByte` > 0, where the input has no header. */
  columns?: readonly string[];
  /** Rows per page (default 300). */
  pageSize?: number;
}

/**
 * Makes one record of a data row (cells in header order, `null` for Marketo's empty value).
 * Throws MarketoStreamError BULK_ROW_INVALID ({@link rowError}) for a row that is not a record.
 */
export type RowReader<T> = (columns: readonly string[], cells: readonly (string | null)[], row: number) => T;

/** The BULK_ROW_INVALID of data row `row` of a `what` export (`activity`, `lead`). */
export function rowError(what: string, row: number, message: string): MarketoStreamError {
  return new MarketoStreamError(ErrorCodes.BULK_ROW_INVALID, `bulk ${what} file, row ${row}: ${message}`);
}

const INTEGER = /^-?\d+$/;

/** An integer cell; null when empty and not `required`; BULK_ROW_INVALID otherwise. */
export function integerCell(
  what: string,
  cell: string | null | undefined,
  column: string,
  row: number,
  required: boolean,
): number | null {
  if (cell === null || cell === undefined || cell === '') {
    if (required) throw rowError(what, row, `${column} is empty`);
    return null;
  }
  const n = Number(cell);
  if (!INTEGER.test(cell) || !Number.isSafeInteger(n))
    throw rowError(what, row, `${column} is not an integer: ${JSON.stringify(cell)}`);
  return n;
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

interface ParsedRecord {
  record: (string | null)[];
  raw: string;
  info: { bytes: number };
}

/**
 * Reads a Marketo export file (CSV) as a stream and yields pages of up to 300 rows: each data row
 * made a record by `readRow`, or, when it throws BULK_ROW_INVALID, a {@link RejectedRow}. Quoted
 * fields may hold commas, doubled quotes and newlines; `null` is the empty value; NUL bytes and
 * CRs outside quotes are dropped. Pull-based: the input is read only as fast as pages are taken, so
 * memory stays flat whatever the file size. A file that is not CSV at all (an unclosed quote at
 * the end: a truncated file) rejects with MarketoStreamError BULK_FILE_CORRUPT.
 */
export async function* readExportCsv<T>(
  input: AsyncIterable<Buffer> | Readable,
  readRow: RowReader<T>,
  what: string,
  options: ExportCsvOptions = {},
): AsyncGenerator<ExportCsvPage<T>> {
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
  let page: ExportCsvPage<T> | undefined;
  const fresh = (): ExportCsvPage<T> => ({
    rows: [],
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
        if (parsed.record.length !== columns.length) {
          throw rowError(what, row, `${parsed.record.length} fields where the header has ${columns.length}`);
        }
        page.rows.push(readRow(columns, parsed.record, row));
      } catch (err) {
        if (!(err instanceof MarketoStreamError)) throw err;
        page.rejected.push({ row, raw: parsed.raw.replace(/\r?\n$/, ''), error: err });
      }
      page.rowsReached = row;
      page.bytesReached = end;
      if (page.rows.length + page.rejected.length >= pageSize) {
        yield page;
        page = undefined;
      }
    }
  } catch (err) {
    if (err instanceof MarketoStreamError) throw err;
    const code = (err as { code?: string }).code;
    throw new MarketoStreamError(
      ErrorCodes.BULK_FILE_CORRUPT,
      `bulk ${what} file is not readable CSV after row ${row}: ${(err as Error).message}`,
      { retriable: true, cause: code ? err : undefined },
    );
  } finally {
    parser.destroy();
  }
  if (page) yield page;
}
