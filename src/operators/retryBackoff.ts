import {
  asyncScheduler,
  identity,
  retry,
  throwError,
  type MonoTypeOperatorFunction,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import { retryWithin, subscribeWithin } from '../budget/subscribeWithin';
import type { RetryBudget } from '../budget/RetryBudget';
import { InvalidConfigError, type ConfigIssue } from '../errors/InvalidConfigError';
import * as c from '../internal/codecs';
import { configIssue, readConfig } from '../internal/decodeConfig';
import { operate } from '../internal/operate';
import { RetryPlan } from '../internal/RetryPlan';
import { delayBy } from '../internal/schedule';

/** How the delay before each retry is spread (see {@link RetryBackoffConfig.jitter}). */
export type RetryBackoffJitter = 'none' | 'full' | 'equal' | 'decorrelated';

/** Configuration of {@link retryBackoff}. */
export interface RetryBackoffConfig {
  /** Retries after the first attempt; `0` leaves the source as it is. A non-negative integer. */
  readonly maxRetries: number;
  /** Delay before retry 1, in ms (finite, >= 0). */
  readonly initialDelay: number;
  /**
   * Upper bound of every computed delay, in ms; at least `initialDelay`. An error's `info.retryAfter` may
   * ask for longer (see {@link retryBackoff}). @default Infinity
   */
  readonly maxDelay?: number | undefined;
  /** Growth of the delay from one retry to the next (finite, >= 1). @default 2 */
  readonly multiplier?: number | undefined;
  /**
   * How each delay is spread, with `d = min(maxDelay, initialDelay * multiplier^(retry - 1))`:
   * `'none'`: `d`; `'full'`: `random() * d`; `'equal'`: `d/2 + random() * d/2`; `'decorrelated'`:
   * `min(maxDelay, initialDelay + random() * (3 * previous - initialDelay))`, `previous` being the last
   * delay waited (`initialDelay` before the first). @default 'full'
   */
  readonly jitter?: RetryBackoffJitter | undefined;
  /**
   * Asked before each retry with the error and the retry number (1-based); `false` re-emits the error at
   * once. Not asked once the retries have run out. A throw errors the result with what was thrown.
   * @default isTransient: a refusal by a policy of this library (an open breaker, a full bulkhead, ...)
   * or a 4xx other than 408, 425 and 429 fails at once
   */
  readonly shouldRetry?: ((error: unknown, retry: number) => boolean) | undefined;
  /** A value from the source resets the retry count (and the backoff) to the start. @default false */
  readonly resetOnSuccess?: boolean | undefined;
  /**
   * A retry budget shared by every call to the dependency (DESIGN 2.10): each subscription deposits one
   * call, and each retry (after `shouldRetry` said yes, while retries are left) is withdrawn; a retry the
   * budget refuses is not made, and the error is re-emitted at once.
   */
  readonly budget?: RetryBudget | undefined;
  /** Source of chance for the jitter, returning numbers in [0, 1). @default Math.random */
  readonly random?: (() => number) | undefined;
  /** Scheduler of the delays. @default asyncScheduler */
  readonly scheduler?: SchedulerLike | undefined;
}

/** The codec of {@link RetryBackoffConfig} (a pipeline's `retry` is checked with its fields). @internal */
export const RetryBackoffConfigCodec = c.config(
  'RetryBackoffConfig',
  { maxRetries: c.nonNegativeInt, initialDelay: c.finiteNonNegativeMs },
  {
    maxDelay: c.nonNegativeMs,
    multiplier: c.atLeastOne,
    jitter: c.oneOf<RetryBackoffJitter>(['none', 'full', 'equal', 'decorrelated']),
    shouldRetry: c.fn,
    resetOnSuccess: c.boolean,
    budget: c.retryBudget,
    random: c.fn,
    scheduler: c.scheduler,
  },
);

/**
 * Resubscribes to the source when it errors, at most `maxRetries` times, after an exponentially growing,
 * jittered delay taken from the scheduler. When the retries run out, or `shouldRetry` (by default
 * `isTransient`) says no, the original error is re-emitted. An error that carries a finite
 * `info.retryAfter` (an `HttpStatusError` 429 or 503 with `Retry-After`, a `RateLimitedError`) is waited
 * for at least that long: the delay is `max(computed delay, info.retryAfter)`, `maxDelay` capping only the
 * computed delay. With a `budget` (a `RetryBudget` shared by every call to the dependency), each
 * subscription deposits one call and a retry the budget refuses is not made: the error is re-emitted at
 * once. Every delay is at most 2^31 - 1 ms. Built on rxjs `retry`, so a source that never fails
 * costs what `retry` costs; pending delays share the scheduler's one timer.
 *
 * ```text
 * source:   --#  (cold, errors each time)
 * config:   { maxRetries: 2, initialDelay: 1, jitter: 'none' }
 * result:   ---------#
 * subs:     ^-!
 *           ---^-!
 *           -------^-!
 * ```
 *
 * @example
 * ```ts
 * fetchRequest(url).pipe(
 *   timeoutAfter(500), // per attempt
 *   retryBackoff({ maxRetries: 4, initialDelay: 100, maxDelay: 2000 }),
 * );
 * ```
 * @throws {InvalidConfigError} when the config is not valid (every bad field is named), or `maxDelay` is
 * below `initialDelay`.
 */
export function retryBackoff<T>(config: RetryBackoffConfig): MonoTypeOperatorFunction<T> {
  const settings = decode(config);
  const { maxRetries, initialDelay, jitter, resetOnSuccess = false, budget } = settings;
  if (maxRetries === 0) {
    if (budget === undefined) return identity;
    return operate<T, T>((source, destination) => {
      budget.deposit();
      // An observer of the budget may have cancelled the call.
      if (!destination.closed) subscribeWithin(budget, source, destination);
    });
  }
  const plan = new RetryPlan(settings);
  const scheduler = settings.scheduler ?? asyncScheduler;

  /** `state.previous` is the delay waited before the last retry of one subscription. */
  const retrying = (state: { previous: number }): MonoTypeOperatorFunction<T> =>
    retry<T>({
      count: maxRetries,
      resetOnSuccess,
      delay: (error: unknown, n: number): Observable<unknown> => {
        const delay = plan.delay(error, n, state.previous);
        if (delay < 0) return throwError(() => error);
        state.previous = delay;
        // With a budget, the attempt it resubscribes is nested in the call (see subscribeWithin).
        return budget === undefined
          ? delayBy(scheduler, delay)
          : retryWithin(budget, delayBy(scheduler, delay));
      },
    });

  // Only the decorrelated strategy reads `previous`: it alone needs state per subscription; a budget
  // needs a deposit per subscription, and its attempts nested in the call (see subscribeWithin).
  const decorrelated = jitter === 'decorrelated';
  if (!decorrelated && budget === undefined) return retrying({ previous: initialDelay });
  const shared = decorrelated ? undefined : retrying({ previous: initialDelay });
  return operate<T, T>((source, destination) => {
    const retried = source.pipe(shared ?? retrying({ previous: initialDelay }));
    if (budget === undefined) {
      retried.subscribe(destination);
      return;
    }
    budget.deposit();
    // An observer of the budget may have cancelled the call.
    if (!destination.closed) subscribeWithin(budget, retried, destination);
  });
}

/**
 * Reads the config once (see `readConfig`), validates what was read, then checks `maxDelay` against
 * `initialDelay`; throws every issue at once, else returns what was read.
 */
function decode(input: RetryBackoffConfig): RetryBackoffConfig {
  const { value: config, issues } = readConfig<RetryBackoffConfig>(RetryBackoffConfigCodec, input);
  const issue = issues.length === 0 ? maxDelayIssue(config) : undefined;
  if (issue !== undefined) issues.push(issue);
  if (issues.length > 0) throw new InvalidConfigError({ operator: 'retryBackoff', issues });
  return config;
}

/**
 * The issue of a valid retry config whose `maxDelay` is below its `initialDelay` (DESIGN §2.3), named
 * `path`; else undefined. Shared with `ResiliencePipeline`'s `retry`. @internal
 */
export function maxDelayIssue(
  config: Pick<RetryBackoffConfig, 'initialDelay' | 'maxDelay'>,
  path = 'maxDelay',
): ConfigIssue | undefined {
  const { initialDelay, maxDelay } = config;
  if (maxDelay === undefined || maxDelay >= initialDelay) return undefined;
  return configIssue(path, `at least \`initialDelay\` (${initialDelay})`, maxDelay);
}
