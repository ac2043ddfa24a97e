import type { IHeaders, Message, TopicMessages } from 'kafkajs';

/**
 * A page of messages packed into one ArrayBuffer by a {@link MessagePacker} (values may be encoded
 * straight into it), to cross to the producer thread as a single transferable block: structured
 * clone would copy every key, header and value one by one, and the thread would then rebuild
 * thousands of strings and objects on the path every page waits on.
 * Topic and header names are listed once; keys, values and header values are bytes. A Buffer header
 * value repeated on the page (the same Buffer object, e.g. a constant CloudEvents attribute) is
 * stored once.
 */
export interface PackedMessages {
  buffer: ArrayBuffer;
  /** Bytes of `buffer` in use. */
  byteLength: number;
  count: number;
  topics: string[];
  headerNames: string[];
}

/**
 * Writes a message value straight into the page: `at` is where it starts in `out`. Returns the
 * end of what it wrote, or minus the bytes it lacked when `out` is too short (avsc's
 * `Type.encode` contract); the page then grows and calls it again.
 */
export type ValueWriter = (out: Buffer, at: number) => number;

const NULL_LENGTH = -1;
/** A header value's length field: the value follows (i32 length + bytes) and is the page's next shared value. */
const SHARED_NEW = -2;
/** A header value's length field at or below this: shared value number `SHARED_BASE - length`. */
const SHARED_BASE = -3;
const DEFAULT_CAPACITY = 64 * 1024;

/** Index of `name` in `list`, added when new (lists hold a handful of names). */
function indexIn(list: string[], index: Map<string, number>, name: string): number {
  let i = index.get(name);
  if (i === undefined) {
    i = list.length;
    list.push(name);
    index.set(name, i);
  }
  return i;
}

/**
 * Packs messages into one growing buffer, in the order added. Layout per message: u16 topic index,
 * i32 key length + UTF-8 key, i32 value length (-1: null) + value, u16 header count, then per
 * header u16 name index and i32 length + value bytes (-2: a value stored once for the page, then
 * its i32 length + bytes; ≤ -3: a reference to one). Not reusable after
 * {@link MessagePacker.finish}.
 */
export class MessagePacker {
  #buffer: ArrayBuffer;
  #out: Buffer;
  #at = 0;
  #count = 0;
  readonly #topics: string[] = [];
  readonly #topicIndex = new Map<string, number>();
  readonly #headerNames: string[] = [];
  readonly #nameIndex = new Map<string, number>();
  /** Header values stored once for the page, in order, and their numbers. */
  readonly #shared: Buffer[] = [];
  readonly #sharedIndex = new Map<Buffer, number>();

  /** `capacity`: bytes to start with (the page grows as needed; the previous page's size is a good guess). */
  constructor(capacity = DEFAULT_CAPACITY) {
    this.#buffer = new ArrayBuffer(Math.max(capacity, 1024));
    this.#out = Buffer.from(this.#buffer);
  }

  /** Messages added so far. */
  get count(): number {
    return this.#count;
  }

  /**
   * Appends one message. `value` is bytes, null (a tombstone), or a {@link ValueWriter} that encodes
   * straight into the page. When the writer throws, nothing of the message stays on the page and
   * the error is rethrown. An array header value is sent as repeated headers, as kafkajs does.
   */
  add(topic: string, key: string, value: Buffer | null | ValueWriter, headers?: IHeaders): void {
    const start = this.#at;
    const sharedBefore = this.#shared.length;
    try {
      this.#ensure(2);
      this.#u16(indexIn(this.#topics, this.#topicIndex, topic));
      this.#bytes(key);
      if (value === null) this.#i32(NULL_LENGTH);
      else if (typeof value === 'function') this.#written(value);
      else this.#bytes(value);
      this.#headers(headers);
    } catch (err) {
      this.#at = start;
      for (const v of this.#shared.splice(sharedBefore)) this.#sharedIndex.delete(v);
      throw err;
    }
    this.#count++;
  }

  /** The packed page. The packer must not be used afterwards. */
  finish(): PackedMessages {
    return {
      buffer: this.#buffer,
      byteLength: this.#at,
      count: this.#count,
      topics: this.#topics,
      headerNames: this.#headerNames,
    };
  }

  #headers(headers: IHeaders | undefined): void {
    this.#ensure(2);
    const countAt = this.#at;
    this.#at += 2;
    let count = 0;
    if (headers) {
      for (const name of Object.keys(headers)) {
        const v = headers[name];
        if (v === undefined) continue;
        const nameIndex = indexIn(this.#headerNames, this.#nameIndex, name);
        if (!Array.isArray(v)) {
          this.#header(name, nameIndex, v);
          count++;
        } else {
          for (const one of v) this.#header(name, nameIndex, one);
          count += v.length;
        }
      }
    }
    this.#out.writeUInt16LE(count, countAt);
  }

  #header(name: string, nameIndex: number, v: Buffer | string): void {
    this.#ensure(2 + 4);
    this.#u16(nameIndex);
    if (typeof v === 'string') {
      this.#bytes(v);
      return;
    }
    if (!Buffer.isBuffer(v)) throw new TypeError(`header "${name}" must be a string or a Buffer, got ${typeof v}`);
    const shared = this.#sharedIndex.get(v);
    if (shared !== undefined) {
      this.#i32(SHARED_BASE - shared);
      return;
    }
    this.#sharedIndex.set(v, this.#shared.length);
    this.#shared.push(v);
    this.#i32(SHARED_NEW);
    this.#bytes(v);
  }

