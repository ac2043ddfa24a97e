import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createOwnBroker, type OwnBroker } from '../support/own-broker.ts';
import { expectTrackedActivitiesExactlyOnce } from '../support/pipeline.ts';
import { useScenario } from '../support/scenario.ts';

/*
 * The broker here is the test's own process (own-broker.ts), killed with SIGKILL and started again
 * on the same data: never the shared one. KAFKA_BROKERS is pointed at it for this file (the service,
 * the checker and the cleanup all read it), and restored after.
 */
let broker: OwnBroker;
const sharedBrokers = process.env.KAFKA_BROKERS;
beforeAll(async () => {
  broker = await createOwnBroker();
  await broker.start();
  process.env.KAFKA_BROKERS = broker.brokers;
});
// Registered before useScenario's cleanup, so it runs after it (after-hooks run in reverse order).
afterAll(async () => {
  process.env.KAFKA_BROKERS = sharedBrokers;
  await broker?.destroy();
});
const startScenario = useScenario();

const world = {
  seed: 1701,
  leads: 500,
  activities: 30_000,
  start: '2026-01-01T00:00:00Z',
  end: '2026-03-31T00:00:00Z',
  now: '2026-04-01T00:00:00Z',
  // Slow enough that the backfill is still running when the broker goes.
  latency: { medianMs: 40 },
};

/** Runs the backfill, kills the broker once Marketo has answered `afterCalls` calls, starts it again after `downMs`. */
async function backfillThroughOutage(downMs: number, afterCalls: number) {
  const scenario = await startScenario({
    fakeClockAt: '2026-04-01T00:00:00Z',
    world,
    config: { connection: { streams: ['activities'] } },
  });
  const run = scenario.runUntilCaughtUp();
  // Settled (and asserted) at the end; a failure before then must not go unhandled.
  run.catch(() => {});
  await vi.waitFor(() => expect(scenario.sim.counts().total.counted).toBeGreaterThanOrEqual(afterCalls), {
    timeout: 60_000,
    interval: 50,
  });
  await broker.kill();
  const callsAtKill = scenario.sim.counts().total.counted;
  await new Promise((r) => setTimeout(r, downMs)); // the outage itself, not a wait for state
  // While the broker is down, the service stops fetching: a page it cannot publish is not fetched on.
  expect(scenario.sim.counts().total.counted - callsAtKill).toBeLessThanOrEqual(3);
  await broker.start();
  await run;
  return scenario;
}

describe('the Kafka broker killed in the middle of a backfill', () => {
  it('a short outage: the service waits, resumes and every record is there exactly once', {
    timeout: 150_000,
  }, async () => {
    const { sim, config } = await backfillThroughOutage(8_000, 25);
    await expectTrackedActivitiesExactlyOnce(sim, config);
  });

  it('an outage longer than the transaction timeout (60 s): the open transaction is aborted, nothing is lost', {
    timeout: 200_000,
  }, async () => {
    const { sim, config } = await backfillThroughOutage(65_000, 25);
    await expectTrackedActivitiesExactlyOnce(sim, config);
  });

  it('a broker down when the service starts: it waits for it, then backfills exactly once', {
    timeout: 150_000,
  }, async () => {
    await broker.kill();
    const scenario = await startScenario({
      fakeClockAt: '2026-04-01T00:00:00Z',
      world,
      config: { connection: { streams: ['activities'] } },
    });
    const run = scenario.runUntilCaughtUp();
    run.catch(() => {});
    await new Promise((r) => setTimeout(r, 8_000)); // the outage itself, not a wait for state
    // Without Kafka nothing can be published, so nothing is fetched either.
    expect(scenario.sim.counts().total.counted).toBe(0);
    await broker.start();
    await run;
    await expectTrackedActivitiesExactlyOnce(scenario.sim, scenario.config);
  });
});
