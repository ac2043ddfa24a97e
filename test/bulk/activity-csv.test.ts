import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ACTIVITY_EXPORT_FIELDS, type ActivityCsvPage, readActivityCsv } from '../../src/bulk/activity-csv.ts';
import { ErrorCodes } from '../../src/errors.ts';

const HEADER = ACTIVITY_EXPORT_FIELDS.join(',');

/** Feeds `text` in chunks of `chunk` bytes, so quoted fields and rows straddle chunk boundaries. */
function chunks(text: string | Buffer, chunk = 7): AsyncIterable<Buffer> {
  const buf = typeof text === 'string' ? Buffer.from(text) : text;
  return (async function* () {
    for (let at = 0; at < buf.length; at += chunk) yield buf.subarray(at, at + chunk);
  })();
}

async function readAll(input: AsyncIterable<Buffer>, options = {}): Promise<ActivityCsvPage[]> {
  const pages: ActivityCsvPage[] = [];
  for await (const page of readActivityCsv(input, options)) pages.push(page);
  return pages;
}

describe('readActivityCsv', () => {
  it('reads the documented example: quoted attributes JSON with typed values, null for empty cells', async () => {
    const file = [
      HEADER,
      '783957693,5414087,2022-02-13T14:06:20Z,104,8497,1670,MembershipTest1,"{""Reason"":""Changed by, a comma"",""Program Member ID"":3240303,""Acquired By"":true,""Score"":2.5,""Nothing"":null}"',
      '783958220,5414094,2022-02-13T14:08:50Z,104,null,null,null,null',
      '',
    ].join('\n');
    const [page] = await readAll(chunks(file));
    expect(page!.rejected).toEqual([]);
    expect(page!.activities).toEqual([
      {
        id: 783957693,
        marketoGUID: '783957693',
        leadId: 5414087,
        activityDate: '2022-02-13T14:06:20Z',
        activityTypeId: 104,
        campaignId: 8497,
        primaryAttributeValueId: 1670,
        primaryAttributeValue: 'MembershipTest1',
        attributes: [
          { name: 'Reason', value: 'Changed by, a comma' },
          { name: 'Program Member ID', value: 3240303 },
          { name: 'Acquired By', value: true },
          { name: 'Score', value: 2.5 },
          { name: 'Nothing', value: null },
        ],
      },
      {
        id: 783958220,
        marketoGUID: '783958220',
        leadId: 5414094,
        activityDate: '2022-02-13T14:08:50Z',
        activityTypeId: 104,
        attributes: [],
      },
    ]);
    expect(page!.rowsReached).toBe(2);
    expect(page!.bytesReached).toBe(Buffer.byteLength(file));
  });

  it('keeps embedded newlines, CRLF and doubled quotes inside quoted cells; a quoted "null" is text', async () => {
    const file = `${HEADER}\n"g-1",1,2024-01-01T00:00:00Z,6,null,7,"line one\r\nline ""two""","{""Body"":""a\\nb""}"\n"g-2",2,2024-01-01T00:00:01Z,6,null,null,"null",null\n`;
    const [page] = await readAll(chunks(file, 3));
    const [a, b] = page!.activities;
    expect(a!.primaryAttributeValue).toBe('line one\r\nline "two"');
    expect(a!.attributes).toEqual([{ name: 'Body', value: 'a\nb' }]);
    expect(a!.id).toBeUndefined(); // a GUID that is not the decimal id gives no id
    expect(b!.primaryAttributeValue).toBe('null');
  });

  it('drops NUL bytes everywhere and CRs outside quotes (CRLF line ends, stray CRs)', async () => {
    const file = Buffer.concat([
      Buffer.from(`${HEADER}\r\n`),
      Buffer.from('g-1,1,2024-01-01T00:00:00Z,6,null,null,Web\0 Page\r,"{""k"":""v\0""}"\r\n'),
      Buffer.from('g-2,2\r,2024-01-01T00:00:01Z,6,null,null,null,null\n'),
    ]);
    const [page] = await readAll(chunks(file, 5));
    expect(page!.rejected).toEqual([]);
    expect(page!.activities.map((a) => [a.leadId, a.primaryAttributeValue, a.attributes])).toEqual([
      [1, 'Web Page', [{ name: 'k', value: 'v' }]],
      [2, undefined, []],
    ]);
  });

  it('rejects malformed rows one by one with a reason naming row and column, and reads on', async () => {
    const file = [
      HEADER,
      'g-1,1,2024-01-01T00:00:00Z,6,null,null,null,null',
      'g-2,not-a-lead,2024-01-01T00:00:00Z,6,null,null,null,null',
      'g-3,3,2024-13-01T00:00:00Z,6,null,null,null,null',
      'g-4,4,2024-01-01T00:00:00Z,6,null,null,null,"{""broken"":"',
      'g-5,5,2024-01-01T00:00:00Z,6,null,null,null,"[1,2]"',
      'g-6,6,2024-01-01T00:00:00Z,6,null,null,null',
      ',7,2024-01-01T00:00:00Z,6,null,null,null,null',
      'g-8,8,2024-01-01T00:00:00Z,6,1.5,null,null,null',
      'g-9,9,2024-01-01T00:00:00Z,6,null,null,null,null',
    ].join('\n');
    const [page] = await readAll(chunks(file));
    expect(page!.activities.map((a) => a.marketoGUID)).toEqual(['g-1', 'g-9']);
    const reasons = page!.rejected.map((r) => [r.row, r.error.code, r.error.message]);
    expect(reasons).toEqual([
      [2, ErrorCodes.BULK_ROW_INVALID, expect.stringMatching(/row 2: leadId is not an integer/)],
      [3, ErrorCodes.BULK_ROW_INVALID, expect.stringMatching(/row 3: activityDate .*2024-13-01/)],
      [4, ErrorCodes.BULK_ROW_INVALID, expect.stringMatching(/row 4: attributes is not JSON/)],
      [5, ErrorCodes.BULK_ROW_INVALID, expect.stringMatching(/row 5: attributes is not a JSON object/)],
      [6, ErrorCodes.BULK_ROW_INVALID, expect.stringMatching(/row 6: 7 fields where the header has 8/)],
      [7, ErrorCodes.BULK_ROW_INVALID, expect.stringMatching(/row 7: marketoGUID is empty/)],
      [8, ErrorCodes.BULK_ROW_INVALID, expect.stringMatching(/row 8: campaignId is not an integer/)],
    ]);
    expect(page!.rejected[0]!.raw).toBe('g-2,not-a-lead,2024-01-01T00:00:00Z,6,null,null,null,null');
  });

  it('pages by 300 and resumes mid-file from bytesReached with the header columns', async () => {
    const rows = Array.from(
      { length: 650 },
      (_, i) => `${i + 1},${i},2024-01-01T00:00:00Z,6,null,null,"ünïcode, ${i}","{""n"":${i}}"`,
    );
    const file = `${HEADER}\n${rows.join('\n')}\n`;
    const pages = await readAll(chunks(file, 4096));
    expect(pages.map((p) => p.activities.length)).toEqual([300, 300, 50]);
    expect(pages.map((p) => p.rowsReached)).toEqual([300, 600, 650]);
    expect(pages.map((p) => p.firstRow)).toEqual([1, 301, 601]);
    // Resume after the first page, from its byte offset: the rest of the file, numbered on.
    const buf = Buffer.from(file);
    const first = pages[0]!;
    expect(buf.subarray(first.bytesReached).toString().startsWith('301,')).toBe(true);
    const resumed = await readAll(chunks(buf.subarray(first.bytesReached), 999), {
      startByte: first.bytesReached,
      startRow: first.rowsReached,
      columns: first.columns,
    });
    expect(resumed.map((p) => p.rowsReached)).toEqual([600, 650]);
    expect(resumed[0]!.firstRow).toBe(301);
    expect(resumed.flatMap((p) => p.activities)).toEqual(pages.slice(1).flatMap((p) => p.activities));
    expect(resumed.at(-1)!.bytesReached).toBe(buf.length);
  });

  it('a truncated file (open quote at the end) is a retriable BULK_FILE_CORRUPT', async () => {
    const file = `${HEADER}\ng-1,1,2024-01-01T00:00:00Z,6,null,null,null,"{""a"":`;
    await expect(readAll(chunks(file))).rejects.toMatchObject({ code: ErrorCodes.BULK_FILE_CORRUPT, retriable: true });
  });

  it('reads from a Readable and stays pull-based: a slow consumer does not make it buffer the file', async () => {
    let produced = 0;
    const row = 'g,1,2024-01-01T00:00:00Z,6,null,null,null,null\n';
    const source = Readable.from(
      (function* () {
        yield Buffer.from(`${HEADER}\n`);
        for (let i = 0; i < 100_000; i++) {
          produced++;
          yield Buffer.from(row);
        }
      })(),
    );
    let pages = 0;
    for await (const _page of readActivityCsv(source)) {
      pages++;
      if (pages === 2) break;
    }
    // Two pages are 600 rows; the stream buffers a little ahead, never the whole input.
    expect(produced).toBeLessThan(10_000);
  });
});
