/**
 * The README's quick-start pipeline ("A resilient call in one pipeline"): one HTTP call through
 * `fetchRequest` + `timeoutAfter` + `circuitBreaker` + `bulkhead` + `retryBackoff` + `timeoutAfter`, with
 * one breaker and one pool shared by every call to the dependency. spec/examples/resilientCall.spec.ts
 * runs it against a fault server and checks that the README shows this same code.
 *
 * In your project, import from 'rxjs-resilience'.
 */
import {
  Bulkhead,
  CircuitBreaker,
  bulkhead,
  circuitBreaker,
  fetchRequest,
  isHttpStatusError,
  isNetworkError,
  isTimeoutExceededError,
  retryBackoff,
  timeoutAfter,
} from '../src/index';

// One breaker and one pool per dependency, shared by every call to it.
export const usersBreaker = new CircuitBreaker({ name: 'users', minimumCalls: 5, openDuration: 5000 });
export const usersPool = new Bulkhead({ name: 'users', maxConcurrent: 4, maxQueued: 8, queueTimeout: 1000 });

// Worth another attempt: a timeout, a refused or reset connection, a 5xx. Not a 4xx, nor a refusal by
// the breaker or the pool (those fail fast).
const transient = (e: unknown) =>
  isTimeoutExceededError(e) || isNetworkError(e) || (isHttpStatusError(e) && e.info.status >= 500);

export const resilientCall = (url: string, breaker = usersBreaker, pool = usersPool) =>
  fetchRequest(url).pipe(
    timeoutAfter(500), // each attempt: a hung attempt becomes a failure the breaker counts
    circuitBreaker(breaker), // each attempt is an outcome; while open, refused at once (not sent)
    bulkhead(pool), // each attempt holds a slot; a full pool refuses, and the breaker never sees it
    retryBackoff({ maxRetries: 3, initialDelay: 100, maxDelay: 1000, shouldRetry: transient }),
    timeoutAfter(2000), // the whole call: attempts, queueing and backoff included
  );
