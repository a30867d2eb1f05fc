/**
 * The protected client's policies, all in this one file: the dependency's breaker and bulkhead, the
 * stack each call goes through, and the bounded buffer the stream of requests goes through.
 *
 * Each call is `fetchRequest(url)` inside, outermost first: a 1 s deadline for the whole call, up to 2
 * retries of transient failures with jittered backoff, a circuit breaker, a bulkhead of 8 slots, and a
 * 300 ms timeout per attempt (the order of DESIGN.md §2.7). It never errors: it gives `right(body)`, or
 * `left(failure)` where the caller falls back.
 *
 * Once `ResiliencePipeline` lands, `createProtection` becomes (and nothing else changes):
 *
 *   const pipeline = new ResiliencePipeline({ deadline, retry, breaker, bulkhead: pool, attemptTimeout });
 *   call: (url) => fetchRequest(url).pipe(map((r) => r.body), resilientEither(pipeline)),
 */
import { left, right, type Either } from 'fp-ts/lib/Either';
import { catchError, defer, map, of, type Observable } from 'rxjs';
import { performance } from 'node:perf_hooks';
import {
  Bulkhead,
  CircuitBreaker,
  bulkhead,
  circuitBreaker,
  fetchRequest,
  isTransient,
  retryBackoff,
  seededRandom,
  timeoutAfter,
  type BoundedMergeMapConfig,
} from '../../src/index';

/** Why a protected call failed (the shape of DESIGN.md §2.7's `CallFailure`). */
export interface CallFailure {
  readonly error: unknown;
  /** Attempts that reached the dependency (refused ones not included). */
  readonly attempts: number;
  /** ms from the call's start to its failure. */
  readonly elapsed: number;
}

/** The numbers, in ms where they are durations. */
export const SETTINGS = {
  deadline: 1000,
  attemptTimeout: 300,
  retry: { maxRetries: 2, initialDelay: 50, maxDelay: 200 },
  breaker: { windowSize: 10, minimumCalls: 5, failureRateThreshold: 0.5, openDuration: 1000 },
  pool: { maxConcurrent: 8, maxQueued: 4, queueTimeout: 100 },
  /** The stream: calls running at once, events waiting, and which event goes when the buffer is full. */
  stream: { concurrency: 12, capacity: 4, overflow: 'dropOldest' },
} as const;

/** The protected client's policies: one breaker and one pool for the dependency, shared by its calls. */
export interface Protection {
  readonly breaker: CircuitBreaker;
  readonly pool: Bulkhead;
  /** The bounded buffer for the stream of requests (`boundedMergeMapNotices`' config). */
  readonly stream: BoundedMergeMapConfig<unknown>;
  /** One call to `url` through every policy: `right(body)` or `left(failure)`, never an error. */
  call(url: string): Observable<Either<CallFailure, string>>;
  /** What protects the client, in one line. */
  readonly description: string;
}

/** Builds the dependency's policies. */
export function createProtection(): Protection {
  const { deadline, attemptTimeout, retry, breaker: b, pool: p, stream } = SETTINGS;
  const breaker = new CircuitBreaker({
    name: 'dependency',
    window: { type: 'count', size: b.windowSize },
    minimumCalls: b.minimumCalls,
    failureRateThreshold: b.failureRateThreshold,
    openDuration: b.openDuration,
    isFailure: isTransient, // a refusal by the bulkhead is not the dependency failing
  });
  const pool = new Bulkhead({ name: 'dependency', ...p });
  const random = seededRandom(3);

  const call = (url: string): Observable<Either<CallFailure, string>> =>
    defer(() => {
      const started = performance.now();
      let attempts = 0;
      return defer(() => {
        attempts++;
        return fetchRequest(url);
      }).pipe(
        map((response) => response.body),
        timeoutAfter(attemptTimeout), // each attempt: a hung one becomes a failure the breaker counts
        bulkhead(pool), // each attempt holds one of the dependency's slots
        circuitBreaker(breaker), // while open, refused at once: no slot taken, nothing sent
        retryBackoff({ ...retry, shouldRetry: isTransient, random }), // refusals fail fast
        timeoutAfter(deadline), // the whole call: attempts, waiting and backoff included
        map((body) => right<CallFailure, string>(body)),
        catchError((error: unknown) =>
          of(left<CallFailure, string>({ error, attempts, elapsed: performance.now() - started })),
        ),
      );
    });

  return {
    breaker,
    pool,
    stream,
    call,
    description:
      `deadline ${deadline} ms, ${retry.maxRetries} retries, breaker (opens at ` +
      `${b.failureRateThreshold * 100}% of ${b.windowSize} calls, probes after ${b.openDuration} ms), ` +
      `bulkhead of ${p.maxConcurrent}, ${attemptTimeout} ms per attempt; ` +
      `at most ${stream.concurrency} calls at once and ${stream.capacity} waiting (${stream.overflow})`,
  };
}
