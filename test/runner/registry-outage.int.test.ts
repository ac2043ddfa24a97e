import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Config } from '../../src/config/index.ts';
import { createLogger } from '../../src/log.ts';
import { runService } from '../../src/service.ts';
import { consumeAll, expectTrackedActivitiesExactlyOnce } from '../support/pipeline.ts';
import { useScenario } from '../support/scenario.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';

const startScenario = useScenario();
const registryUrl = new URL(process.env.SCHEMA_REGISTRY_URL!);
let proxy: TcpProxy;
beforeAll(async () => {
  proxy = await startTcpProxy({ host: registryUrl.hostname, port: Number(registryUrl.port) });
});
afterAll(() => proxy?.down());

/** The registry URL through the proxy (same path). */
const proxiedUrl = () => {
  const u = new URL(registryUrl);
  u.port = String(proxy.port);
  return u.toString().replace(/\/$/, '');
};

const world = {
  seed: 4040,
  leads: 300,
  activities: 12_000,
  start: '2026-01-01T00:00:00Z',
  end: '2026-03-31T00:00:00Z',
  now: '2026-04-01T00:00:00Z',
  latency: { medianMs: 20 },
};

/** The id the (real) registry holds for `<topic>-value`'s latest version. */
async function latestId(topic: string): Promise<number> {
  const res = await fetch(`${process.env.SCHEMA_REGISTRY_URL}/subjects/${topic}-value/versions/latest`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { id: number }).id;
}

/** Asserts every record of `topic` is in the Confluent wire format with schema id `id`. */
async function expectSchemaId(topic: string, id: number): Promise<void> {
  const records = await consumeAll(topic);
  expect(records.length).toBeGreaterThan(0);
  const ids = new Set(records.map((r) => (r.value![0] === 0 ? r.value!.readInt32BE(1) : -1)));
  expect([...ids]).toEqual([id]);
}

/** Takes the registry away for `downMs` (an outage duration, not a wait for state). */
async function outage(downMs: number): Promise<void> {
  await proxy.down();
  await new Promise((r) => setTimeout(r, downMs));
  await proxy.up();
}

describe('the schema registry unavailable', () => {
  it('at start: producing waits for it, then everything is published once with the right schema id', async () => {
    const { sim, config, topics, runUntilCaughtUp } = await startScenario({
      fakeClockAt: '2026-04-01T00:00:00Z',
      world,
      config: { schemaRegistry: { url: proxiedUrl() }, connection: { streams: ['activities'] } },
    });
    await proxy.down();
    const run = runUntilCaughtUp();
    run.catch(() => {});
    await new Promise((r) => setTimeout(r, 4_000));
    // Nothing could be encoded while the registry was away.
    expect((await consumeAll(topics.activities)).length).toBe(0);
    await proxy.up();
    await run;
    await expectTrackedActivitiesExactlyOnce(sim, config);
    await expectSchemaId(topics.activities, await latestId(topics.activities));
  });

  it('mid-run: the backfill resumes, nothing lost or duplicated, one schema id', async () => {
    const { sim, config, topics, runUntilCaughtUp } = await startScenario({
      fakeClockAt: '2026-04-01T00:00:00Z',
      world,
      config: { schemaRegistry: { url: proxiedUrl() } },
    });
    const run = runUntilCaughtUp();
    run.catch(() => {});
    await vi.waitFor(() => expect(sim.counts().total.counted).toBeGreaterThanOrEqual(15), {
      timeout: 60_000,
      interval: 50,
    });
    await outage(4_000);
    await run;
    await expectTrackedActivitiesExactlyOnce(sim, config);
    await expectSchemaId(topics.activities, await latestId(topics.activities));
  });

  it('an incompatible schema change stops that stream with a clear error, not the others', async () => {
    const { sim, config, topics, clock } = await startScenario({
      fakeClockAt: '2026-04-01T00:00:00Z',
      world: { ...world, latency: undefined },
      config: { connection: { streams: ['activities', 'programs'] } },
    });
    // A programs subject whose existing version the service's Program schema cannot read (BACKWARD).
    const subject = `${topics.programs}-value`;
    const base = process.env.SCHEMA_REGISTRY_URL!;
    const put = await fetch(`${base}/config/${subject}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ compatibility: 'BACKWARD' }),
    });
    expect(put.status).toBeLessThan(300);
    const old = {
      type: 'record',
      name: 'Program',
      namespace: 'io.marketostream',
      fields: [{ name: 'legacy', type: 'string' }],
    };
    const reg = await fetch(`${base}/subjects/${subject}/versions`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ schema: JSON.stringify(old) }),
    });
    expect(reg.status).toBe(200);

    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const result = await runService({
      config: config as Config,
      logger: createLogger({ level: 'warn', destination }),
      signal: new AbortController().signal,
      clock,
      untilCaughtUp: true,
    });
    expect(Object.values(result).map((r) => r.error)).toEqual([undefined]);
    await expectTrackedActivitiesExactlyOnce(sim, config);
    expect(await consumeAll(topics.programs)).toHaveLength(0);
    const stopped = lines
      .map((l) => JSON.parse(l) as { msg: string; stream?: string; err?: { message: string } })
      .filter((l) => l.msg.includes('schema rejected'));
    expect(stopped.length).toBeGreaterThan(0);
    expect(stopped[0]!.stream).toBe('programs');
    expect(stopped[0]!.err?.message).toContain(subject);
  });
});
