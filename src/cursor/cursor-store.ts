import type { Redis } from 'ioredis';
import { ErrorCodes, MarketoStreamError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { redisCall } from '../redis/errors.ts';

/**
 * A committed cursor as read back from Redis. `seq` orders cursors of one stream (a later commit
 * has a greater seq); the runner decides every other field. Values must be JSON-serialisable.
 */
export interface StoredCursor {
  seq: number;
  /** ISO instant of the commit. */
  updatedAt: string;
  [k: string]: unknown;
}

/**
 * Any cursor the store accepts: an object with `seq` and `updatedAt` (interfaces need no index
 * signature). `json` is the store's own hash field, so a cursor cannot have one.
 */
export type CursorLike = { seq: number; updatedAt: string; json?: never };

/** Options of {@link CursorStore}. */
export interface CursorStoreOptions {
  redis: Redis;
  logger: Logger;
}

/** The hash field holding the whole cursor: what `get` and `list` read. */
const JSON_FIELD = 'json';

// Writes only when the new seq is greater than the stored one, replacing the whole hash so no field
// of an older cursor lingers. KEYS: cursor. ARGV: seq, then field/value pairs.
const SET_IF_NEWER = `
local stored = redis.call('HGET', KEYS[1], 'seq')
if stored and tonumber(stored) >= tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
return 1
`;

function cursorKey(connection: string, stream: string): string {
  return `mkto:{${connection}}:cursor:${stream}`;
}

function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, '\\$&');
}

/**
 * The hash fields mirroring `cursor`: one per top-level field it holds, so no field of any cursor
 * type can be left out (strings as they are, since cursors keep dates as ISO strings; numbers,
 * arrays and objects as JSON; absent fields omitted), plus the whole cursor as `json`.
 */
function cursorHashFields(cursor: CursorLike): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(cursor)) {
    if (value === undefined) continue;
    fields[name] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  fields[JSON_FIELD] = JSON.stringify(cursor);
  return fields;
}

/**
 * The Redis mirror of committed cursors, one hash per connection and stream
 * (`mkto:{<connection>}:cursor:<stream>`). Kafka's checkpoint is the truth; this copy is what
 * operators read and what a restart starts from when it is further ahead. A write never moves a
 * cursor backwards: a late writer with a smaller or equal `seq` is ignored.
 */
export class CursorStore {
  readonly #redis: Redis;
  readonly #logger: Logger;

  constructor(options: CursorStoreOptions) {
    this.#redis = options.redis;
    this.#logger = options.logger.child({ component: 'cursor-store' });
  }

  /** The stored cursor of `stream`, or undefined when none was ever committed. */
  async get<C extends CursorLike = StoredCursor>(connection: string, stream: string): Promise<C | undefined> {
    const json = await redisCall(() => this.#redis.hget(cursorKey(connection, stream), JSON_FIELD));
    return json === null ? undefined : (JSON.parse(json) as C);
  }

  /**
   * Stores `cursor` if its seq is greater than the stored one (an atomic compare-and-set).
   * Resolves true when written, false when a cursor at least as new was already there.
   */
  async set(connection: string, stream: string, cursor: CursorLike): Promise<boolean> {
    if (!Number.isSafeInteger(cursor.seq) || cursor.seq < 0) {
      throw new MarketoStreamError(
        ErrorCodes.CURSOR_INVALID,
        `cursor seq must be a non-negative integer, got ${cursor.seq}`,
        { field: 'seq' },
      );
    }
    const written = (await redisCall(() =>
      this.#redis.eval(
        SET_IF_NEWER,
        1,
        cursorKey(connection, stream),
        cursor.seq,
        ...Object.entries(cursorHashFields(cursor)).flat(),
      ),
    )) as number;
    if (written !== 1) {
      this.#logger.debug(
        { connection, stream, seq: cursor.seq },
        'stale cursor not mirrored: Redis already holds a newer one',
      );
    }
    return written === 1;
  }

  /** Deletes the stored cursor of `stream` (`cursor reset`: the checkpoint topic was reset first). */
  async remove(connection: string, stream: string): Promise<void> {
    await redisCall(() => this.#redis.del(cursorKey(connection, stream)));
  }

  /** Every stored cursor of `connection`, keyed by stream name (operators' tools and the demo read it). */
  async list<C extends CursorLike = StoredCursor>(connection: string): Promise<Record<string, C>> {
    return redisCall(() => this.#list<C>(connection));
  }

  async #list<C extends CursorLike>(connection: string): Promise<Record<string, C>> {
    const prefix = cursorKey(connection, '');
    const keys: string[] = [];
    let scanCursor = '0';
    do {
      const [next, batch] = await this.#redis.scan(scanCursor, 'MATCH', `${escapeGlob(prefix)}*`, 'COUNT', 200);
      scanCursor = next;
      keys.push(...batch);
    } while (scanCursor !== '0');
    const out: Record<string, C> = {};
    for (const key of [...new Set(keys)].sort()) {
      const json = await this.#redis.hget(key, JSON_FIELD);
      if (json !== null) out[key.slice(prefix.length)] = JSON.parse(json) as C;
    }
    return out;
  }
}
