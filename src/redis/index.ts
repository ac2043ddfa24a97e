export { connectRedis, createRedis, explainRedisError, isRedisAuthError, redisClientOptions } from './client.ts';
export { asRedisUnavailable, isRedisOutage, redisCall } from './errors.ts';
