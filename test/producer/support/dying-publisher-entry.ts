// A publisher thread that dies the moment its second publish request arrives (before handling it):
// the real entry, plus a listener that ends the thread. For ThreadedPublisher's recovery test.
import { parentPort } from 'node:worker_threads';
import '../../../src/producer/publisher-thread-entry.ts';
import type { PublisherThreadRequest } from '../../../src/producer/publisher-thread.ts';

let publishes = 0;
parentPort?.on('message', (request: PublisherThreadRequest) => {
  if (request.op === 'publish' && ++publishes === 2) process.exit(3);
});
