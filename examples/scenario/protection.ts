/**
 * The protected client's policies, all in this one file: the dependency's breaker and bulkhead, the
 * pipeline each call goes through, and the bounded buffer the stream of requests goes through.
 *
 * Each call is `fetchRequest(url)` through one `ResiliencePipeline`, which applies, outermost first: a
 * 1 s deadline for the whole call, up to 2 retries of transient failures with jittered backoff, a circuit
 * breaker, a bulkhead of 8 slots, and a 300 ms timeout per attempt. It never errors: `resilientEither`
 * gives `right(body)`, or `left(failure)` where the caller falls back.
 */
import type { Either } from 'fp-ts/lib/Either';
import { map, type Observable } from 'rxjs';
import {
  Bulkhead,
  CircuitBreaker,
  ResiliencePipeline,
  fetchRequest,
  resilientEither,
  seededRandom,
  type BoundedMergeMapConfig,
  type CallFailure,
} from '../../src/index';

export type { CallFailure };

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
  });
  const pool = new Bulkhead({ name: 'dependency', ...p });
  const pipeline = new ResiliencePipeline({
    name: 'dependency',
    deadline, // the whole call: attempts, waiting and backoff included
    retry: { ...retry, random: seededRandom(3) }, // transient failures only: refusals fail fast
    breaker, // while open, refused at once: no slot taken, nothing sent
    bulkhead: pool, // each attempt holds one of the dependency's slots
    attemptTimeout, // each attempt: a hung one becomes a failure the breaker counts
  });

  const call = (url: string): Observable<Either<CallFailure, string>> =>
    fetchRequest(url).pipe(
      map((response) => response.body),
      resilientEither(pipeline),
    );

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
