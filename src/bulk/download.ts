import { createHash, type Hash } from 'node:crypto';
import type { Clock } from '../clock.ts';
import { ErrorCodes, MarketoStreamError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { MarketoClient, RawResponse } from '../marketo/client.ts';
import type { ExportKind } from './types.ts';

/** Options of {@link downloadExportFile}. */
export interface DownloadOptions {
  /** Fetches the file (its `stream` reserves quota for every request, resumptions included). */
  client: Pick<MarketoClient, 'stream'>;
  kind: ExportKind;
  exportId: string;
  /** The Completed job's `fileSize`: the download is complete when it has exactly this many bytes. */
  fileSize: number;
  /** The Completed job's `fileChecksum` (`sha256:<hex>`), checked when the download starts at byte 0. */
  fileChecksum?: string;
  /** The first byte to fetch: a restart resumes from the byte its checkpoint reached (default 0). */
  fromByte?: number;
  /** Resumptions in a row that bring no new byte before giving up (default 5). */
  maxStalls?: number;
  /** Wait before the first resumption; doubles per stall (default 1 000 ms). */
  retryDelayMs?: number;
  clock: Clock;
  logger: Logger;
  signal?: AbortSignal;
}

function fileError(code: 'BULK_FILE_GONE' | 'BULK_FILE_CORRUPT', message: string, retriable: boolean) {
  return new MarketoStreamError(ErrorCodes[code], message, { retriable });
}

/** The start offset of a 206's `Content-Range: bytes a-b/size`, or undefined. */
function rangeStart(response: RawResponse): number | undefined {
  const header = response.headers['content-range'];
  const m = typeof header === 'string' ? /^bytes (\d+)-\d+\/\d+$/.exec(header.trim()) : null;
  return m ? Number(m[1]) : undefined;
}

/**
 * Streams the file of a Completed export, in order, from `fromByte` to `fileSize`. A transfer cut
 * short (a dropped connection, a shorter body) is resumed with `Range: bytes=<reached>-` instead of
 * starting over; a download that began at byte 0 is checked against `fileChecksum` at its end.
 * Pull-based: a chunk is fetched only when the consumer asks, so memory does not grow with the file.
 * Throws MarketoStreamError BULK_FILE_GONE on 404 (expired or missing file: recreate the job),
 * BULK_FILE_CORRUPT when the bytes cannot match the job (longer than fileSize, a checksum mismatch,
 * no progress after `maxStalls` resumptions), or what the client throws (network, 601…).
 */
export async function* downloadExportFile(options: DownloadOptions): AsyncGenerator<Buffer> {
  const { client, kind, exportId, fileSize, clock, signal } = options;
  const logger = options.logger.child({ component: 'bulk-download', exportId });
  const filePath = `/bulk/v1/${kind}/export/${exportId}/file.json`;
  const maxStalls = options.maxStalls ?? 5;
  const retryDelayMs = options.retryDelayMs ?? 1_000;
  let reached = options.fromByte ?? 0;
  const hash: Hash | undefined = reached === 0 && options.fileChecksum ? createHash('sha256') : undefined;
  let stalls = 0;

  while (reached < fileSize) {
    signal?.throwIfAborted();
    const startedAt = reached;
    let why: string | undefined;
    let response: RawResponse | undefined;
    try {
      response = await client.stream(filePath, {
        headers: reached > 0 ? { range: `bytes=${reached}-` } : {},
        signal,
      });
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      if (!(err instanceof MarketoStreamError) || !err.retriable) throw err;
      why = err.message;
    }
    if (response) {
      try {
        const { status } = response;
        if (status === 404) {
          throw fileError('BULK_FILE_GONE', `the file of bulk ${kind} export ${exportId} is gone (HTTP 404)`, false);
        }
        if (status === 416) {
          throw fileError(
            'BULK_FILE_CORRUPT',
            `bulk ${kind} export ${exportId}: Marketo has no byte ${reached} in a file of ${fileSize}`,
            true,
          );
        }
        let skip = 0;
        if (status === 200)
          skip = reached; // Range ignored: the whole file again, from byte 0
        else if (status === 206) {
          const start = rangeStart(response);
          if (start === undefined || start > reached) {
            throw fileError('BULK_FILE_CORRUPT', `bulk ${kind} export ${exportId}: 206 from byte ${start}`, true);
          }
          skip = reached - start;
        } else if (status >= 500 || status === 408 || status === 429) {
          why = `HTTP ${status}`;
        } else {
          throw new MarketoStreamError(
            ErrorCodes.REQUEST_REJECTED,
            `bulk ${kind} export ${exportId}: the file answered HTTP ${status}`,
            { status },
          );
        }
        if (why === undefined) {
          for await (const piece of response.body as AsyncIterable<Buffer>) {
            let chunk = piece;
            if (skip > 0) {
              const drop = Math.min(skip, chunk.length);
              skip -= drop;
              chunk = chunk.subarray(drop);
              if (chunk.length === 0) continue;
            }
            if (reached + chunk.length > fileSize) {
              throw fileError(
                'BULK_FILE_CORRUPT',
                `bulk ${kind} export ${exportId}: more than the ${fileSize} bytes its job reported`,
                true,
              );
            }
            hash?.update(chunk);
            reached += chunk.length;
            yield chunk;
          }
        }
      } catch (err) {
        if (signal?.aborted) throw signal.reason;
        if (err instanceof MarketoStreamError) throw err;
        why = (err as Error).message; // the connection dropped mid-body
      } finally {
        // Destroying an unfinished undici body makes it emit an abort error that nobody awaits.
        response.body.on('error', () => {});
        response.body.destroy();
      }
    }
    if (reached >= fileSize) break;
    stalls = reached > startedAt ? 0 : stalls + 1;
    if (stalls > maxStalls) {
      throw fileError(
        'BULK_FILE_CORRUPT',
        `bulk ${kind} export ${exportId}: stuck at byte ${reached} of ${fileSize} after ${maxStalls} resumptions (${why ?? 'short body'})`,
        true,
      );
    }
    logger.warn(
      { reached, fileSize, why: why ?? 'body shorter than the file' },
      'bulk file download interrupted; resuming with a Range request',
    );
    if (stalls > 0) await clock.sleep(retryDelayMs * 2 ** (stalls - 1), signal);
  }

  if (hash && options.fileChecksum) {
    const actual = `sha256:${hash.digest('hex')}`;
    if (actual !== options.fileChecksum.toLowerCase()) {
      throw fileError(
        'BULK_FILE_CORRUPT',
        `bulk ${kind} export ${exportId}: checksum ${actual} is not the job's ${options.fileChecksum}`,
        false,
      );
    }
  }
}
