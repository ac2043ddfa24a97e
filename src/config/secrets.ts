import type { Config } from './schema.ts';

/** The password part of a URL such as `rediss://user:pass@host`, if any. */
function urlPassword(url: string): string | undefined {
  try {
    const password = decodeURIComponent(new URL(url).password);
    return password === '' ? undefined : password;
  } catch {
    return undefined;
  }
}

/**
 * Every secret value of a configuration (Marketo client secrets, the Kafka SASL password, the
 * registry and Redis passwords, passwords written into URLs): what the logger scrubs from every
 * line and what the secret-leak test looks for.
 */
export function secretValues(config: Readonly<Config>): string[] {
  const values = [
    ...config.connections.map((c) => c.clientSecret),
    config.kafka.sasl?.password,
    config.schemaRegistry.password,
    config.redis.password,
    urlPassword(config.redis.url),
  ];
  return [...new Set(values.filter((v): v is string => typeof v === 'string' && v !== ''))];
}
