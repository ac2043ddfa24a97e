import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Endpoints of the real services the integration tests talk to. */
export interface ServiceEndpoints {
  kafkaBrokers: string;
  schemaRegistryUrl: string;
  redisUrl: string;
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Endpoints from KAFKA_BROKERS / SCHEMA_REGISTRY_URL / REDIS_URL, when all three are set. */
export function endpointsFromEnv(env: NodeJS.ProcessEnv = process.env): ServiceEndpoints | undefined {
  const { KAFKA_BROKERS, SCHEMA_REGISTRY_URL, REDIS_URL } = env;
  if (KAFKA_BROKERS && SCHEMA_REGISTRY_URL && REDIS_URL) {
    return { kafkaBrokers: KAFKA_BROKERS, schemaRegistryUrl: SCHEMA_REGISTRY_URL, redisUrl: REDIS_URL };
  }
  return undefined;
}

/** Starts (or reuses) the local stack of scripts/stack.sh and returns its endpoints. */
export function startLocalStack(): ServiceEndpoints {
  const out = execFileSync('bash', [`${ROOT}/scripts/stack.sh`, 'up'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const vars = Object.fromEntries(
    out
      .split('\n')
      .map((line) => line.trim().split('='))
      .filter((kv) => kv.length === 2),
  );
  const found = endpointsFromEnv(vars);
  if (!found) throw new Error(`scripts/stack.sh up did not print the endpoints:\n${out}`);
  return found;
}

/** Whether a container engine answers (the docker CLI alone is not enough). */
export async function containerRuntimeAnswers(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}
