import { describe, expect, it } from 'vitest';
import { TokenCache } from '../../src/marketo/token-cache.ts';
import { FakeClock } from '../support/fake-clock.ts';

function setup(lifetimes: number[]) {
  const clock = new FakeClock();
  let n = 0;
  const cache = new TokenCache({
    clock,
    fetch: async () => {
      const expiresIn = lifetimes[Math.min(n, lifetimes.length - 1)]!;
      n += 1;
      return { accessToken: `tok-${n}`, expiresIn };
    },
  });
  return { clock, cache, fetches: () => n };
}

describe('TokenCache', () => {
  it('reuses the token until 60 s before expiry, then refreshes', async () => {
    const { clock, cache, fetches } = setup([3600]);
    expect(await cache.get()).toBe('tok-1');
    clock.advance(3_539_999);
    expect(await cache.get()).toBe('tok-1');
    expect(fetches()).toBe(1);
    clock.advance(1);
    expect(await cache.get()).toBe('tok-2');
    expect(fetches()).toBe(2);
  });

  it('concurrent callers share one identity request', async () => {
    const { cache, fetches } = setup([3600]);
    const tokens = await Promise.all([cache.get(), cache.get(), cache.get()]);
    expect(tokens).toEqual(['tok-1', 'tok-1', 'tok-1']);
    expect(fetches()).toBe(1);
  });

  it('a token handed back with little life left is used for half of it, not refetched every call', async () => {
    const { clock, cache, fetches } = setup([40]);
    expect(await cache.get()).toBe('tok-1');
    clock.advance(19_999);
    expect(await cache.get()).toBe('tok-1');
    expect(fetches()).toBe(1);
    clock.advance(1);
    await cache.get();
    expect(fetches()).toBe(2);
  });

  it('invalidate forgets only the rejected token', async () => {
    const { cache, fetches } = setup([3600]);
    const first = await cache.get();
    cache.invalidate('some-older-token');
    expect(await cache.get()).toBe(first);
    cache.invalidate(first);
    expect(await cache.get()).toBe('tok-2');
    expect(fetches()).toBe(2);
  });

  it('a failed fetch is not cached', async () => {
    const clock = new FakeClock();
    let calls = 0;
    const cache = new TokenCache({
      clock,
      fetch: async () => {
        calls += 1;
        if (calls === 1) throw new Error('identity down');
        return { accessToken: 'tok', expiresIn: 3600 };
      },
    });
    await expect(cache.get()).rejects.toThrow('identity down');
    expect(await cache.get()).toBe('tok');
  });
});
