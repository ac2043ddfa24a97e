import { describe, expect, it } from 'vitest';
import { packMessages, unpackMessages } from '../../src/producer/packed-messages.ts';
import type { PublishMessage } from '../../src/producer/publisher.ts';

/** A message as bytes: what kafkajs puts on the wire is the same for a string and its UTF-8 Buffer. */
const asBytes = (m: PublishMessage) => ({
  topic: m.topic,
  key: m.key,
  value: m.value === null ? null : Buffer.from(m.value),
  headers: Object.fromEntries(
    Object.entries(m.headers ?? {})
      .filter(([, v]) => v !== undefined) // kafkajs cannot send an undefined header; packing drops it
      .map(([k, v]) => [k, Array.isArray(v) ? v.map((x) => Buffer.from(x)) : Buffer.from(v as Buffer | string)]),
  ),
});

describe('packMessages / unpackMessages', () => {
  it('round-trips topics, keys, values, tombstones and headers byte for byte, in order', () => {
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
    ];
    const packed = packMessages(messages);
    expect(packed.topics).toEqual(['a', 'b', 'dlq']);
    const back = unpackMessages(packed);
    expect(back.map(asBytes)).toEqual(messages.map(asBytes));
    expect(back[1]!.value).toBeNull();
    expect(back[2]!.headers).toBeUndefined();
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
    const received = new Promise<typeof packed>((resolve) => {
      port2.once('message', resolve);
    });
    port1.postMessage(packed, [packed.buffer]);
    const arrived = await received;
    port1.close();
    expect(packed.buffer.byteLength).toBe(0); // moved, not copied
    const back = unpackMessages(arrived);
    expect(back.map(asBytes)).toEqual(messages.map(asBytes));
    expect(back.every((m) => m.value!.buffer === arrived.buffer)).toBe(true);
  });

  it('packs an empty page', () => {
    expect(unpackMessages(packMessages([]))).toEqual([]);
  });
});
