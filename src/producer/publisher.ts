import { type Kafka, Partitioners, type Producer, type ProducerConfig, type RecordMetadata } from 'kafkajs';
import { ErrorCodes, MarketoStreamError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { type PackedMessages, unpackMessages } from './packed-messages.ts';

/** Where a transaction's records landed: the first offset it wrote in one topic-partition. */
export interface WrittenPartition {
  topic: string;
  partition: number;
  baseOffset: string;
}

/** A page of records and the checkpoint that says they are published, committed together. */
export interface PublishBatch {
  /** The page's records, packed by a MessagePacker; publishing takes the buffer over (a thread may detach it). */
  messages: PackedMessages;
  checkpoint: {
    key: string;
    /** The checkpoint, written as JSON. */
    value: object;
  };
}

/** What one committed publish wrote. */
export interface PublishResult {
  /** Every topic-partition the page's records went to, with the first offset written there. */
  partitions: WrittenPartition[];
  /** Messages written per topic. */
  counts: Record<string, number>;
  /** Where the checkpoint record landed. */
  checkpoint: WrittenPartition;
}

/**
 * Publishes pages exactly once for one connection: `connect` takes over the connection's
 * transactional id (fencing older producers), `publish` commits a page and its checkpoint in one
 * transaction, `disconnect` closes. One publish at a time.
 */
export interface Publisher {
  connect(): Promise<void>;
  publish(batch: PublishBatch): Promise<PublishResult>;
  disconnect(): Promise<void>;
}

export interface TransactionalPublisherOptions {
  kafka: Kafka;
  /** One per Marketo connection: a newer producer with the same id fences this one. */
  transactionalId: string;
  /** The compacted checkpoint topic. */
  checkpointTopic: string;
  logger: Logger;
  /** Broker-side timeout of an open transaction (kafkajs default 60 s). */
  transactionTimeoutMs?: number;
}

// Kafka answers a zombie producer with one of these, depending on the request and its version.
const FENCED_TYPES = new Set([
  'INVALID_PRODUCER_EPOCH',
  'PRODUCER_FENCED',
  'TRANSACTION_COORDINATOR_FENCED',
  'INVALID_PRODUCER_ID_MAPPING',
]);
const PRODUCER_FENCED_CODE = 90; // unknown to kafkajs 2.2.4, which reports it as an unknown error

/**
 * The kafkajs producer settings of every transactional publisher (exported so benchmarks compare
 * against exactly these): idempotent, one request in flight, Java-compatible partitioning.
 */
export function transactionalProducerConfig(transactionalId: string, transactionTimeoutMs?: number): ProducerConfig {
  return {
    idempotent: true,
    maxInFlightRequests: 1,
    transactionalId,
    createPartitioner: Partitioners.DefaultPartitioner,
    // Right after a commit the coordinator may still be writing its markers and answers the
    // next transaction with CONCURRENT_TRANSACTIONS; kafkajs's default first retry (300 ms)
    // would stall every page, so retry fast, as the Java client does (20 ms).
    // Unlimited retries, as kafkajs wants for an idempotent producer (limiting them risks EoS):
    // a broker outage stalls the worker until Kafka is back rather than failing it.
    retry: { initialRetryTime: 20, maxRetryTime: 2_000, retries: Number.MAX_SAFE_INTEGER, factor: 0.2, multiplier: 2 },
    ...(transactionTimeoutMs === undefined ? {} : { transactionTimeout: transactionTimeoutMs }),
  };
}

/**
 * Exactly-once publisher for one connection (KIP-618 style): each {@link publish} writes a page
 * of records and its checkpoint in one Kafka transaction, so a read_committed consumer sees both
 * or neither. A second publisher with the same transactionalId fences this one: every call then
 * throws MarketoStreamError(FENCED). Not for concurrent use: one publish at a time.
 */
export class TransactionalPublisher implements Publisher {
  readonly #options: TransactionalPublisherOptions;
  readonly #checkpointTopic: string;
  readonly #logger: Logger;
  /** None while disconnected: the next connect builds a fresh one (and takes the transactional id over again). */
  #producer: Producer | undefined;
  #fenced = false;
  #needsReset = false;

  constructor(options: TransactionalPublisherOptions) {
    this.#options = options;
    this.#checkpointTopic = options.checkpointTopic;
    this.#logger = options.logger.child({ component: 'publisher', transactionalId: options.transactionalId });
  }

  /** The kafkajs producer, built on first use after construction or a disconnect. */
  #current(): Producer {
    if (!this.#producer) {
      const { kafka, transactionalId, transactionTimeoutMs } = this.#options;
      this.#producer = kafka.producer(transactionalProducerConfig(transactionalId, transactionTimeoutMs));
    }
    return this.#producer;
  }

  /**
   * Connects and registers the transactional id, which fences any older producer with the same
   * id and aborts its open transaction. Resolves once this publisher owns the id. Called again
   * after a failed publish, it settles that publish's transaction before resolving. Called after
   * {@link disconnect}, it builds a fresh producer, which takes the transactional id over again.
   */
  async connect(): Promise<void> {
    // After a failed publish, connecting again means a fresh producer: its InitProducerId makes the
    // coordinator finish the failed transaction first (a commit whose answer was lost completes).
    if (this.#needsReset) return this.#reset();
    const producer = this.#current();
    await producer.connect();
    // kafkajs only runs InitProducerId for a transactional id at its first transaction; begin
    // and abort an empty one (no EndTxn is sent for it) so fencing happens here, not mid-page.
    const txn = await this.#guard(() => producer.transaction());
    await this.#guard(() => txn.abort());
  }

  /**
   * Publishes `batch.messages` and the checkpoint (JSON, key `batch.checkpoint.key`) in one
   * transaction and resolves once it is committed. On failure the transaction is aborted and the
   * error rethrown (nothing of the batch is visible to read_committed consumers); a fenced
   * producer throws MarketoStreamError(FENCED).
   */
  async publish(batch: PublishBatch): Promise<PublishResult> {
    if (this.#fenced) throw this.#fencedError();
    if (this.#needsReset) await this.#reset();
    const producer = this.#current();
    const txn = await this.#guard(() => producer.transaction());
    try {
      const topicMessages = unpackMessages(batch.messages);
      const counts: Record<string, number> = {};
      for (const t of topicMessages) counts[t.topic] = t.messages.length;
      const checkpointMessage = {
        topic: this.#checkpointTopic,
        messages: [{ key: batch.checkpoint.key, value: JSON.stringify(batch.checkpoint.value) }],
      };
      const metadata = await txn.sendBatch({ topicMessages: [...topicMessages, checkpointMessage] });
      const written = toWritten(metadata.filter((m) => m.topicName !== this.#checkpointTopic));
      const checkpoint = toWritten(metadata.filter((m) => m.topicName === this.#checkpointTopic))[0];
      if (!checkpoint) {
        throw new MarketoStreamError(
          ErrorCodes.KAFKA_UNEXPECTED_RESPONSE,
          `no produce response for checkpoint topic ${this.#checkpointTopic}`,
        );
      }
      await txn.commit();
      return { partitions: written, counts, checkpoint };
    } catch (err) {
      if (isFenced(err)) {
        this.#fenced = true;
        throw this.#fencedError(err);
      }
      // kafkajs rolls back its sequence numbers for every partition of a failed produce request,
      // including partitions the broker did write. Reusing them makes the broker drop the next
      // transaction's records as duplicates of the aborted ones, silently. So after any failure
      // the producer is replaced (new epoch, sequences from 0) before it publishes again.
      this.#needsReset = true;
      if (txn.isActive()) {
        try {
          await txn.abort();
        } catch (abortErr) {
          // The original failure is what the caller must see; the abort failure is only logged.
          this.#logger.warn({ err: abortErr }, 'aborting the failed transaction failed');
          if (isFenced(abortErr)) this.#fenced = true;
        }
      }
      throw err;
    }
  }

  /**
   * Disconnects the producer (an open transaction is left to the broker's timeout) and lets it go,
   * with its broker connections and buffers: an idle connection holds none of them.
   */
  async disconnect(): Promise<void> {
    const producer = this.#producer;
    this.#producer = undefined;
    await producer?.disconnect();
  }

  /** Replaces the kafkajs producer by a fresh one for the same transactionalId (bumping its epoch). */
  async #reset(): Promise<void> {
    this.#logger.info('replacing the producer after a failed publish');
    await this.disconnect().catch((err: unknown) => this.#logger.warn({ err }, 'disconnect failed'));
    this.#needsReset = false;
    try {
      await this.connect();
    } catch (err) {
      this.#needsReset = true;
      throw err;
    }
  }

  async #guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isFenced(err)) {
        this.#fenced = true;
        throw this.#fencedError(err);
      }
      throw err;
    }
  }

  #fencedError(cause?: unknown): MarketoStreamError {
    return new MarketoStreamError(
      ErrorCodes.FENCED,
      'another producer with the same transactionalId took over this connection; stop publishing for it',
      cause === undefined ? {} : { cause },
    );
  }
}

/** Whether a kafkajs error (or anything it wraps) says this producer was fenced. */
export function isFenced(err: unknown): boolean {
  const seen = new Set<unknown>();
  const walk = (e: unknown): boolean => {
    if (!e || typeof e !== 'object' || seen.has(e)) return false;
    seen.add(e);
    const { type, code, cause, originalError, errors } = e as {
      type?: unknown;
      code?: unknown;
      cause?: unknown;
      originalError?: unknown;
      errors?: unknown;
    };
    if (typeof type === 'string' && FENCED_TYPES.has(type)) return true;
    if (code === PRODUCER_FENCED_CODE) return true;
    if (walk(cause) || walk(originalError)) return true;
    return Array.isArray(errors) && errors.some(walk);
  };
  return walk(err);
}

function toWritten(metadata: RecordMetadata[]): WrittenPartition[] {
  return metadata.map((m) => ({ topic: m.topicName, partition: m.partition, baseOffset: m.baseOffset ?? '-1' }));
}
