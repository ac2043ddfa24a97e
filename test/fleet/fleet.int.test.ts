import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { type Simulator, TRACKED_TYPE_IDS } from '../../simulator/index.ts';
import type { Config } from '../../src/config/index.ts';
import { fleetGroupId } from '../../src/fleet/index.ts';
import { leaseKey } from '../../src/lease/index.ts';
import { recordRedisId } from '../support/cleanup.ts';
import { runCliCaptured } from '../support/cli.ts';
import { readWholeTopic } from '../support/committed-reader.ts';
import { duplicatesOf, testConfig, testKafka, unique, workerEnv } from '../support/pipeline.ts';
import { useSimulator } from '../support/scenario.ts';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
/** Kafka drops a silent worker after this; the test's waits allow for it and a lease hand-over. */
const SESSION_TIMEOUT_MS = 10_000;
const LEASE_TTL_SECONDS = 5;
const BALANCE_WAIT_MS = 90_000;

const startSimulator = useSimulator();
const redis = new Redis(process.env.REDIS_URL!);
const children: ChildProcess[] = [];
const groups: string[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});
afterAll(async () => {
  redis.disconnect();
  const admin = testKafka().admin();
  await admin.connect();
  await admin.deleteGroups(groups).catch(() => undefined);
  await admin.disconnect();
});

interface Fleet {
  config: Readonly<Config>;
  sims: Simulator[];
  /** The connections, as `connections apply` takes them (secrets named, not given). */
  records: Record<string, unknown>[];
  /** The workers' environment: the service settings, the fleet's, and the secrets the records name. */
  env: NodeJS.ProcessEnv;
}

/** `n` simulated instances, one connection each, and a fleet configuration with a fresh prefix. */
async function fleetOf(n: number, world: { activities: number; latencyMs?: number }): Promise<Fleet> {
  const sims = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      startSimulator({
        seed: 100 + i,
        leads: 40,
        activities: world.activities,
        programs: 3,
        campaigns: 3,
        start: '2026-01-01T00:00:00Z',
        end: '2026-03-01T00:00:00Z',
        // A clock that runs, as Marketo's does: on a frozen one the 20 s rate window never slides,
        // so once an instance has counted 100 calls (incremental passes every few seconds add up)
        // it answers 606 for good, and a connection that still had pages to pull stalls there.
        // It starts past the latest late arrival (50 minutes after the world's end): the ground
        // truth holds still while the test runs.
        now: '2026-03-02T00:00:00Z',
        clock: 'running',
        instance: unique('inst'),
        ...(world.latencyMs ? { latency: { medianMs: world.latencyMs } } : {}),
      }),
    ),
  );
  const config = testConfig(sims[0]!, {
    leaseTtlSeconds: LEASE_TTL_SECONDS,
    fleet: { enabled: true, sessionTimeoutMs: SESSION_TIMEOUT_MS, heartbeatIntervalMs: 1_000 },
  });
  groups.push(fleetGroupId(config));
  const secrets: NodeJS.ProcessEnv = {};
  const records = sims.map((sim, i) => {
    const id = unique(`conn${i}`);
    recordRedisId(id);
    recordRedisId(sim.instance);
    secrets[`SIM_SECRET_${i}`] = sim.clientSecret;
    return {
      id,
      instance: sim.instance,
      baseUrl: sim.url,
      clientId: sim.clientId,
      clientSecretEnv: `SIM_SECRET_${i}`,
      startDate: '2026-01-01T00:00:00Z',
    };
  });
  const base = Object.fromEntries(Object.entries(workerEnv(config)).filter(([k]) => !k.startsWith('MARKETO_')));
  const env = {
    ...base,
    ...secrets,
    FLEET_ENABLED: 'true',
    FLEET_SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS),
    FLEET_HEARTBEAT_INTERVAL_MS: '1000',
    KAFKA_PUBLISHER_THREAD: 'false',
    INCREMENT_INTERVAL_SECONDS: '5',
  };
  return { config, sims, records, env };
}

