import { COMPATIBILITY, type SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { ErrorCodes, MarketoStreamError } from '../errors.ts';

/** An Avro schema as JSON (a record schema such as `activitySchema`). */
export type AvroSchemaJson = object;

/** The subject of a topic's value schema (Confluent TopicNameStrategy). */
export function valueSubject(topic: string): string {
  return `${topic}-value`;
}

/** First byte of the Confluent wire format. */
const MAGIC_BYTE = 0;
/** Magic byte + big-endian int32 schema id. */
const WIRE_HEADER_LENGTH = 5;

export interface SchemaCatalogOptions {
  /** The registry client (its `host` is the Confluent-compatible API root). */
  registry: SchemaRegistry;
  /** The same API root, e.g. `http://127.0.0.1:8081/apis/ccompat/v7`: used to pin each subject to BACKWARD. */
  registryUrl: string;
  /** HTTP for the compatibility call (defaults to global fetch); pass one to add auth or mock. */
  fetch?: typeof globalThis.fetch;
}

/**
 * The schemas of marketo-stream: registers value schemas under `<topic>-value` with BACKWARD
 * compatibility, and encodes records in the Confluent wire format.
 *
 * Encoding is the hot path: the avsc Type of a schema id is resolved once, when it is registered,
 * after which {@link SchemaCatalog.encodeInto} writes header and body straight into the caller's buffer.
 */
export class SchemaCatalog {
  readonly #registry: SchemaRegistry;
  readonly #registryUrl: string;
  readonly #fetch: typeof globalThis.fetch;
  readonly #ids = new Map<string, Promise<number>>();
  readonly #pinned = new Map<string, Promise<void>>();
  readonly #types = new Map<number, avro.Type>();

  constructor(options: SchemaCatalogOptions) {
    this.#registry = options.registry;
    this.#registryUrl = options.registryUrl.replace(/\/+$/, '');
    this.#fetch = options.fetch ?? globalThis.fetch;
  }

  /**
   * The latest value schema registered for `topic` (subject `<topic>-value`), or undefined when
   * the subject has none: generators that evolve a schema (leads) keep a changed field's
   * registered type with it. Throws (retriable) when the registry cannot be reached.
   */
  async latest(topic: string): Promise<object | undefined> {
    const url = `${this.#registryUrl}/subjects/${encodeURIComponent(valueSubject(topic))}/versions/latest`;
    let res: Response;
    try {
      res = await this.#fetch(url, { headers: { accept: 'application/vnd.schemaregistry.v1+json' } });
    } catch (err) {
      if (err instanceof MarketoStreamError) throw err; // already classified (e.g. credentials rejected)
      throw new MarketoStreamError(
        ErrorCodes.REGISTRY_UNAVAILABLE,
        `schema registry unreachable at ${url}: ${(err as Error).message}`,
        { retriable: true, cause: err },
      );
    }
    const body = await res.text();
    if (res.status === 404) return undefined;
    if (!res.ok) {
      const failed = res.status >= 500;
      throw new MarketoStreamError(
        failed ? ErrorCodes.REGISTRY_UNAVAILABLE : ErrorCodes.SCHEMA_REJECTED,
        `schema registry answered HTTP ${res.status} for ${url}: ${body}`,
        { retriable: failed, status: res.status },
      );
    }
    const schema = (JSON.parse(body) as { schema?: string }).schema;
    return schema ? (JSON.parse(schema) as object) : undefined;
  }

  /**
   * Registers `schema` as the value schema of `topic` (subject `<topic>-value`, BACKWARD) and
   * returns its id; registering an identical schema again returns the same id without a call.
   * Throws MarketoStreamError(SCHEMA_REJECTED) naming the subject and the registry's reason
   * when the schema is invalid or incompatible with the subject's earlier versions.
   */
  register(topic: string, schema: AvroSchemaJson): Promise<number> {
    const subject = valueSubject(topic);
    const cacheKey = `${subject}\u0000${JSON.stringify(schema)}`;
    let id = this.#ids.get(cacheKey);
    if (!id) {
      id = this.#register(subject, schema);
      // A failed attempt must not be cached: the next call asks the registry again.
      id.catch(() => this.#ids.delete(cacheKey));
      this.#ids.set(cacheKey, id);
    }
    return id;
  }

  async #register(subject: string, schema: AvroSchemaJson): Promise<number> {
    const type = parseSchema(subject, schema);
    await this.#pinBackward(subject);
    try {
      const { id } = await this.#registry.register(schema as Parameters<SchemaRegistry['register']>[0], {
        subject,
        compatibility: COMPATIBILITY.BACKWARD,
      });
      this.#types.set(id, type);
      return id;
    } catch (err) {
      const status = (err as { status?: unknown }).status;
      const name = (err as { name?: unknown }).name;
      if (status === 409 || status === 422 || name === 'ConfluentSchemaRegistryCompatibilityError') {
        throw new MarketoStreamError(
          ErrorCodes.SCHEMA_REJECTED,
          `schema registry rejected the schema for subject "${subject}": ${(err as Error).message}`,
          { status: typeof status === 'number' ? status : undefined, cause: err },
        );
      }
      if (err instanceof MarketoStreamError || (typeof status === 'number' && status > 0 && status < 500)) throw err;
      // No answer, or a 5xx: the registry is down for now; producing waits for it.
      throw new MarketoStreamError(
        ErrorCodes.REGISTRY_UNAVAILABLE,
        `schema registry unavailable registering subject "${subject}": ${(err as Error).message}`,
        { retriable: true, cause: err },
      );
    }
  }

  /**
   * Sets the subject's own compatibility to BACKWARD (once per subject per process). Needed
   * because Apicurio answers `GET /config/{subject}` with the global level for a subject without
   * its own rule, and the client refuses to register when that differs from what it was asked.
   */
  #pinBackward(subject: string): Promise<void> {
    let pinned = this.#pinned.get(subject);
    if (!pinned) {
      pinned = this.#putCompatibility(subject);
      pinned.catch(() => this.#pinned.delete(subject));
      this.#pinned.set(subject, pinned);
    }
    return pinned;
  }

  async #putCompatibility(subject: string): Promise<void> {
    const url = `${this.#registryUrl}/config/${encodeURIComponent(subject)}`;
    let res: Response;
    let body: string;
    try {
      res = await this.#fetch(url, {
        method: 'PUT',
        headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
        body: JSON.stringify({ compatibility: COMPATIBILITY.BACKWARD }),
      });
      body = await res.text();
    } catch (err) {
      if (err instanceof MarketoStreamError) throw err;
      throw new MarketoStreamError(
        ErrorCodes.REGISTRY_UNAVAILABLE,
        `schema registry unreachable at ${url}: ${(err as Error).message}`,
        { retriable: true, cause: err },
      );
    }
    if (res.status >= 500) {
      throw new MarketoStreamError(
        ErrorCodes.REGISTRY_UNAVAILABLE,
        `schema registry answered HTTP ${res.status} for ${url}`,
        {
          retriable: true,
          status: res.status,
        },
      );
    }
    // 404: a registry that only configures existing subjects; the client sets it after the first version.
    if (!res.ok && res.status !== 404) {
      throw new MarketoStreamError(
        ErrorCodes.SCHEMA_REJECTED,
        `schema registry refused BACKWARD compatibility for subject "${subject}": HTTP ${res.status} ${body}`,
        { status: res.status },
      );
    }
  }

  /**
   * Writes `value` in the Confluent wire format into `out` from `at`, for a schema id registered
   * by this catalog: the hot path, with no buffer of its own. Returns the end of what it wrote, or
   * minus the bytes it lacked when `out` is too short (avsc's contract; what it wrote is then
   * garbage). Throws ENCODING_FAILED naming the invalid paths.
   */
  encodeInto(schemaId: number, value: unknown, out: Buffer, at: number): number {
    const type = this.#types.get(schemaId);
    if (!type) {
      throw new MarketoStreamError(
        ErrorCodes.ENCODING_FAILED,
        `schema id ${schemaId} is not registered by this catalog: register it first`,
      );
    }
    const body = at + WIRE_HEADER_LENGTH;
    if (body >= out.length) return out.length - body - 1;
    let end: number;
    try {
      end = type.encode(value, out, body);
    } catch (err) {
      throw encodingError(type, schemaId, value, err);
    }
    if (end < 0) return end;
    out.writeUInt8(MAGIC_BYTE, at);
    out.writeInt32BE(schemaId, at + 1);
    return end;
  }
}

function parseSchema(subject: string, schema: AvroSchemaJson): avro.Type {
  try {
    return avro.Type.forSchema(schema as avro.Schema);
  } catch (err) {
    throw new MarketoStreamError(
      ErrorCodes.SCHEMA_REJECTED,
      `invalid Avro schema for subject "${subject}": ${(err as Error).message}`,
      { cause: err },
    );
  }
}

function encodingError(type: avro.Type, schemaId: number, value: unknown, cause: unknown): MarketoStreamError {
  const paths: string[] = [];
  type.isValid(value, { errorHook: (path) => paths.push(path.join('.') || '<root>') });
  const where = paths.length > 0 ? ` at ${paths.join(', ')}` : '';
  return new MarketoStreamError(
    ErrorCodes.ENCODING_FAILED,
    `value does not match schema ${schemaId}${where}: ${(cause as Error).message}`,
    { cause },
  );
}
