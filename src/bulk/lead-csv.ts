import type { Readable } from 'node:stream';
import type { MarketoLead } from '../marketo/types.ts';
import { type ExportCsvOptions, type ExportCsvPage, integerCell, readExportCsv } from './export-csv.ts';

/**
 * One data row of a lead export as the leads.json record of the same lead: `id` as a number, every
 * other column as the text Marketo wrote, and empty values (`null`) left out, as leads.json leaves
 * them out. The lead schema's conversions read text and JSON values alike, so the published
 * record is the same either way. Throws MarketoStreamError BULK_ROW_INVALID when `id` is missing
 * or not an integer.
 */
export function leadFromCells(columns: readonly string[], cells: readonly (string | null)[], row: number): MarketoLead {
  const at = columns.indexOf('id');
  const id = integerCell('lead', at < 0 ? undefined : cells[at], 'id', row, true)!;
  const lead: MarketoLead = { id };
  columns.forEach((name, i) => {
    const cell = cells[i];
    if (name !== 'id' && cell !== null && cell !== undefined) lead[name] = cell;
  });
  return lead;
}

/**
 * Reads a Marketo lead export (CSV, columns = the REST names asked for) as a stream and yields
 * pages of up to 300 leads ({@link readExportCsv}'s CSV rules, resumption and memory bound).
 */
export function readLeadCsv(
  input: AsyncIterable<Buffer> | Readable,
  options: ExportCsvOptions = {},
): AsyncGenerator<ExportCsvPage<MarketoLead>> {
  return readExportCsv(input, leadFromCells, 'lead', options);
}
