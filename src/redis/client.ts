import { Redis, type RedisOptions } from 'ioredis';
import type { RedisConfig } from '../config/index.ts';
import { ErrorCodes, MarketoStreamError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { explainTlsTrustFailure } from '../tls.ts';

const SETTINGS_HINT =
  'redis.username / REDIS_USERNAME and redis.password / REDIS_PASSWORD (or the user and password in redis.url / REDIS_URL)';

/** The ioredis options of `settings`: ACL user and password, TLS (on with rediss://) with its CA and server name. */
export function redisClientOptions(settings: RedisConfig): RedisOptions {
  const tls = settings.url.startsWith('rediss:')
    ? {
        tls: {
          rejectUnauthorized: settings.tls?.rejectUnauthorized ?? true,
          ...(settings.tls?.ca === undefined ? {} : { ca: settings.tls.ca }),
          ...(settings.tls?.servername === undefined ? {} : { servername: settings.tls.servername }),
        },
      }
    : {};
  return {
    ...tls,
    ...(settings.username === undefined ? {} : { username: settings.username }),
    ...(settings.password === undefined ? {} : { password: settings.password }),
  };
}

/** True for Redis's answers to bad credentials (WRONGPASS, NOAUTH, an ACL refusal). */
export function isRedisAuthError(err: unknown): boolean {
  return /^(WRONGPASS|NOAUTH|NOPERM)\b/.test((err as Error | undefined)?.message ?? '');
}

/** The user Redis is asked to authenticate, for messages (never the password). */
function userOf(settings: RedisConfig): string {
  if (settings.username !== undefined) return settings.username;
  try {
    return decodeURIComponent(new URL(settings.url).username) || 'default';
  } catch {
    return 'default';
  }
}

/** The host:port of the Redis URL, for messages (the URL itself may hold the password). */
function hostOf(settings: RedisConfig): string {
  try {
    return new URL(settings.url).host;
  } catch {
    return '(unparsable redis.url)';
  }
}

/**
 * A clear CREDENTIALS_REJECTED error for a Redis authentication failure (naming the user and the
 * settings, never the password), an untrusted certificate a NETWORK error naming the TLS settings;
 * any other error is returned as it is.
 */
export function explainRedisError(err: unknown, settings: RedisConfig): unknown {
  if (!isRedisAuthError(err)) {
    const tls = 'redis.tls.ca / REDIS_TLS_CA_FILE and redis.tls.servername / REDIS_TLS_SERVERNAME';
    return explainTlsTrustFailure(err, `Redis at ${hostOf(settings)}`, tls) ?? err;
  }
  const reply = String((err as Error).message).split(' ')[0];
  // Not the ioredis error itself as the cause: it carries the failed command, AUTH and password included.
  const cause = new Error((err as Error).message);
  return new MarketoStreamError(
    ErrorCodes.CREDENTIALS_REJECTED,
    `Redis at ${hostOf(settings)} refused user "${userOf(settings)}" (${reply}): check ${SETTINGS_HINT}`,
    { field: 'redis.password', cause },
  );
}

/**
 * The one way marketo-stream builds a Redis client (service, tests): `settings` (URL, ACL user,
 * TLS) plus `extra` ioredis options. Connection errors are logged through `logger` (authentication
 * failures as {@link explainRedisError}'s clear message, once until the client is ready again);
 * without a logger they are left to the caller's own 'error' listener.
 */
export function createRedis(settings: RedisConfig, logger?: Logger, extra: RedisOptions = {}): Redis {
  const redis = new Redis(settings.url, { ...redisClientOptions(settings), ...extra });
  if (logger) {
    const log = logger.child({ component: 'redis' });
    let reported = false;
    redis.on('ready', () => {
      reported = false;
    });
    redis.on('error', (err: Error) => {
      if (reported) return;
      reported = true;
      const explained = explainRedisError(err, settings);
      log.error({ err: explained }, (explained as Error).message);
    });
  }
  return redis;
}

/**
 * {@link createRedis}, connected: resolves once Redis is ready. Rejects at once with
 * CREDENTIALS_REJECTED when Redis refuses the credentials; while Redis cannot be reached it keeps
 * trying (ioredis reconnects by itself) for `readyTimeoutMs`, then rejects with the last
 * connection error. The client is disconnected when it rejects.
 */
export function connectRedis(
  settings: RedisConfig,
  logger?: Logger,
  extra: RedisOptions = {},
  readyTimeoutMs = 30_000,
): Promise<Redis> {
  const redis = createRedis(settings, logger, { ...extra, lazyConnect: true });
  return new Promise((resolve, reject) => {
    let lastError: unknown;
    const settle = (err?: unknown) => {
      clearTimeout(timer);
      redis.off('error', onError);
      redis.off('ready', onReady);
      if (err === undefined) return resolve(redis);
      redis.disconnect();
      reject(explainRedisError(err, settings));
    };
    const onError = (err: unknown) => {
      lastError = err;
      if (isRedisAuthError(err)) settle(err);
    };
    const onReady = () => settle();
    const timer = setTimeout(
      () => settle(lastError ?? new Error(`Redis at ${hostOf(settings)} not ready within ${readyTimeoutMs} ms`)),
      readyTimeoutMs,
    );
    redis.on('error', onError);
    redis.once('ready', onReady);
    // Its failures arrive as 'error' events (above); ioredis reconnects by itself.
    redis.connect().catch(() => {});
  });
}
