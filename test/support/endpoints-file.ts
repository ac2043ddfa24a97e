import type { ServiceEndpoints } from './services.ts';

/** The variables `scripts/stack.sh up` writes to `$STACK_DIR/endpoints.env`, and the field each fills. */
const ENDPOINT_VARIABLES = {
  KAFKA_BROKERS: 'kafkaBrokers',
  SCHEMA_REGISTRY_URL: 'schemaRegistryUrl',
  REDIS_URL: 'redisUrl',
} as const satisfies Record<string, keyof ServiceEndpoints>;

// Terminal control sequences (colours, cursor moves) that a tool may have mixed into the text.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ESC is the point.
const ANSI_ESCAPE = /\u001b\[[0-?]*[ -/]*[@-~]/g;
const ASSIGNMENT = /^([A-Z][A-Z0-9_]*)=(\S+)$/;

/**
 * Reads the endpoints out of an env file's text (`KEY=VALUE` lines). Only complete lines count
 * (a line without its newline is a partial write); other lines, terminal escape codes and carriage
 * returns are ignored, so tool output around the lines cannot change the result. Throws an Error
 * naming every missing variable and `source` when one of the three is absent.
 */
export function parseEndpointsEnv(text: string, source: string): ServiceEndpoints {
  const complete = text.slice(0, text.lastIndexOf('\n') + 1);
  const found: Partial<ServiceEndpoints> = {};
  for (const raw of complete.split('\n')) {
    const match = ASSIGNMENT.exec(raw.replace(ANSI_ESCAPE, '').replaceAll('\r', '').trim());
    if (!match) continue;
    const field = ENDPOINT_VARIABLES[match[1] as keyof typeof ENDPOINT_VARIABLES];
    if (field) found[field] = match[2];
  }
  const missing = Object.entries(ENDPOINT_VARIABLES)
    .filter(([, field]) => !found[field])
    .map(([variable]) => variable);
  if (missing.length > 0) {
    throw new Error(`${source} lacks ${missing.join(', ')}; run \`scripts/stack.sh up\` again and see its log lines`);
  }
  return found as ServiceEndpoints;
}
