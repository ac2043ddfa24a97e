import type { Redis } from 'ioredis';
import type { Admin, Kafka } from 'kafkajs';
import { request } from 'undici';

/** One dependency's check: resolves when it answers, rejects (with why) when it does not. */
export type ReadinessCheck = (signal: AbortSignal) => Promise<void>;

/** Redis answers PING. */
export function redisCheck(redis: Redis): ReadinessCheck {
  return async () => {
    const answer = await redis.ping();
    if (answer !== 'PONG') throw new Error(`PING answered ${answer}`);
  };
}

/**
 * A Kafka broker answers a metadata request (admin describeCluster). The admin client is connected
 * on first use and kept; after a failure it is dropped and a fresh one is made next time.
 */
export function kafkaCheck(kafka: Kafka): ReadinessCheck & { close(): Promise<void> } {
  let admin: Admin | undefined;
  let connecting: Promise<void> | undefined;
  const drop = async () => {
    const a = admin;
    admin = undefined;
    connecting = undefined;
    await a?.disconnect().catch(() => undefined);
  };
  const check = async () => {
    if (!admin) {
      admin = kafka.admin({ retry: { retries: 0 } });
      const a = admin;
      connecting = a.connect();
    }
    try {
      await connecting;
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length === 0) throw new Error('no broker in the cluster metadata');
    } catch (err) {
      await drop();
      throw err;
    }
  };
  return Object.assign(check, { close: drop });
}

/** The schema registry answers `GET <url>/subjects` with a 2xx. */
export function registryCheck(url: string): ReadinessCheck {
  const subjects = `${url.replace(/\/+$/, '')}/subjects`;
  return async (signal) => {
    const { statusCode, body } = await request(subjects, { signal });
    await body.dump();
    if (statusCode < 200 || statusCode >= 300) throw new Error(`GET /subjects answered HTTP ${statusCode}`);
  };
}

/** Each dependency's answer: `ok`, or why it is not ready. */
export type ReadinessReport = Record<string, 'ok' | string>;

/**
 * Runs every check at once, each bounded by `timeoutMs` (a check that has not answered by then
 * counts as failed: "no answer within … ms").
 */
export async function runChecks(checks: Record<string, ReadinessCheck>, timeoutMs: number): Promise<ReadinessReport> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]): Promise<[string, string]> => {
      const signal = AbortSignal.timeout(timeoutMs);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        await Promise.race([check(signal), timeout]);
        return [name, 'ok'];
      } catch (err) {
        return [name, err instanceof Error ? err.message || err.name : String(err)];
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return Object.fromEntries(entries);
}
