import { describe, expect, it } from 'vitest';
import { simClient } from '../../simulator/helpers.ts';
import { simulatorPerTest } from '../support/simulator-per-test.ts';

const startSimulator = simulatorPerTest();

const small = {
  seed: 5,
  leads: 20,
  activities: 500,
  start: '2026-01-01T00:00:00Z',
  end: '2026-02-01T00:00:00Z',
  clock: 'frozen' as const,
};

describe("the 'rawPage' and 'reset' faults", () => {
  it('rawPage answers its bytes once, counted, then the real answer comes back', async () => {
    const sim = await startSimulator(small);
    const c = simClient(sim);
    const bytes = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]); // {"a":"\xff\xfe"}
    sim.injectFault({ kind: 'rawPage', endpoint: 'types.json', times: 1, bodyBase64: bytes.toString('base64') });
    const raw = await fetch(`${sim.url}/rest/v1/activities/types.json`, {
      headers: { authorization: `Bearer ${await c.token()}` },
    });
    expect(raw.status).toBe(200);
    expect(Buffer.from(await raw.arrayBuffer())).toEqual(bytes);
    expect(sim.counts().total.counted).toBe(1);
    expect((await c.get('/rest/v1/activities/types.json')).json.success).toBe(true);
    expect(sim.counts().total.counted).toBe(2);
  });

  it('reset cuts the connection without an answer, not counted', async () => {
    const sim = await startSimulator(small);
    const c = simClient(sim);
    await c.token();
    sim.injectFault({ kind: 'reset', endpoint: 'types.json', calls: [1] });
    await expect(c.get('/rest/v1/activities/types.json')).rejects.toThrow();
    expect(sim.counts().total.counted).toBe(0);
    expect((await c.get('/rest/v1/activities/types.json')).json.success).toBe(true);
  });
});
