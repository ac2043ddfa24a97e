import { describe, expect, it } from 'vitest';
import type { Publisher } from '../../src/producer/index.ts';
import { IdleProducer } from '../../src/runner/idle-producer.ts';

function recordingPublisher(log: string[], failConnects = 0): Publisher {
  let failures = failConnects;
  return {
    connect: async () => {
      if (failures-- > 0) throw new Error('broker away');
      log.push('connect');
    },
    disconnect: async () => {
      log.push('disconnect');
    },
    publish: async () => {
      throw new Error('not used');
    },
  } as unknown as Publisher;
}

describe('IdleProducer', () => {
  it('releases once, and resumes once for concurrent callers while the lease is held', async () => {
    const log: string[] = [];
    const idle = new IdleProducer(recordingPublisher(log), async () => true);
    await idle.resume(); // not released: nothing to do
    await Promise.all([idle.release(), idle.release()]);
    await Promise.all([idle.resume(), idle.resume(), idle.resume()]);
    expect(log).toEqual(['disconnect', 'connect']);
  });

  it('never connects (takes the transactional id over) once the lease is lost', async () => {
    const log: string[] = [];
    const idle = new IdleProducer(recordingPublisher(log), async () => false);
    await idle.release();
    await idle.resume();
    await idle.resume();
    expect(log).toEqual(['disconnect']);
  });

  it('a failed connect rejects and stays released, so a retry connects', async () => {
    const log: string[] = [];
    const idle = new IdleProducer(recordingPublisher(log, 1), async () => true);
    await idle.release();
    await expect(idle.resume()).rejects.toThrow('broker away');
    await idle.resume();
    expect(log).toEqual(['disconnect', 'connect']);
  });
});
