import type { IHeaders, Message, TopicMessages } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import {
  MessagePacker,
  type PublishMessage,
  packMessages,
  unpackMessages,
  type ValueWriter,
} from '../../src/producer/packed-messages.ts';

/** What kafkajs puts on the wire is the same for a string and its UTF-8 bytes: compare as bytes. */
const bytes = (v: Buffer | string) => Buffer.from(v);
const headerBytes = (headers: IHeaders | undefined) =>
  Object.fromEntries(
    Object.entries(headers ?? {})
      .filter(([, v]) => v !== undefined) // kafkajs cannot send an undefined header; packing drops it
      .map(([k, v]) => [k, Array.isArray(v) ? v.map(bytes) : bytes(v as Buffer | string)]),
  );
const sent = (m: PublishMessage) => ({
  key: bytes(m.key),
  value: m.value === null ? null : bytes(m.value),
  headers: headerBytes(m.headers),
});
const received = (m: Message) => ({
  key: bytes(m.key as Buffer),
  value: m.value === null ? null : bytes(m.value as Buffer),
  headers: headerBytes(m.headers),
});
/** The messages of one topic, in page order. */
const ofTopic = (groups: TopicMessages[], topic: string) => groups.find((g) => g.topic === topic)?.messages ?? [];

/** A writer with avsc's contract: writes `value`, or returns minus the bytes it lacked. */
const writerOf =
  (value: Buffer): ValueWriter =>
  (out, at) => {
    if (out.length - at < value.length) return out.length - at - value.length;
    value.copy(out, at);
    return at + value.length;
  };

describe('MessagePacker / unpackMessages', () => {
  it('round-trips keys, values, tombstones and headers byte for byte, grouped by topic in page order', () => {
    const messages: PublishMessage[] = [
      {
        topic: 'a',
        key: 'inst:1',
        value: Buffer.from([0, 0, 0, 0, 7, 1, 2, 3]),
        headers: { ce_id: 'g-1', ce_time: 't' },
      },
      { topic: 'b', key: 'inst:2', value: null, headers: { ce_id: 'g-2' } },
      { topic: 'a', key: 'ünïcødé:3', value: Buffer.alloc(0) },
      {
        topic: 'dlq',
        key: 'inst:4',
        value: Buffer.from('{"reason":"x"}'),
        headers: {
          'content-type': 'application/json',
          raw: Buffer.from([255, 0, 1]),
          multi: ['one', Buffer.from('two')],
          none: undefined,
        },
      },
      { topic: 'a', key: 'inst:5', value: Buffer.from('five') },
    ];
    const packed = packMessages(messages);
    expect(packed.topics).toEqual(['a', 'b', 'dlq']);
    const groups = unpackMessages(packed);
    expect(groups.map((g) => g.topic)).toEqual(['a', 'b', 'dlq']);
    for (const topic of packed.topics) {
      expect(ofTopic(groups, topic).map(received)).toEqual(messages.filter((m) => m.topic === topic).map(sent));
    }
    expect(ofTopic(groups, 'b')[0]!.value).toBeNull();
    expect(ofTopic(groups, 'a')[1]!.headers).toBeUndefined();
  });

  it('stores a Buffer header value repeated on the page once, and unpacks it as one shared view', () => {
    const specversion = Buffer.from('1.0');
    const source = Buffer.from('/marketo/123-ABC-456');
    const page = (shared: boolean) =>
      Array.from({ length: 300 }, (_, i) => ({
        topic: 't',
        key: `k${i}`,
        value: Buffer.from(`v${i}`),
        headers: {
          ce_specversion: shared ? specversion : Buffer.from('1.0'),
          ce_id: `id-${i}`,
          ce_source: shared ? source : Buffer.from('/marketo/123-ABC-456'),
        },
      }));
    const packedShared = packMessages(page(true));
    const packedCopies = packMessages(page(false));
    // A copy costs a marker, its length and its bytes; a repeat of a shared value, one reference.
    expect(packedCopies.byteLength - packedShared.byteLength).toBe(299 * 2 * 4 + 299 * (3 + 20));

    const back = ofTopic(unpackMessages(packedShared), 't');
    expect(back.map(received)).toEqual(page(true).map(sent));
    expect(new Set(back.map((m) => m.headers!.ce_source)).size).toBe(1);
    expect(new Set(back.map((m) => m.headers!.ce_id)).size).toBe(300);
  });

  it('lets a writer encode a value in place, growing the page until it fits', () => {
    const big = Buffer.alloc(5000, 7);
    const packer = new MessagePacker(1024);
    packer.add('t', 'small', writerOf(Buffer.from('abc')));
    packer.add('t', 'big', writerOf(big), { h: 'x' });
    packer.add('t', 'after', Buffer.from('z'));
    const back = ofTopic(unpackMessages(packer.finish()), 't');
    expect(back.map(received)).toEqual([
      { key: bytes('small'), value: bytes('abc'), headers: {} },
      { key: bytes('big'), value: big, headers: { h: bytes('x') } },
      { key: bytes('after'), value: bytes('z'), headers: {} },
    ]);
  });

  it('leaves nothing of a message whose value or headers fail, shared values included', () => {
    const shared = Buffer.from('shared');
    const packer = new MessagePacker(1024);
    packer.add('t', 'one', Buffer.from('1'), { s: shared });
    expect(() =>
      packer.add('t', 'bad-value', () => {
        throw new Error('cannot encode');
      }),
    ).toThrow('cannot encode');
    const fresh = Buffer.from('fresh');
    expect(() => packer.add('t', 'bad-header', Buffer.from('x'), { f: fresh, n: 42 as unknown as string })).toThrow(
      /header "n" must be a string or a Buffer/,
    );
    packer.add('t', 'two', Buffer.from('2'), { s: shared, f: fresh });
    expect(packer.count).toBe(2);
    const back = ofTopic(unpackMessages(packer.finish()), 't');
    expect(back.map(received)).toEqual([
      { key: bytes('one'), value: bytes('1'), headers: { s: shared } },
      { key: bytes('two'), value: bytes('2'), headers: { s: shared, f: fresh } },
    ]);
  });

  it('survives a transfer to another thread: one buffer, values are views into it', async () => {
    const messages: PublishMessage[] = Array.from({ length: 300 }, (_, i) => ({
      topic: 't',
      key: `inst:${i}`,
      value: Buffer.alloc(100 + i, i & 0xff),
      headers: { ce_specversion: '1.0', ce_id: `id-${i}` },
    }));
    const packed = packMessages(messages);
    const { port1, port2 } = new MessageChannel();
    const arrived = new Promise<typeof packed>((resolve) => {
      port2.once('message', resolve);
    });
    port1.postMessage(packed, [packed.buffer]);
    expect(packed.buffer.byteLength).toBe(0); // moved, not copied
    const back = ofTopic(unpackMessages(await arrived), 't');
    port1.close();
    expect(back.map(received)).toEqual(messages.map(sent));
    expect((back[7]!.value as Buffer).buffer).toBe((back[8]!.value as Buffer).buffer);
  });

  it('packs an empty page', () => {
    expect(unpackMessages(packMessages([]))).toEqual([]);
  });
});
