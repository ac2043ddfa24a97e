import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEndpointsEnv } from './endpoints-file.ts';

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

/** Where `scripts/stack.sh up` writes its endpoints, for a given environment (honours STACK_DIR). */
export function stackEndpointsFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.STACK_DIR ?? path.join(ROOT, '.stack'), 'endpoints.env');
}

/**
 * Starts (or reuses) the local stack of scripts/stack.sh and returns its endpoints, read from the
 * file the script writes once every service answers (its stdout is not parsed: tools may write there).
 * The script's port variables (KAFKA_PORT, REGISTRY_PORT, REDIS_PORT, …) and STACK_DIR pass through.
 * With `secure`, also the secured services (their endpoints go to secure-endpoints.env beside it).
 */
export function startLocalStack(
  env: NodeJS.ProcessEnv = process.env,
  options: { secure?: boolean } = {},
): ServiceEndpoints {
  const args = [path.join(ROOT, 'scripts/stack.sh'), 'up', ...(options.secure ? ['--secure'] : [])];
  execFileSync('bash', args, { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const file = stackEndpointsFile(env);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`scripts/stack.sh up succeeded but ${file} is unreadable: ${(err as Error).message}`);
  }
  return parseEndpointsEnv(text, file);
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
