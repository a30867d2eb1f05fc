/**
 * The README's quick start ("A resilient call in one pipeline"): one `ResiliencePipeline` for the users
 * dependency (a deadline, retries, a breaker, a bulkhead and an attempt timeout, in the one right order),
 * and one line per call. spec/examples/resilientCall.spec.ts runs it against a fault server and checks
 * that the README shows this same code.
 *
 * In your project, import from 'rxjs-resilience'.
 */
import { Bulkhead, CircuitBreaker, ResiliencePipeline, fetchRequest, resilient } from '../src/index';

// One pipeline per dependency, shared by every call to it.
export const users = new ResiliencePipeline({
  name: 'users',
  deadline: 2000, // the whole call: attempts, waiting for a slot and backoff included
  retry: { maxRetries: 3, initialDelay: 100, maxDelay: 1000 }, // transient errors only
  breaker: new CircuitBreaker({ name: 'users', minimumCalls: 5, openDuration: 5000 }),
  bulkhead: new Bulkhead({ name: 'users', maxConcurrent: 4, maxQueued: 8, queueTimeout: 1000 }),
  attemptTimeout: 500, // each attempt, on the wire
});

// One line per call.
export const resilientCall = (url: string, pipeline = users) => fetchRequest(url).pipe(resilient(pipeline));
