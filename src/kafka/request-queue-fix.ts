import { createRequire } from 'node:module';

/**
 * kafkajs 2.2.4's request queue re-arms a timer after every answer, even with nothing queued: its
 * delay is then `throttledUntil - Date.now()` with `throttledUntil` at -1, a large negative number.
 * Node 24 warns about each one (TimeoutNegativeWarning) and the timer spins every millisecond
 * doing nothing. Upstream: tulios/kafkajs issue #1751 (open; PRs #1755, #1768). With nothing queued
 * and no throttle in force, there is nothing to check later: a request queued afterwards schedules
 * its own check (kafkajs's `push`). Idempotent; applied once by importing this module.
 */
interface RequestQueueInternals {
  pending: unknown[];
  throttledUntil: number;
  scheduleCheckPendingRequests(): void;
}

const PATCHED = Symbol.for('marketo-stream.kafkajs-request-queue-fix');

const require = createRequire(import.meta.url);
const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as {
  prototype: RequestQueueInternals & { [PATCHED]?: true };
};
const proto = RequestQueue.prototype;
if (!proto[PATCHED]) {
  const schedule = proto.scheduleCheckPendingRequests;
  proto.scheduleCheckPendingRequests = function (this: RequestQueueInternals) {
    if (this.pending.length === 0 && !(this.throttledUntil > Date.now())) return;
    schedule.call(this);
  };
  proto[PATCHED] = true;
}