/** Runs `marketo-stream connections <args>` as an operator would (the fleet's settings, no secrets). */
async function connectionsCli(fleet: Fleet, ...args: string[]) {
  const env = Object.fromEntries(Object.entries(fleet.env).filter(([k]) => !k.startsWith('SIM_SECRET_')));
  return runCliCaptured(['connections', ...args], env);
}

function fileOf(records: readonly Record<string, unknown>[]): string {
  const file = join(mkdtempSync(join(tmpdir(), 'fleet-')), 'connections.json');
  writeFileSync(file, JSON.stringify(records));
  return file;
}

function startWorker(fleet: Fleet): ChildProcess {
  const child = spawn(process.execPath, [MAIN], { env: fleet.env, stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(child);
  return child;
}

/** Connection id → pid of the worker holding its lease (the worker running it), for the given ids. */
async function holders(ids: readonly string[]): Promise<Map<string, number | undefined>> {
  const values = await redis.mget(...ids.map(leaseKey));
  return new Map(ids.map((id, i) => [id, values[i] ? Number(values[i]!.split('-')[0]) : undefined]));
}

/** Waits until the workers with `pids` run every connection of `ids` between them, each ⌊N/W⌋ or ⌈N/W⌉. */
async function expectBalanced(ids: readonly string[], pids: readonly number[]): Promise<Map<number, number>> {
  let perWorker = new Map<number, number>();
  await vi.waitFor(
    async () => {
      const held = await holders(ids);
      perWorker = new Map(pids.map((p) => [p, 0]));
      for (const [id, pid] of held) {
        expect(pid, `${id} runs on a live worker`).toBeDefined();
        expect(pids).toContain(pid);
        perWorker.set(pid!, perWorker.get(pid!)! + 1);
      }
      const counts = [...perWorker.values()];
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
      expect(Math.min(...counts)).toBe(Math.floor(ids.length / pids.length));
    },
    { timeout: BALANCE_WAIT_MS, interval: 500 },
  );
  return perWorker;
}

/** The tracked activities of `sim` published for its connection (by ce_source), exactly once: no gap, no duplicate. */
async function expectExactlyOnce(config: Readonly<Config>, sims: readonly Simulator[]) {
  const records = await readWholeTopic(`${config.kafka.topicPrefix}.activities`);
  for (const sim of sims) {
    const mine = records.filter((r) => r.headers.ce_source === `/marketo/${sim.instance}`).map((r) => r.id);
    expect(duplicatesOf(mine)).toEqual([]);
    const truth = [...sim.truth.activities({ typeIds: [...TRACKED_TYPE_IDS], from: '2026-01-01T00:00:00Z' })];
    expect(new Set(mine)).toEqual(new Set(truth.map((a) => a.marketoGUID)));
  }
}

describe('a fleet of workers', () => {
  it('two, then three workers share six connections evenly; a SIGKILLed worker’s connections move and stay exactly-once', async () => {
    const fleet = await fleetOf(6, { activities: 8_000, latencyMs: 300 });
    const applied = await connectionsCli(fleet, 'apply', fileOf(fleet.records));
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    const ids = fleet.records.map((r) => r.id as string);

    const a = startWorker(fleet);
    const b = startWorker(fleet);
    const two = await expectBalanced(ids, [a.pid!, b.pid!]);
    expect([...two.values()]).toEqual([3, 3]);

    const c = startWorker(fleet);
    const three = await expectBalanced(ids, [a.pid!, b.pid!, c.pid!]);
    expect([...three.values()]).toEqual([2, 2, 2]);

    const killedAt = Date.now();
    const killedRuns = [...(await holders(ids))].filter(([, pid]) => pid === b.pid).map(([id]) => id);
    b.kill('SIGKILL');
    // The kill lands mid-backfill: a connection of the killed worker has not published everything yet.
    const atKill = await readWholeTopic(`${fleet.config.kafka.topicPrefix}.activities`);
    const unfinished = killedRuns.filter((id) => {
      const sim = fleet.sims[ids.indexOf(id)]!;
      const published = atKill.filter((r) => r.headers.ce_source === `/marketo/${sim.instance}`).length;
      return (
        published < [...sim.truth.activities({ typeIds: [...TRACKED_TYPE_IDS], from: '2026-01-01T00:00:00Z' })].length
      );
    });
    expect(unfinished.length).toBeGreaterThan(0);
    const after = await expectBalanced(ids, [a.pid!, c.pid!]);
    expect([...after.values()]).toEqual([3, 3]);
    // Kafka drops the silent worker after its session timeout; then its leases expire.
    expect(Date.now() - killedAt).toBeLessThan(SESSION_TIMEOUT_MS + LEASE_TTL_SECONDS * 1000 + 30_000);

    await vi.waitFor(() => expectExactlyOnce(fleet.config, fleet.sims), { timeout: 180_000, interval: 3_000 });
  }, 420_000);

  it('a connection added and one removed through the CLI are picked up without a restart', async () => {
    const fleet = await fleetOf(3, { activities: 300 });
    const [first, second, third] = fleet.records as [
      Record<string, unknown>,
      Record<string, unknown>,
      Record<string, unknown>,
    ];
    expect((await connectionsCli(fleet, 'apply', fileOf([first, second]))).code).toBe(0);
    const a = startWorker(fleet);
    const b = startWorker(fleet);
    await expectBalanced([first.id as string, second.id as string], [a.pid!, b.pid!]);

    const listed = await connectionsCli(fleet, 'list', '--json');
    const rows = JSON.parse(listed.stdout) as Record<string, unknown>[];
    expect(rows.map((r) => r.id).sort()).toEqual([first.id, second.id].sort());
    expect(listed.stdout).not.toContain(fleet.sims[0]!.clientSecret);

    expect((await connectionsCli(fleet, 'remove', first.id as string)).code).toBe(0);
    expect((await connectionsCli(fleet, 'apply', fileOf([third]))).code).toBe(0);
    await expectBalanced([second.id as string, third.id as string], [a.pid!, b.pid!]);
    // The removed connection's worker stopped it and gave its lease back.
    await vi.waitFor(
      async () => expect((await holders([first.id as string])).get(first.id as string)).toBeUndefined(),
      {
        timeout: 30_000,
      },
    );
    await vi.waitFor(() => expectExactlyOnce(fleet.config, [fleet.sims[1]!, fleet.sims[2]!]), {
      timeout: 120_000,
      interval: 3_000,
    });
    expect(a.exitCode).toBeNull();
    expect(b.exitCode).toBeNull();
  }, 300_000);

  it('connections apply refuses a secret in the record and a record without a secret source, naming the field', async () => {
    const fleet = await fleetOf(1, { activities: 10 });
    const { clientSecretEnv: _named, ...withoutSource } = fleet.records[0]!;
    const leaked = await connectionsCli(fleet, 'apply', fileOf([{ ...withoutSource, clientSecret: 'hunter2' }]));
    expect(leaked.code).toBe(2);
    expect(leaked.stderr).toMatch(/clientSecret: must not be in the record/);
    expect(leaked.stderr).not.toContain('hunter2');
    const missing = await connectionsCli(fleet, 'apply', fileOf([withoutSource]));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/clientSecretEnv: give exactly one of clientSecretEnv or clientSecretFile/);
    const unknown = await connectionsCli(fleet, 'remove', 'nope');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/<id> 'nope' is not a connection/);
    const noAction = await connectionsCli(fleet, 'frobnicate');
    expect(noAction.code).toBe(2);
    expect(noAction.stderr).toMatch(/<action> must be one of apply, list, remove/);
  });
});
