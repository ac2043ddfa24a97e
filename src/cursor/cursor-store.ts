import type { Redis } from 'ioredis';
import { ErrorCodes, MarketoStreamError } from '../errors.ts';
import type { Logger } from '../log.ts';

/**
 * A committed cursor as mirrored to Redis. `seq` orders cursors of one stream (a later commit has a
 * greater seq); the runner decides every other field. Values must be JSON-serialisable.
 */
export interface StoredCursor {
  seq: number;
  /** ISO instant of the commit. */
  updatedAt: string;
  [k: string]: unknown;
}

/** Any cursor the store accepts: an object with `seq` and `updatedAt` (interfaces need no index signature). */
export type CursorLike = { seq: number; updatedAt: string };

/** Options of {@link CursorStore}. */
export interface CursorStoreOptions {
  redis: Redis;
  logger: Logger;
}

// Writes only when the new seq is greater than the stored one, replacing the whole hash so no field
// of an older cursor lingers. KEYS: cursor. ARGV: seq, then field/value pairs.
const SET_IF_NEWER = `
local stored = redis.call('HGET', KEYS[1], 'seq')
if stored and tonumber(stored) >= tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
return 1
`;

/** Fields shown as ISO instants when the cursor holds them as epoch ms. */
const DATE_FIELDS = ['activityDate', 'position', 'since', 'windowStart', 'windowEnd'];
/** Fields copied as plain strings for operators (the `json` field stays the source of truth). */
const TEXT_FIELDS = ['nextPageToken', 'phase', 'stream'];

function cursorKey(connection: string, stream: string): string {
  return `mkto:{${connection}}:cursor:${stream}`;
}

function isoOf(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return new Date(value).toISOString();
  if (typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  return undefined;
}

/** A window as an ISO-8601 interval (`start/end`) when it has start and end, else its JSON. */
function windowText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'object') {
    const w = value as { start?: unknown; end?: unknown };
    const start = isoOf(w.start);
    const end = isoOf(w.end);
    if (start && end) return `${start}/${end}`;
    return JSON.stringify(value);
  }
  return String(value);
}

function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, '\\$&');
}

/** Human-readable hash fields for operators, plus the full cursor as `json`. */
function toFields(c: CursorLike): string[] {
  const cursor = c as StoredCursor;
  const fields: string[] = ['seq', String(cursor.seq), 'updatedAt', cursor.updatedAt];
  for (const name of DATE_FIELDS) {
    const iso = isoOf(cursor[name]);
    if (iso !== undefined) fields.push(name, iso);
  }
  for (const name of TEXT_FIELDS) {
    const v = cursor[name];
    if (v !== undefined && v !== null) fields.push(name, String(v));
  }
  const window = windowText(cursor.window);
  if (window !== undefined) fields.push('window', window);
  fields.push('json', JSON.stringify(cursor));
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
    const json = await this.#redis.hget(cursorKey(connection, stream), 'json');
    return json === null ? undefined : (JSON.parse(json) as C);
  }

  /**
   * Stores `cursor` if its seq is greater than the stored one (an atomic compare-and-set).
   * Resolves true when written, false when a cursor at least as new was already there.
   */
  async set(connection: string, stream: string, cursor: CursorLike): Promise<boolean> {
    if (!Number.isSafeInteger(cursor.seq) || cursor.seq < 0) {
      throw new MarketoStreamError(
        ErrorCodes.CONFIG_INVALID,
        `cursor seq must be a non-negative integer, got ${cursor.seq}`,
        {
          field: 'seq',
        },
      );
    }
    const written = (await this.#redis.eval(
      SET_IF_NEWER,
      1,
      cursorKey(connection, stream),
      cursor.seq,
      ...toFields(cursor),
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
    await this.#redis.del(cursorKey(connection, stream));
  }

  /** Every stored cursor of `connection`, keyed by stream name. */
  async list<C extends CursorLike = StoredCursor>(connection: string): Promise<Record<string, C>> {
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
      const json = await this.#redis.hget(key, 'json');
      if (json !== null) out[key.slice(prefix.length)] = JSON.parse(json) as C;
    }
    return out;
  }
}
