export { connectRedis, createRedis, explainRedisError, isRedisAuthError, redisClientOptions } from './client.ts';
