import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { BulkJobState } from '../../src/bulk/index.ts';
import type { Config } from '../../src/config/index.ts';
import type { ActivitiesCursor } from '../../src/streams/activities.ts';
import { expectTrackedActivitiesExactlyOnce, workerEnv } from '../support/pipeline.ts';
import { useScenario } from '../support/scenario.ts';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
const startScenario = useScenario();
const redis = new Redis(process.env.REDIS_URL!);
afterAll(() => redis.disconnect());
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** The bulk jobs in the mirrored cursors of the connection's activity groups (written after each commit). */
async function mirroredJobs(config: Readonly<Config>): Promise<BulkJobState[]> {
  const keys = await redis.keys(`mkto:{${config.connections[0]!.id}}:cursor:activities.*`);
  const jsons = await Promise.all(keys.map((k) => redis.hget(k, 'json')));
  return jsons
    .filter((j): j is string => j !== null)
    .map((j) => (JSON.parse(j) as ActivitiesCursor).bulk?.job)
    .filter((j): j is BulkJobState => j !== undefined);
}

const DAY = 86_400_000;
const toSeconds = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString();
const WORLD_NOW = toSeconds(Date.now());
/** Three windows up to the start of today (31, 31 and 5 or 6 days), then REST for today. */
const WORLD_START = toSeconds(Math.floor(Date.now() / DAY) * DAY - 67 * DAY);

/** Windows the groups' bulk phases published through bulk, from their mirrored cursors. */
async function mirroredBulkWindows(config: Readonly<Config>): Promise<number> {
  const keys = await redis.keys(`mkto:{${config.connections[0]!.id}}:cursor:activities.*`);
  const jsons = await Promise.all(keys.map((k) => redis.hget(k, 'json')));
  return jsons.reduce((n, j) => n + ((j && (JSON.parse(j) as ActivitiesCursor).bulk?.bulkWindows) || 0), 0);
}

describe('bulk backfill crash safety', () => {
  it('SIGKILLed while polling, while downloading and mid-file (and a download cut short): the same jobs resume, every activity once', {
    timeout: 300_000,
  }, async () => {
    const { sim, config } = await startScenario({
      world: {
        seed: 31,
        leads: 400,
        activities: 60_000,
        // In real time: the service's clock and the simulator's agree (a file's 7 days count on both).
        start: WORLD_START,
        end: WORLD_NOW,
        now: WORLD_NOW,
        numericGuids: true,
        limits: { ratePer20s: false, maxInFlight: false },
        // Jobs take a few seconds, not Marketo's minutes.
        bulkProcessingMs: 3_000,
        bulkProcessingMsPerMb: 0,
      },
      config: {
        leaseTtlSeconds: 2,
        backfill: { method: 'bulk' },
        bulk: { pollMinSeconds: 1 },
        connection: { streams: ['activities'], startDate: WORLD_START },
      },
    });
    // The file answers slowly, so a kill can land between the job's completion and its first page.
    sim.injectFault({ kind: 'delay', endpoint: '/file.json', rate: 1, delayMs: 1_500 });
    const start = () => {
      const child = spawn(process.execPath, [MAIN, '--until-caught-up'], {
        env: workerEnv(config),
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      children.push(child);
      return child;
    };
    const killWhen = async (child: ChildProcess, what: string, at: (job: BulkJobState) => boolean) => {
      let seen: BulkJobState | undefined;
      await vi.waitFor(
        async () => {
          expect(child.exitCode, `the backfill ended before the kill ${what}`).toBeNull();
          seen = (await mirroredJobs(config)).find(at);
          expect(seen).toBeDefined();
        },
        { timeout: 90_000, interval: 5 },
      );
      child.kill('SIGKILL');
      await once(child, 'exit');
      return seen!;
    };

    const polling = await killWhen(start(), 'while polling', (j) => j.status === 'Created');
    const downloading = await killWhen(
      start(),
      'while downloading',
      (j) => j.status === 'Completed' && j.rowsReached === 0,
    );
    // The next download is cut halfway: it resumes with a Range request.
    sim.bulk.cutNextDownloads(1, 0.5);
    const midFile = await killWhen(start(), 'mid-file', (j) => j.rowsReached > 0 && !j.done);

    const last = start();
    const [code] = await once(last, 'exit');
    expect(code).toBe(0);

    await expectTrackedActivitiesExactlyOnce(sim, config);
    // One export per window, although three kills hit jobs in flight. A kill between a job's
    // create call and the commit of its id leaves a job that is never enqueued, so never exported
    // (nothing metered): at most one per kill.
    const all = sim.bulk.jobs();
    const jobs = all.filter((j) => j.status !== 'Created');
    expect(all.length - jobs.length).toBeLessThanOrEqual(3);
    expect(jobs.length).toBe(await mirroredBulkWindows(config));
    expect(new Set(jobs.map((j) => `${j.activityTypeIds} ${j.window.startAt}`)).size).toBe(jobs.length);
    const ids = new Set(jobs.map((j) => j.exportId));
    for (const killed of [polling, downloading, midFile]) expect(ids.has(killed.exportId!)).toBe(true);
    // The cut download was resumed from the byte reached: more file requests than files.
    const fileRequests = sim.counts().byEndpoint['/bulk/v1/activities/export/{exportId}/file.json']?.requests ?? 0;
    expect(fileRequests).toBeGreaterThan(jobs.length);
  });
});
