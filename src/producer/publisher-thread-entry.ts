// The worker thread behind ThreadedPublisher: one Kafka client and one TransactionalPublisher,
// driven by requests from the main thread, one at a time in arrival order.
import { parentPort, workerData } from 'node:worker_threads';
import { ErrorCodes, MarketoStreamError } from '../errors.ts';
import { createKafka } from '../kafka/client.ts';
import { createLogger, lineDestination, routeProcessWarnings } from '../log.ts';
import { type PublishResult, TransactionalPublisher } from './publisher.ts';
import {
  type PublisherThreadData,
  type PublisherThreadLog,
  type PublisherThreadRequest,
  type PublisherThreadResponse,
  toWireError,
} from './publisher-thread.ts';

const port = parentPort;
if (!port) {
  throw new MarketoStreamError(
    ErrorCodes.PUBLISHER_THREAD_FAILED,
    'publisher-thread-entry runs as a worker thread only',
  );
}

const data = workerData as PublisherThreadData;
const secrets = data.kafka.sasl ? [data.kafka.sasl.password] : [];
// Lines go to the main thread, which logs them through the service's logger (its bindings,
// destination, format and scrubbing): the thread never writes to stderr itself.
const logger = createLogger({
  level: data.log.level,
  secrets,
  format: 'json',
  destination: lineDestination((line) => port.postMessage({ log: line } satisfies PublisherThreadLog)),
});
routeProcessWarnings(logger);
const kafka = createKafka(data.kafka, logger);
const publisher = new TransactionalPublisher({
  kafka,
  transactionalId: data.transactionalId,
  checkpointTopic: data.checkpointTopic,
  logger,
  transactionTimeoutMs: data.transactionTimeoutMs,
});

async function handle(request: PublisherThreadRequest): Promise<PublishResult | undefined> {
  switch (request.op) {
    case 'connect':
      return void (await publisher.connect());
    case 'disconnect':
      return void (await publisher.disconnect());
    case 'publish':
      return publisher.publish({ messages: request.messages, checkpoint: request.checkpoint });
  }
}

let queue: Promise<void> = Promise.resolve();
port.on('message', (request: PublisherThreadRequest) => {
  queue = queue.then(async () => {
    let response: PublisherThreadResponse;
    try {
      response = { id: request.id, ok: true, result: await handle(request) };
    } catch (err) {
      response = { id: request.id, ok: false, error: toWireError(err) };
    }
    port.postMessage(response);
  });
});
