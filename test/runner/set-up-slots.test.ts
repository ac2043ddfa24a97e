import { describe, expect, it } from 'vitest';
import { Slots } from '../../src/runner/set-up-slots.ts';

/** A task that runs until released, recording the most tasks seen running together. */
function gate() {
  let release!: () => void;
  const done = new Promise<void>((r) => {
    release = r;
  });
  return { done, release };
}

describe('Slots', () => {
  it('runs at most `limit` tasks at once, the waiting ones in arrival order', async () => {
    const slots = new Slots(2);
    const gates = [gate(), gate(), gate(), gate()];
    const started: number[] = [];
    let most = 0;
    const runs = gates.map((g, i) =>
      slots.run(async () => {
        started.push(i);
        most = Math.max(most, slots.busy);
        await g.done;
        return i;
      }),
    );
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1]);
    gates[1]!.release();
    await runs[1];
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2]);
    for (const g of gates) g.release();
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3]);
    expect(started).toEqual([0, 1, 2, 3]);
    expect(most).toBe(2);
    expect(slots.busy).toBe(0);
  });

  it('frees the slot of a task that throws, and lets a waiter whose signal aborts leave the queue', async () => {
    const slots = new Slots(1);
    const first = gate();
    const holding = slots.run(async () => {
      await first.done;
      throw new Error('boom');
    });
    const stop = new AbortController();
    const leaving = slots.run(async () => 'never', stop.signal);
    const next = slots.run(async () => 'next');
    stop.abort(new Error('stopped'));
    await expect(leaving).rejects.toThrow('stopped');
    first.release();
    await expect(holding).rejects.toThrow('boom');
    expect(await next).toBe('next');
    expect(slots.busy).toBe(0);
    expect(() => new Slots(0)).toThrow(/positive integer/);
  });
});
