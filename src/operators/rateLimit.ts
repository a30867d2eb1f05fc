import type { MonoTypeOperatorFunction } from 'rxjs';
import { InvalidConfigError } from '../errors/InvalidConfigError';
import type { ConfigIssue } from '../errors/InvalidConfigError';
import { RateLimiter } from '../limiter/RateLimiter';
import { config, positiveInt, string } from '../internal/codecs';
import { configIssue, configIssues } from '../internal/decodeConfig';
import { operate } from '../internal/operate';

/** Options of {@link rateLimit}: what one call is counted as. */
export interface RateLimitConfig {
  /** The key the call is counted against (a user, a tenant, a host). @default '' */
  readonly key?: string | undefined;
  /** Permits the call takes. A positive integer, at most the limiter's `burst`. @default 1 */
  readonly cost?: number | undefined;
}

const codec = config('RateLimitConfig', {}, { key: string, cost: positiveInt });

/**
 * Runs each subscription to the source as one call through a shared {@link RateLimiter}: subscribed at
 * once when a permit is free for its `key`, `w` ms later when the limiter reserves one that frees up
 * within `maxWait`, or never: it errors at once with `RateLimitedError`, whose `retryAfter` is the ms
 * until a permit could be had. A waiting call that is unsubscribed never starts (its reserved permit is
 * not given back: the limiter counts what was promised to the dependency, not what was sent).
 *
 * ```text
 * limiter: { limit: 2, interval: 10 } (T = 5, burst 2), calls to one key subscribed at these frames
 * call at 0   (x|)
 * call at 0   (x|)
 * call at 0   #            RateLimitedError, retryAfter 5: never subscribed
 * call at 2   --#          retryAfter 3 (a refusal takes nothing)
 * call at 5   -----(x|)    admitted exactly when due
 * ```
 *
 * @example
 * ```ts
 * const perUser = new RateLimiter({ name: 'api', limit: 10, interval: 1000, maxWait: 500 });
 * const search = (user: string, q: string) =>
 *   defer(() => api.search(q)).pipe(rateLimit(perUser, { key: user }));
 * const upload = (user: string, file: Blob) =>
 *   defer(() => api.upload(file)).pipe(rateLimit(perUser, { key: user, cost: 5 }));
 * ```
 * @param limiter The limiter shared by every call it limits.
 * @throws {InvalidConfigError} when `limiter` is not a `RateLimiter`, or `config` is invalid, or `cost` is
 * above the limiter's `burst` (such a call could never be admitted).
 */
export function rateLimit<T>(
  limiter: RateLimiter,
  config: RateLimitConfig = {},
): MonoTypeOperatorFunction<T> {
  // Created once per call in the usual `defer(...).pipe(rateLimit(limiter, { key }))`: the valid case is
  // checked by hand first; the codec runs only to say what is wrong.
  const key = config?.key ?? '';
  const cost = config?.cost ?? 1;
  if (
    typeof config !== 'object' ||
    config === null ||
    !(limiter instanceof RateLimiter) ||
    typeof key !== 'string' ||
    !Number.isSafeInteger(cost) ||
    cost < 1 ||
    cost > limiter.burst ||
    !onlyKnownKeys(config)
  ) {
    throw new InvalidConfigError({ operator: 'rateLimit', issues: issuesOf(limiter, config) });
  }
  return operate<T, T>((source, destination) => limiter.enter(source, destination, key, cost));
}

function onlyKnownKeys(config: object): boolean {
  for (const key in config) if (key !== 'key' && key !== 'cost') return false;
  return true;
}

function issuesOf(limiter: unknown, config: unknown): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (!(limiter instanceof RateLimiter)) {
    issues.push(configIssue('limiter', 'a RateLimiter (new RateLimiter({ limit, interval, ... }))', limiter));
  }
  issues.push(...configIssues(codec, config));
  const cost = (config as RateLimitConfig | null)?.cost;
  if (limiter instanceof RateLimiter && positiveInt.is(cost) && cost > limiter.burst) {
    issues.push(configIssue('cost', `at most the limiter's burst (${limiter.burst})`, cost));
  }
  return issues;
}
