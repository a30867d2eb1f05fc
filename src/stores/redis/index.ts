/* The Redis rate-limit store of rxjs-resilience: import from `rxjs-resilience/redis`. The only place that
   refers to ioredis, an optional peer dependency, and only to its types: the client is the user's, so
   neither this entry nor the package's main entry loads ioredis. */
export { redisRateLimitStore } from './redisRateLimitStore';
export type {
  RedisRateLimitStore,
  RedisRateLimitStoreConfig,
  RedisRateLimitStoreMetrics,
  WhenRedisUnavailable,
} from './redisRateLimitStore';
