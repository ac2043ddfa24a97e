import { ErrorCodes, MarketoStreamError } from '../errors.ts';
import type { ConnectionLease } from './lease.ts';

/**
 * Takes a connection's transactional id again (`publisher.connect()`: its InitProducerId fences
 * every other producer of that id) only while `lease` is still this worker's: the lease is renewed
 * first, and when it was lost the publisher is left alone and this rejects with FENCED (the lease's
 * `lost` signal has aborted by then, which stops the run). So a worker that lost a connection while
 * it slept or retried never fences the worker that took it over. Rejects with the retriable
 * REDIS_UNAVAILABLE when Redis does not answer (nothing connected).
 */
export async function reconnectWhileLeased(
  lease: Pick<ConnectionLease, 'confirm'>,
  publisher: { connect(): Promise<void> },
): Promise<void> {
  if (!(await lease.confirm())) {
    throw new MarketoStreamError(ErrorCodes.FENCED, 'the connection lease was lost; not taking its producer back', {
      retriable: true,
    });
  }
  await publisher.connect();
}
