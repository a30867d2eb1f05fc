/**
 * Protecting a struggling dependency from its own callers (docs/rate-limiter.md, docs/retry-budget.md):
 * one `RateLimiter` and one `RetryBudget` per dependency, shared by every call to it.
 *
 * - The budget caps a retry storm: however many calls fail and retry, their retries add at most 20% of
 *   the calls, plus a small reserve, instead of multiplying the load by the retries of each call.
 * - A 429 (or 503) with `Retry-After` pauses every caller through `limiter.penalize`: none of them sends a
 *   request before the dependency said it could take one, not only the caller that was told.
 *
 * spec/examples/protectTheDependency.spec.ts runs it against the fault server on 127.0.0.1.
 *
 * In your project, import from 'rxjs-resilience'.
 */
import { map, tap, type MonoTypeOperatorFunction, type Observable } from 'rxjs';
import {
  RateLimiter,
  RetryBudget,
  fetchRequest,
  isHttpStatusError,
  rateLimit,
  retryBackoff,
  timeoutAfter,
} from '../src/index';

/** The policies of one dependency, shared by every call to it. */
export interface DependencyPolicies {
  readonly limiter: RateLimiter;
  readonly budget: RetryBudget;
}

export const createPolicies = (): DependencyPolicies => ({
  // 1 000 requests a second, bursts of 100; a call waits up to 2 s for its turn.
  limiter: new RateLimiter({ name: 'api', limit: 1000, interval: 1000, burst: 100, maxWait: 2000 }),
  // Retries may add 20% of the calls, plus 1 retry a second (a reserve of 10 over the 10 s window).
  budget: new RetryBudget({ minRetriesPerSecond: 1 }),
});

/** When the dependency says to wait (429 or 503 with Retry-After), every caller of the limiter waits. */
export const pauseOnRetryAfter = <T>(limiter: RateLimiter): MonoTypeOperatorFunction<T> =>
  tap<T>({
    error: (e: unknown) => {
      if (isHttpStatusError(e) && (e.info.status === 429 || e.info.status === 503)) {
        if (e.info.retryAfter !== undefined) limiter.penalize(e.info.retryAfter);
      }
    },
  });

export const callDependency = (url: string, { limiter, budget }: DependencyPolicies): Observable<string> =>
  fetchRequest(url).pipe(
    timeoutAfter(1000), // each attempt
    pauseOnRetryAfter(limiter), // a 429 holds every caller, this one's retry included
    rateLimit(limiter), // each attempt takes a permit, next to the wire
    retryBackoff({ maxRetries: 3, initialDelay: 20, budget }), // retries within the shared budget
    map((res) => res.body),
  );
