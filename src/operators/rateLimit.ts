import type { MonoTypeOperatorFunction } from 'rxjs';
import { InvalidConfigError } from '../errors/InvalidConfigError';
import type { RateLimiter } from '../limiter/RateLimiter';
import { isRateLimiter } from '../internal/brand';
import { config, positiveInt, string } from '../internal/codecs';
import { configIssue, readConfig } from '../internal/decodeConfig';
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
  const options = readOptions(limiter, config);
  const { key, cost } = options;
  return operate<T, T>((source, destination) => options.limiter.enter(source, destination, key, cost));
}

interface Options {
  readonly limiter: RateLimiter;
  readonly key: string;
  readonly cost: number;
}

/**
 * Reads the options once. Created once per call in the usual `defer(...).pipe(rateLimit(limiter, { key
 * }))`, so the valid case is checked by hand first; the full read (`readConfig`), which names every bad
 * field, runs only when that check fails, and its copy is what is used.
 */
function readOptions(limiter: RateLimiter, config: unknown): Options {
  try {
    if (isRateLimiter(limiter) && isPlainObject(config) && onlyKnownKeys(config)) {
      const key = config['key'] ?? '';
      const cost = config['cost'] ?? 1;
      if (typeof key === 'string' && Number.isSafeInteger(cost) && (cost as number) >= 1) {
        if ((cost as number) <= limiter.burst) return { limiter, key, cost: cost as number };
      }
    }
  } catch {
    // A getter or proxy that throws: the full read below names the field.
  }
  const { value, issues } = readConfig<RateLimitConfig>(codec, config);
  if (!isRateLimiter(limiter)) {
    issues.unshift(
      configIssue('limiter', 'a RateLimiter (new RateLimiter({ limit, interval, ... }))', limiter),
    );
  } else if (positiveInt.is(value?.cost) && value.cost > limiter.burst) {
    issues.push(configIssue('cost', `at most the limiter's burst (${limiter.burst})`, value.cost));
  }
  if (issues.length > 0) throw new InvalidConfigError({ operator: 'rateLimit', issues });
  return { limiter, key: value.key ?? '', cost: value.cost ?? 1 };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as object | null;
  return proto === null || Object.getPrototypeOf(proto) === null;
}

function onlyKnownKeys(config: object): boolean {
  for (const key in config) if (key !== 'key' && key !== 'cost') return false;
  return true;
}
