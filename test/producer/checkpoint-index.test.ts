import { describe, expect, it } from 'vitest';
import { CheckpointIndex, type CheckpointTopicRead, type TopicPosition } from '../../src/producer/checkpoint-index.ts';

/**
 * A one-partition checkpoint topic in memory. Its reads behave as a read_committed read does: the
 * end is the topic's length when the read is called; `hold()` makes the next reads wait until
 * released, so the test can commit while a read runs.
 */
function fakeTopic() {
  const records: { key: string; value: string | null }[] = [];
  const reads: (TopicPosition | undefined)[] = [];
  let gate: Promise<void> | undefined;
  let failNext: Error | undefined;
  const read: CheckpointTopicRead = async (from, onRecord) => {
    reads.push(from);
    const end = records.length;
    if (gate) await gate;
    if (failNext) {
      const err = failNext;
      failNext = undefined;
      throw err;
    }
    for (let offset = from?.['0'] ?? 0; offset < end; offset++) {
      const r = records[offset]!;
      onRecord(r.key, r.value === null ? null : Buffer.from(r.value), String(offset));
    }
    return { '0': end };
  };
  return {
    read,
    reads,
    commit: (key: string, value: object | string | null) =>
      records.push({ key, value: value === null || typeof value === 'string' ? value : JSON.stringify(value) }),
    hold() {
      let release!: () => void;
      gate = new Promise<void>((r) => {
        release = r;
      });
      return () => {
        gate = undefined;
        release();
      };
    },
    failNextRead(err: Error) {
      failNext = err;
    },
  };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('CheckpointIndex', () => {
  it('answers a call only from a read that started after it: a commit made while a read runs is seen', async () => {
    const topic = fakeTopic();
    topic.commit('a:leads', { seq: 1 });
    const index = new CheckpointIndex({ read: topic.read });
    const release = topic.hold();
    const first = index.checkpointsFor('a');
    await settle();
    // The producer's re-initialisation settled a pending commit, then the connection asks again.
    topic.commit('a:leads', { seq: 2 });
    const second = index.checkpointsFor('a');
    release();
    expect((await first).get('a:leads')).toEqual({ seq: 1 });
    expect((await second).get('a:leads')).toEqual({ seq: 2 });
    expect(topic.reads).toHaveLength(2);
  });

  it('serves the calls made before a read starts with that one read', async () => {
    const topic = fakeTopic();
    for (let i = 0; i < 50; i++) topic.commit(`c${i}:activities`, { seq: i });
    const reports: unknown[] = [];
    const index = new CheckpointIndex({ read: topic.read, onRead: (r) => reports.push(r) });
    const release = topic.hold();
    const first = index.checkpointsFor('c0');
    await settle();
    // These arrive while the first read runs: all answered by the next one.
    const rest = Array.from({ length: 49 }, (_, i) => index.checkpointsFor(`c${i + 1}`));
    release();
    const answers = await Promise.all([first, ...rest]);
    answers.forEach((a, i) => {
      expect(a).toEqual(new Map([[`c${i}:activities`, { seq: i }]]));
    });
    expect(reports).toEqual([
      { kind: 'full', records: 50, requests: 1 },
      { kind: 'catch-up', records: 0, requests: 49 },
    ]);
  });

  it('catches up from where the last read stopped: new values, tombstones, skipped non-JSON', async () => {
    const topic = fakeTopic();
    topic.commit('a:leads', { seq: 1 });
    topic.commit('a:programs', { seq: 1 });
    const index = new CheckpointIndex({ read: topic.read });
    await index.checkpointsFor('a');
    topic.commit('a:leads', { seq: 2 });
    topic.commit('a:programs', null);
    topic.commit('a:campaigns', { seq: 1 });
    topic.commit('a:campaigns', 'not json');
    expect(await index.checkpointsFor('a')).toEqual(
      new Map([
        ['a:leads', { seq: 2 }],
        ['a:campaigns', { seq: 1 }],
      ]),
    );
    expect(topic.reads).toEqual([undefined, { '0': 2 }]);
  });

  it('keeps connections apart by their whole id', async () => {
    const topic = fakeTopic();
    topic.commit('acme:leads', { seq: 1 });
    topic.commit('acme-eu:leads', { seq: 7 });
    const index = new CheckpointIndex({ read: topic.read });
    expect(await index.checkpointsFor('acme')).toEqual(new Map([['acme:leads', { seq: 1 }]]));
    expect(await index.checkpointsFor('other')).toEqual(new Map());
  });

  it('reads from the start again once the last full read is older than fullReadAfterMs', async () => {
    const topic = fakeTopic();
    let now = 1_000;
    topic.commit('a:leads', { seq: 1 });
    const index = new CheckpointIndex({ read: topic.read, now: () => now, fullReadAfterMs: 60_000 });
    await index.checkpointsFor('a');
    now += 59_999;
    await index.checkpointsFor('a');
    now += 1;
    await index.checkpointsFor('a');
    expect(topic.reads).toEqual([undefined, { '0': 1 }, undefined]);
  });

  it('rejects the calls of a failed read and leaves the index as it was; the next call reads again', async () => {
    const topic = fakeTopic();
    topic.commit('a:leads', { seq: 1 });
    const index = new CheckpointIndex({ read: topic.read });
    await index.checkpointsFor('a');
    topic.commit('a:leads', { seq: 2 });
    topic.failNextRead(new Error('read timed out'));
    await expect(index.checkpointsFor('a')).rejects.toThrow('read timed out');
    expect(await index.checkpointsFor('a')).toEqual(new Map([['a:leads', { seq: 2 }]]));
    expect(topic.reads).toEqual([undefined, { '0': 1 }, { '0': 1 }]);
  });

  it('hands every caller objects of its own', async () => {
    const topic = fakeTopic();
    topic.commit('a:leads', { seq: 1 });
    const index = new CheckpointIndex({ read: topic.read });
    const mine = (await index.checkpointsFor('a')).get('a:leads') as { seq: number };
    mine.seq = 99;
    expect((await index.checkpointsFor('a')).get('a:leads')).toEqual({ seq: 1 });
  });
});
