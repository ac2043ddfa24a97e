import type { IHeaders } from 'kafkajs';
import type { PublishMessage } from './publisher.ts';

/**
 * A page of messages packed into one ArrayBuffer, to cross to the producer thread as a single
 * transferable block: structured clone would copy every key, header and value one by one, and the
 * thread would then rebuild thousands of strings and objects on the path every page waits on.
 * Topic and header names are listed once; keys, values and header values are bytes.
 */
export interface PackedMessages {
  buffer: ArrayBuffer;
  count: number;
  topics: string[];
  headerNames: string[];
}

const NULL_LENGTH = -1;

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

/** Calls `fn` for each header value of a message; an array value as repeated headers, as kafkajs sends it. */
function forEachHeader(headers: IHeaders | undefined, fn: (name: string, value: Buffer | string) => void): void {
  if (!headers) return;
  for (const name of Object.keys(headers)) {
    const v = headers[name];
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const one of v) fn(name, one);
    else fn(name, v);
  }
}

const byteLength = (v: Buffer | string) => (typeof v === 'string' ? Buffer.byteLength(v) : v.length);

/**
 * Packs `messages` (order kept). Layout per message: u16 topic index, i32 key length + UTF-8 key,
 * i32 value length (-1: null) + value, u16 header count, then per header u16 name index and
 * i32 length + value bytes.
 */
export function packMessages(messages: readonly PublishMessage[]): PackedMessages {
  const topics: string[] = [];
  const headerNames: string[] = [];
  const topicIndex = new Map<string, number>();
  const nameIndex = new Map<string, number>();
  const headerCounts = new Uint16Array(messages.length);
  let size = 0;
  messages.forEach((m, i) => {
    size += 2 + 4 + Buffer.byteLength(m.key) + 4 + (m.value?.length ?? 0) + 2;
    forEachHeader(m.headers, (_, v) => {
      headerCounts[i]!++;
      size += 2 + 4 + byteLength(v);
    });
  });
  const buffer = new ArrayBuffer(size);
  const out = Buffer.from(buffer);
  let at = 0;
  const bytes = (v: Buffer | string) => {
    const n = typeof v === 'string' ? out.write(v, at + 4) : v.copy(out, at + 4);
    out.writeInt32LE(n, at);
    at += 4 + n;
  };
  messages.forEach((m, i) => {
    out.writeUInt16LE(indexIn(topics, topicIndex, m.topic), at);
    at += 2;
    bytes(m.key);
    if (m.value === null) {
      out.writeInt32LE(NULL_LENGTH, at);
      at += 4;
    } else bytes(m.value);
    out.writeUInt16LE(headerCounts[i]!, at);
    at += 2;
    forEachHeader(m.headers, (name, v) => {
      out.writeUInt16LE(indexIn(headerNames, nameIndex, name), at);
      at += 2;
      bytes(v);
    });
  });
  return { buffer, count: messages.length, topics, headerNames };
}

/**
 * The messages of {@link packMessages}: keys as strings, values and header values as Buffers that
 * are views of `packed.buffer` (no copies), a repeated header name as an array.
 */
export function unpackMessages(packed: PackedMessages): PublishMessage[] {
  const data = Buffer.from(packed.buffer);
  const messages: PublishMessage[] = [];
  let at = 0;
  const bytes = (): Buffer => {
    const n = data.readInt32LE(at);
    at += 4;
    const view = data.subarray(at, at + n);
    at += n;
    return view;
  };
  for (let i = 0; i < packed.count; i++) {
    const topic = packed.topics[data.readUInt16LE(at)]!;
    at += 2;
    const key = bytes().toString('utf8');
    let value: Buffer | null = null;
    if (data.readInt32LE(at) === NULL_LENGTH) at += 4;
    else value = bytes();
    const count = data.readUInt16LE(at);
    at += 2;
    const message: PublishMessage = { topic, key, value };
    if (count > 0) {
      const headers: IHeaders = {};
      for (let h = 0; h < count; h++) {
        const name = packed.headerNames[data.readUInt16LE(at)]!;
        at += 2;
        const v = bytes();
        const before = headers[name];
        if (before === undefined) headers[name] = v;
        else headers[name] = [...(Array.isArray(before) ? before : [before]), v];
      }
      message.headers = headers;
    }
    messages.push(message);
  }
  return messages;
}
