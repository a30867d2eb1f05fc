/**
 * An event-driven client: requests arrive as events (from a socket, a queue, a UI), and each one goes
 * through one `ResiliencePipeline` for its dependency. A bounded buffer absorbs bursts
 * (`boundedMergeMap`), `resilientEither` turns each call's failure into data instead of an error that
 * would end the stream, and every request ends as exactly one outcome: an answer, a typed failure with
 * the number of attempts it took, or a reported drop.
 *
 * spec/examples/requestStream.spec.ts runs it against the fault server on 127.0.0.1.
 *
 * In your project, import from 'rxjs-resilience'.
 *
 * Run it: npx ts-node --transpile-only examples/requestStream.ts (about 2 seconds, against a local fault server)
 */
import { isLeft } from 'fp-ts/lib/Either';
import { Subject, defer, finalize, from, map, merge, type Observable } from 'rxjs';
import {
  Bulkhead,
  CircuitBreaker,
  ResiliencePipeline,
  boundedMergeMap,
  fetchRequest,
  isBulkheadRejectedError,
  isCircuitOpenError,
  isHttpStatusError,
  isNetworkError,
  isTimeoutExceededError,
  resilientEither,
} from '../src/index';
import { startFaultServer } from '../src/testing/index';

/** One request, as it arrives on the event stream. */
export interface Request {
  readonly id: string;
  /** Path and query on the dependency. */
  readonly path: string;
}

/** How one request ended: exactly one per request. */
export type Outcome =
  | { readonly id: string; readonly kind: 'answered'; readonly body: string; readonly attempts: number }
  | {
      readonly id: string;
      readonly kind: 'failed';
      /** What failed, in words: `HTTP 404`, `timeout`, `network ECONNRESET`, `breaker open`, `pool full`. */
      readonly reason: string;
      readonly error: unknown;
      readonly attempts: number;
      readonly elapsed: number;
    }
  | { readonly id: string; readonly kind: 'dropped' };

/** The dependency's policies: one pipeline, shared by every request to it. */
export function usersPipeline(): ResiliencePipeline {
  return new ResiliencePipeline({
    name: 'users',
    deadline: 1500,
    retry: { maxRetries: 2, initialDelay: 50, maxDelay: 200 },
    breaker: new CircuitBreaker({ name: 'users', minimumCalls: 20, openDuration: 5000 }),
    bulkhead: new Bulkhead({ name: 'users', maxConcurrent: 4, maxQueued: 4, queueTimeout: 1000 }),
    attemptTimeout: 300,
  });
}

/** A failure in words. */
export function reasonOf(error: unknown): string {
  if (isHttpStatusError(error)) return `HTTP ${error.info.status}`;
  if (isTimeoutExceededError(error)) return 'timeout';
  if (isNetworkError(error)) return `network ${error.info.code ?? 'error'}`;
  if (isCircuitOpenError(error)) return 'breaker open';
  if (isBulkheadRejectedError(error)) return 'pool full';
  return String(error);
}

/**
 * Handles a stream of requests: at most `concurrency` calls at once, at most `capacity` requests waiting
 * (a burst beyond that drops the oldest waiting ones, each reported), each call through `pipeline`.
 * Emits one outcome per request, and completes once `requests$` has completed and every call has ended.
 */
export function handleRequests(
  requests$: Observable<Request>,
  baseUrl: string,
  pipeline: ResiliencePipeline,
  { capacity = 8, concurrency = 4 }: { capacity?: number; concurrency?: number } = {},
): Observable<Outcome> {
  return defer(() => {
    const dropped = new Subject<Outcome>();
    const answers = requests$.pipe(
      boundedMergeMap(
        (request) => {
          let attempts = 0;
          const call = defer(() => {
            attempts++;
            return fetchRequest(`${baseUrl}${request.path}`);
          });
          return call.pipe(
            resilientEither(pipeline, { meta: request.id }),
            map((result): Outcome => {
              if (!isLeft(result)) {
                return { id: request.id, kind: 'answered', body: result.right.body, attempts };
              }
              const { error, attempts: tried, elapsed } = result.left;
              return {
                id: request.id,
                kind: 'failed',
                reason: reasonOf(error),
                error,
                attempts: tried,
                elapsed,
              };
            }),
          );
        },
        {
          capacity,
          concurrency,
          overflow: 'dropOldest',
          onOverflow: (request) => dropped.next({ id: request.id, kind: 'dropped' }),
        },
      ),
      finalize(() => dropped.complete()),
    );
    return merge(dropped, answers);
  });
}

/** Prints one line per outcome. */
export function describeOutcome(outcome: Outcome): string {
  switch (outcome.kind) {
    case 'answered':
      return `${outcome.id}: answered "${outcome.body}" after ${outcome.attempts} attempt(s)`;
    case 'failed':
      return `${outcome.id}: failed (${outcome.reason}) after ${outcome.attempts} attempt(s), ${Math.round(outcome.elapsed)} ms`;
    case 'dropped':
      return `${outcome.id}: dropped (a newer request took its place in the buffer)`;
  }
}

async function main(): Promise<void> {
  const server = await startFaultServer({ seed: 3 });
  const path = (url: string) => url.slice(server.url.length);
  const requests: Request[] = [
    { id: 'ok', path: path(server.urlOf('/ok')) },
    { id: 'flaky', path: path(server.urlOf('/burst', { n: 2, retryAfter: 0 })) },
    { id: 'missing', path: path(server.urlOf('/status', { code: 404 })) },
    { id: 'reset', path: path(server.urlOf('/reset')) },
    { id: 'hung', path: path(server.urlOf('/hang')) },
    ...Array.from({ length: 10 }, (_, i) => ({
      id: `slow-${i}`,
      path: path(server.urlOf('/latency', { ms: 100 })),
    })),
  ];
  await new Promise<void>((resolve) => {
    handleRequests(from(requests), server.url, usersPipeline()).subscribe({
      next: (outcome) => console.log(describeOutcome(outcome)),
      complete: resolve,
    });
  });
  await server.close();
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
