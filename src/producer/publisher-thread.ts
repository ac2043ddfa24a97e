import { extname } from 'node:path';
import { Worker } from 'node:worker_threads';
import { type ErrorCode, ErrorCodes, MarketoStreamError } from '../errors.ts';
import type { KafkaClientSettings } from '../kafka/client.ts';
import { type Logger, relayLogLine } from '../log.ts';
import type { PackedMessages } from './packed-messages.ts';
import type { PublishBatch, Publisher, PublishResult } from './publisher.ts';

/** Options of {@link ThreadedPublisher}: what the thread needs to build its own Kafka client and publisher. */
export interface ThreadedPublisherOptions {
  kafka: KafkaClientSettings;
  transactionalId: string;
  checkpointTopic: string;
  logger: Logger;
  transactionTimeoutMs?: number;
  /** The thread's entry module (default: publisher-thread-entry); tests pass one that dies on cue. */
  entry?: URL;
}

/** What the thread is started with (`workerData`). */
export interface PublisherThreadData {
  kafka: KafkaClientSettings;
  transactionalId: string;
  checkpointTopic: string;
  transactionTimeoutMs?: number;
  /** The level of the thread's logger; its lines are relayed as {@link PublisherThreadLog} messages. */
  log: { level: string };
}

/** A log line of the thread (pino JSON), which the main thread logs through the publisher's logger. */
export interface PublisherThreadLog {
  log: string;
}

/** A call into the thread; a page's messages travel packed, their buffer transferred (moved, not copied). */
export type PublisherThreadRequest =
  | { id: number; op: 'connect' | 'disconnect' }
  | { id: number; op: 'publish'; messages: PackedMessages; checkpoint: PublishBatch['checkpoint'] };

/** An error as it crosses the thread boundary: what retry loops and fencing checks look at. */
export interface WireError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  type?: string;
  retriable?: boolean;
  retryAfterMs?: number;
}

/** The thread's answer to one request. */
export type PublisherThreadResponse =
  | { id: number; ok: true; result?: PublishResult }
  | { id: number; ok: false; error: WireError };

const KNOWN_CODES = new Set<string>(Object.values(ErrorCodes));

/** Flattens an error for postMessage, keeping the fields callers act on (code, kafkajs type, retriable). */
export function toWireError(err: unknown): WireError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const { code, type, retriable, retryAfterMs } = err as Error & Partial<Omit<WireError, 'name' | 'message'>>;
  return {
    name: err.name,
    message: err.message,
    stack: err.stack,
    ...(typeof code === 'string' ? { code } : {}),
    ...(typeof type === 'string' ? { type } : {}),
    ...(typeof retriable === 'boolean' ? { retriable } : {}),
    ...(typeof retryAfterMs === 'number' ? { retryAfterMs } : {}),
  };
}

/** Rebuilds a thread's error: our codes become MarketoStreamError again, anything else an Error carrying name, code, type and retriable. */
export function fromWireError(wire: WireError): Error {
  const err =
    wire.code !== undefined && KNOWN_CODES.has(wire.code)
      ? new MarketoStreamError(wire.code as ErrorCode, wire.message, {
          retriable: wire.retriable,
          retryAfterMs: wire.retryAfterMs,
        })
      : Object.assign(new Error(wire.message), {
          name: wire.name,
          ...(wire.code === undefined ? {} : { code: wire.code }),
          ...(wire.type === undefined ? {} : { type: wire.type }),
          ...(wire.retriable === undefined ? {} : { retriable: wire.retriable }),
        });
  if (wire.stack) err.stack = wire.stack;
  return err;
}

/**
 * The thread's young generation. kafkajs's garbage dies young, so a nursery smaller than the
 * main thread's (`--max-semi-space-size=8`) keeps the throughput and saves memory (bench/README.md).
 */
const THREAD_YOUNG_GENERATION_MB = 16;

// The entry runs as .ts from the sources and as .js from the build: same extension as this module.
const ENTRY = new URL(`./publisher-thread-entry${extname(new URL(import.meta.url).pathname)}`, import.meta.url);

