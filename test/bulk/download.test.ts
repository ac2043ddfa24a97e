import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { downloadExportFile } from '../../src/bulk/download.ts';
import { ErrorCodes } from '../../src/errors.ts';
import { createLogger } from '../../src/log.ts';
import type { RawResponse } from '../../src/marketo/client.ts';
import { FakeClock } from '../support/fake-clock.ts';

const logger = createLogger({ level: 'silent' });
const file = Buffer.from(Array.from({ length: 2000 }, (_, i) => String.fromCharCode(97 + (i % 26))).join(''));
const checksum = `sha256:${createHash('sha256').update(file).digest('hex')}`;

/** A body that yields `bytes` in chunks of 100 and then fails (a dropped connection) when `fail` is set. */
function body(bytes: Buffer, fail = false): Readable {
  return Readable.from(
    (async function* () {
      for (let at = 0; at < bytes.length; at += 100) yield bytes.subarray(at, at + 100);
      if (fail) throw new Error('other side closed');
    })(),
  );
}

type Serve = (range: string | undefined) => RawResponse;

/** A `stream` that serves each request with the next handler, recording the Range headers asked for. */
function fakeStream(...handlers: Serve[]) {
  const ranges: (string | undefined)[] = [];
  return {
    ranges,
    stream: async (_path: string, options: { headers?: Record<string, string> } = {}) => {
      const range = options.headers?.range;
      ranges.push(range);
      const handler = handlers.shift();
      if (!handler) throw new Error('unexpected request');
      return handler(range);
    },
  };
}

const partial =
  (from: number, to: number, fail = false): Serve =>
  () => ({
    status: 206,
    headers: { 'content-range': `bytes ${from}-${file.length - 1}/${file.length}` },
    body: body(file.subarray(from, to), fail),
  });
const whole =
  (to = file.length, fail = false): Serve =>
  () => ({ status: 200, headers: {}, body: body(file.subarray(0, to), fail) });

async function collect(options: Parameters<typeof downloadExportFile>[0]): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of downloadExportFile(options)) parts.push(chunk);
  return Buffer.concat(parts);
}

const base = { kind: 'activities' as const, exportId: 'e1', fileSize: file.length, fileChecksum: checksum, logger };

describe('downloadExportFile', () => {
  it('resumes cut transfers with Range from the byte reached and checks the SHA-256 at the end', async () => {
    const fake = fakeStream(whole(700, true), partial(700, 1500, true), partial(1500, file.length));
    const got = await collect({ ...base, client: fake, clock: new FakeClock() });
    expect(got.equals(file)).toBe(true);
    expect(fake.ranges).toEqual([undefined, 'bytes=700-', 'bytes=1500-']);
  });

  it('a body that ends short without an error is resumed too', async () => {
    const fake = fakeStream(whole(1200), partial(1200, file.length));
    expect((await collect({ ...base, client: fake, clock: new FakeClock() })).equals(file)).toBe(true);
  });

  it('resumes after a restart from fromByte, and skips what a server that ignores Range sends again', async () => {
    const fake = fakeStream(whole());
    const got = await collect({ ...base, client: fake, clock: new FakeClock(), fromByte: 1234 });
    expect(got.equals(file.subarray(1234))).toBe(true);
    expect(fake.ranges).toEqual(['bytes=1234-']);
  });

  it('404 is BULK_FILE_GONE (recreate the job)', async () => {
    const fake = fakeStream(() => ({ status: 404, headers: {}, body: body(Buffer.from('not found')) }));
    await expect(collect({ ...base, client: fake, clock: new FakeClock() })).rejects.toMatchObject({
      code: ErrorCodes.BULK_FILE_GONE,
    });
  });

  it('a checksum mismatch, extra bytes, or no progress are BULK_FILE_CORRUPT', async () => {
    const bad = fakeStream(whole());
    await expect(
      collect({ ...base, fileChecksum: `sha256:${'0'.repeat(64)}`, client: bad, clock: new FakeClock() }),
    ).rejects.toMatchObject({ code: ErrorCodes.BULK_FILE_CORRUPT, message: expect.stringContaining('checksum') });

    const longer = fakeStream(whole());
    await expect(
      collect({ ...base, fileSize: 1000, fileChecksum: undefined, client: longer, clock: new FakeClock() }),
    ).rejects.toMatchObject({ code: ErrorCodes.BULK_FILE_CORRUPT, message: expect.stringContaining('more than') });

    const clock = new FakeClock();
    const stuck = fakeStream(whole(500), partial(500, 500), partial(500, 500), partial(500, 500));
    await expect(collect({ ...base, client: stuck, clock, maxStalls: 2 })).rejects.toMatchObject({
      code: ErrorCodes.BULK_FILE_CORRUPT,
      message: expect.stringContaining('stuck at byte 500'),
    });
    expect(clock.sleeps).toEqual([1_000, 2_000]);
  });

  it('is pull-based: a consumer that stops early closes the body (and so frees the quota slot)', async () => {
    const served = body(file);
    const fake = fakeStream(() => ({ status: 200, headers: {}, body: served }));
    for await (const _chunk of downloadExportFile({ ...base, client: fake, clock: new FakeClock() })) break;
    expect(served.destroyed).toBe(true);
  });
});