  /** i32 length, then the bytes (a string as UTF-8). */
  #bytes(v: Buffer | string): void {
    const max = typeof v === 'string' ? v.length * 3 : v.length;
    this.#ensure(4 + max);
    const n = typeof v === 'string' ? this.#out.write(v, this.#at + 4) : v.copy(this.#out, this.#at + 4);
    this.#i32(n);
    this.#at += n;
  }

  /** i32 length, then what `write` wrote after it (growing the page until it fits). */
  #written(write: ValueWriter): void {
    for (;;) {
      this.#ensure(4);
      const end = write(this.#out, this.#at + 4);
      if (end >= 0) {
        this.#i32(end - this.#at - 4);
        this.#at = end;
        return;
      }
      this.#ensure(4 + (this.#out.length - this.#at - 4) - end);
    }
  }

  #u16(v: number): void {
    this.#out.writeUInt16LE(v, this.#at);
    this.#at += 2;
  }

  #i32(v: number): void {
    this.#out.writeInt32LE(v, this.#at);
    this.#at += 4;
  }

  /** Makes room for `bytes` more from the current position. */
  #ensure(bytes: number): void {
    if (this.#at + bytes <= this.#out.length) return;
    const buffer = new ArrayBuffer(Math.max(this.#out.length * 2, this.#at + bytes));
    const out = Buffer.from(buffer);
    this.#out.copy(out, 0, 0, this.#at);
    this.#buffer = buffer;
    this.#out = out;
  }
}

/** One record to publish, as an object. */
export interface PublishMessage {
  topic: string;
  key: string;
  /** Null publishes a tombstone (a deletion on a compacted topic). */
  value: Buffer | null;
  headers?: IHeaders;
}

/** Packs messages already built as objects (order kept). */
export function packMessages(messages: readonly PublishMessage[]): PackedMessages {
  const packer = new MessagePacker();
  for (const m of messages) packer.add(m.topic, m.key, m.value, m.headers);
  return packer.finish();
}

/**
 * The messages of a packed page as kafkajs takes them, grouped by topic (topics in order of first
 * appearance, messages in page order): keys, values and header values are Buffers that are views of
 * `packed.buffer` (no copies), a value stored once is one view for every message, a repeated header
 * name becomes an array.
 */
export function unpackMessages(packed: PackedMessages): TopicMessages[] {
  const data = Buffer.from(packed.buffer, 0, packed.byteLength);
  const shared: Buffer[] = [];
  const byTopic: TopicMessages[] = packed.topics.map((topic) => ({ topic, messages: [] }));
  let at = 0;
  const bytes = (): Buffer => {
    const n = data.readInt32LE(at);
    at += 4;
    const view = data.subarray(at, at + n);
    at += n;
    return view;
  };
  for (let i = 0; i < packed.count; i++) {
    const topic = byTopic[data.readUInt16LE(at)]!;
    at += 2;
    const key = bytes();
    let value: Buffer | null = null;
    if (data.readInt32LE(at) === NULL_LENGTH) at += 4;
    else value = bytes();
    const count = data.readUInt16LE(at);
    at += 2;
    const message: Message = { key, value };
    if (count > 0) {
      const headers: IHeaders = {};
      for (let h = 0; h < count; h++) {
        const name = packed.headerNames[data.readUInt16LE(at)]!;
        at += 2;
        const length = data.readInt32LE(at);
        let v: Buffer;
        if (length <= SHARED_BASE) {
          v = shared[SHARED_BASE - length]!;
          at += 4;
        } else if (length === SHARED_NEW) {
          at += 4;
          v = bytes();
          shared.push(v);
        } else v = bytes();
        const before = headers[name];
        if (before === undefined) headers[name] = v;
        else headers[name] = [...(Array.isArray(before) ? before : [before]), v];
      }
      message.headers = headers;
    }
    topic.messages.push(message);
  }
  return byTopic.filter((t) => t.messages.length > 0);
}