/**
 * A {@link Publisher} whose kafkajs producer runs on a worker thread of its own, so encoding and
 * sending Kafka requests (the bulk of a page's CPU) overlap with fetching and Avro-encoding the
 * next page on the main thread. Same contract and guarantees as TransactionalPublisher, which it
 * runs inside the thread. If the thread dies, pending calls fail as retriable and the next
 * `publish` starts a new thread and connects it again (fencing the dead one's transaction).
 */
export class ThreadedPublisher implements Publisher {
  readonly #options: ThreadedPublisherOptions;
  readonly #logger: Logger;
  #worker: Worker | undefined;
  #nextId = 0;
  readonly #pending = new Map<
    number,
    { worker: Worker; resolve: (r: PublishResult | undefined) => void; reject: (e: Error) => void }
  >();

  constructor(options: ThreadedPublisherOptions) {
    this.#options = options;
    this.#logger = options.logger.child({ component: 'publisher-thread', transactionalId: options.transactionalId });
  }

  async connect(): Promise<void> {
    await this.#call({ op: 'connect' });
  }

  async publish(batch: PublishBatch): Promise<PublishResult> {
    if (!this.#worker) await this.connect();
    const result = await this.#call({ op: 'publish', batch });
    if (!result) {
      throw new MarketoStreamError(
        ErrorCodes.PUBLISHER_THREAD_FAILED,
        'publisher thread answered a publish without a result',
      );
    }
    return result;
  }

  /** Disconnects the producer and stops the thread. */
  async disconnect(): Promise<void> {
    const worker = this.#worker;
    if (!worker) return;
    try {
      await this.#call({ op: 'disconnect' });
    } finally {
      this.#worker = undefined;
      await worker.terminate();
    }
  }

  #call(request: { op: 'connect' | 'disconnect' } | { op: 'publish'; batch: PublishBatch }) {
    const worker = this.#worker ?? this.#start();
    const id = ++this.#nextId;
    return new Promise<PublishResult | undefined>((resolve, reject) => {
      this.#pending.set(id, { worker, resolve, reject });
      try {
        if (request.op === 'publish') {
          const { messages, checkpoint } = request.batch;
          const call: PublisherThreadRequest = { id, op: 'publish', messages, checkpoint };
          worker.postMessage(call, [messages.buffer]);
        } else worker.postMessage({ id, op: request.op } satisfies PublisherThreadRequest);
      } catch (err) {
        // A page that could not be posted: nothing reached the thread.
        this.#pending.delete(id);
        reject(err);
      }
    });
  }

  #start(): Worker {
    const { kafka, transactionalId, checkpointTopic, transactionTimeoutMs } = this.#options;
    const data: PublisherThreadData = {
      kafka: { clientId: kafka.clientId, brokers: [...kafka.brokers], ssl: kafka.ssl, sasl: kafka.sasl },
      transactionalId,
      checkpointTopic,
      transactionTimeoutMs,
      log: { level: this.#logger.level },
    };
    const worker = new Worker(this.#options.entry ?? ENTRY, {
      workerData: data,
      name: `publisher ${transactionalId}`,
      resourceLimits: { maxYoungGenerationSizeMb: THREAD_YOUNG_GENERATION_MB },
    });
    worker.on('message', (message: PublisherThreadResponse | PublisherThreadLog) => {
      if ('log' in message) return relayLogLine(this.#options.logger, message.log);
      const response = message;
      const call = this.#pending.get(response.id);
      if (!call) return;
      this.#pending.delete(response.id);
      if (response.ok) call.resolve(response.result);
      else call.reject(fromWireError(response.error));
    });
    const fail = (err: Error) => {
      if (this.#worker === worker) this.#worker = undefined;
      for (const [id, call] of this.#pending) {
        if (call.worker !== worker) continue;
        this.#pending.delete(id);
        call.reject(err);
      }
    };
    worker.on('error', (err: Error) => {
      this.#logger.error({ err }, 'publisher thread failed');
      fail(
        new MarketoStreamError(ErrorCodes.PUBLISHER_THREAD_FAILED, `publisher thread failed: ${err.message}`, {
          retriable: true,
          cause: err,
        }),
      );
    });
    worker.on('exit', (code) =>
      fail(
        new MarketoStreamError(ErrorCodes.PUBLISHER_THREAD_FAILED, `publisher thread exited (code ${code})`, {
          retriable: true,
        }),
      ),
    );
    this.#worker = worker;
    return worker;
  }
}
