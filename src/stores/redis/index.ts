/**
 * Rate limits shared by every process through Redis: {@link redisRateLimitStore} is a `RateLimitStore`
 * whose decisions run on the Redis server, atomically, on its clock. The only entry point that refers to
 * `ioredis`, an optional peer dependency, and only to its types: the client is the user's, so neither
 * this entry nor the main entry loads ioredis.
 * @module rxjs-resilience/redis
 */
export { redisRateLimitStore } from './redisRateLimitStore';
export type {
  RedisRateLimitStore,
  RedisRateLimitStoreConfig,
  RedisRateLimitStoreMetrics,
  WhenRedisUnavailable,
} from './redisRateLimitStore';
