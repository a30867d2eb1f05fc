/**
 * The equivalence of DESIGN.md §2.7, as a property over virtual time: each subscription to
 * `source$.pipe(resilient(p))` behaves exactly as the explicit stack
 * `source$.pipe(timeoutAfter(attemptTimeout), bulkhead(pool), circuitBreaker(breaker), retryBackoff(retry),
 * timeoutAfter(deadline))` followed by the fallback, with each stage left out when its option is.
 *
 * Random configs (each stage present or not, random numbers), random calls overlapping on the shared
 * breaker and pool, each call with random attempts (values, errors of several kinds, hangs, synchronous
 * sources), random caller unsubscribes and `take(1)`, and random fallbacks (a value, a throw, none, or the
 * Either form). Both sides run in their own TestScheduler with their own, identically configured policies
 * and seeded randoms; they must give the same values, errors (name, message and info), instants, upstream
 * subscriptions (subscribe and unsubscribe instants of every attempt), the same breaker and bulkhead
 * events in the same order (an adaptive pool's `limit` events included: it learns from each attempt's end
 * through the fused call's sample as through the operator's subscriber), and the same final policy state. `events$` is checked too: one 'attempt'
 * event per attempt that reached the call, one 'call' event per call with that count.
 *
 * Fixed seed unless FC_SEED is set; FC_RUNS runs (default 300).
 */
import { expect } from 'chai';
import * as fc from 'fast-check';
import {
  catchError,
  defer,
  map,
  Observable,
  of,
  Subject,
  take,
  takeUntil,
  tap,
  type MonoTypeOperatorFunction,
  type Subscription,
} from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either';
import { CircuitBreaker, type CircuitBreakerConfig } from '../../src/breaker/CircuitBreaker';
import { Bulkhead, type BulkheadConfig } from '../../src/bulkhead/Bulkhead';
import { seededRandom } from '../../src/chaos/seededRandom';
import { HttpStatusError } from '../../src/errors/HttpStatusError';
import { bulkhead } from '../../src/operators/bulkhead';
import { circuitBreaker } from '../../src/operators/circuitBreaker';
import { retryBackoff, type RetryBackoffConfig } from '../../src/operators/retryBackoff';
import { hedge, type HedgeConfig } from '../../src/operators/hedge';
import { rateLimit } from '../../src/operators/rateLimit';
import { RateLimiter } from '../../src/limiter/RateLimiter';
import { RetryBudget } from '../../src/budget/RetryBudget';
import { timeoutAfter } from '../../src/operators/timeoutAfter';
import type { CallFailure } from '../../src/pipeline/CallFailure';
import type { PipelineEvent } from '../../src/pipeline/PipelineEvent';
import { ResiliencePipeline } from '../../src/pipeline/ResiliencePipeline';
import { resilient } from '../../src/pipeline/resilient';
import { resilientEither } from '../../src/pipeline/resilientEither';

type ErrorKind = 'boom' | 'http503' | 'http503retryAfter' | 'http429retryAfter' | 'http404';

/** One attempt of a call: what its source does once subscribed. */
interface AttemptScript {
  /** Emits its values and its end while being subscribed (no frame passes). */
  readonly sync: boolean;
  /** Frames before each value (ignored when `sync`). */
  readonly values: ReadonlyArray<number>;
  /** How it ends, and the frames before that. */
  readonly end:
    { readonly kind: 'complete' | 'hang' } | { readonly kind: 'error'; readonly error: ErrorKind };
  readonly endGap: number;
}

interface CallScript {
  /** Frames after the previous call's subscribe (0: the same frame). */
  readonly gap: number;
  /** Attempt i runs script min(i, length - 1). */
  readonly attempts: ReadonlyArray<AttemptScript>;
  /** Frames after subscribing at which the caller unsubscribes; null: never. */
  readonly unsubscribeAfter: number | null;
  /** The caller takes only the first value. */
  readonly takeOne: boolean;
  /** The call's key (the rate limiter counts it against that key). */
  readonly key: 'a' | 'b' | undefined;
}

interface HedgeSetup {
  readonly delay: number;
  readonly maxAttempts: number | undefined;
  readonly shouldHedge: 'default' | 'all' | 'not404';
  /** A RetryBudget whose reserve allows this many extra attempts over its ttl. */
  readonly budget: { readonly minRetriesPerSecond: number; readonly percentCanRetry: number } | undefined;
}

interface LimiterSetup {
  readonly limit: number;
  readonly interval: number;
  readonly burst: number | undefined;
  readonly maxWait: number | undefined;
}

interface RetrySetup {
  readonly maxRetries: number;
  readonly initialDelay: number;
  readonly maxDelay: number | undefined;
  readonly multiplier: number | undefined;
  readonly jitter: RetryBackoffConfig['jitter'];
  readonly resetOnSuccess: boolean;
  readonly shouldRetry: 'default' | 'all' | 'not404' | 'throwOn404';
}

export interface Setup {
  readonly attemptTimeout: number | undefined;
  readonly deadline: number | undefined;
  /** At most one of `retry` and `hedge` (DESIGN §2.7: a call retries or hedges). */
  readonly recovery: { readonly retry: RetrySetup | undefined; readonly hedge: HedgeSetup | undefined };
  readonly rateLimiter: LimiterSetup | undefined;
  readonly breaker: CircuitBreakerConfig | undefined;
  readonly bulkhead: BulkheadConfig | undefined;
  readonly form: 'plain' | 'fallbackValue' | 'fallbackThrow' | 'either';
  /**
   * An events$ observer that cancels the call subscribed last when the `nth` event of `type` comes from
   * the breaker or the pool (a call cancelled while it is being admitted, queued, started, refused...).
   */
  /** The source is wrapped in `circuitBreaker(breaker)` too (the pipeline's breaker applied again). */
  readonly nested: boolean;
  readonly cancelOn:
    { readonly policy: 'breaker' | 'pool'; readonly type: string; readonly nth: number } | undefined;
  readonly calls: ReadonlyArray<CallScript>;
  readonly seed: number;
}

const errorKind = fc.constantFrom<ErrorKind>(
  'boom',
  'boom',
  'http503',
  'http503retryAfter',
  'http429retryAfter',
  'http404',
);

const attemptScript: fc.Arbitrary<AttemptScript> = fc.record({
  sync: fc.boolean(),
  values: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 2 }),
  end: fc.oneof(
    { weight: 3, arbitrary: fc.constant({ kind: 'complete' as const }) },
    { weight: 3, arbitrary: errorKind.map((error) => ({ kind: 'error' as const, error })) },
    { weight: 1, arbitrary: fc.constant({ kind: 'hang' as const }) },
  ),
  endGap: fc.integer({ min: 0, max: 6 }),
});

const callScript: fc.Arbitrary<CallScript> = fc.record({
  gap: fc.integer({ min: 0, max: 4 }),
  attempts: fc.array(attemptScript, { minLength: 1, maxLength: 4 }),
  unsubscribeAfter: fc.option(fc.integer({ min: 0, max: 25 }), { nil: null, freq: 4 }),
  takeOne: fc.constantFrom(false, false, false, true),
  key: fc.constantFrom<CallScript['key']>('a', 'a', 'b', undefined),
});

const retrySetup: fc.Arbitrary<RetrySetup> = fc.record({
  maxRetries: fc.integer({ min: 0, max: 3 }),
  initialDelay: fc.integer({ min: 0, max: 4 }),
  maxDelay: fc.option(fc.integer({ min: 4, max: 8 }), { nil: undefined }),
  multiplier: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
  jitter: fc.constantFrom<RetryBackoffConfig['jitter']>('none', 'full', 'equal', 'decorrelated', undefined),
  resetOnSuccess: fc.boolean(),
  shouldRetry: fc.constantFrom<RetrySetup['shouldRetry']>('default', 'all', 'not404', 'throwOn404'),
});

const breakerSetup: fc.Arbitrary<CircuitBreakerConfig> = fc
  .record(
    {
      window: fc.oneof(
        fc.integer({ min: 1, max: 4 }).map((size) => ({ type: 'count' as const, size })),
        fc.integer({ min: 4, max: 20 }).map((duration) => ({ type: 'time' as const, duration, buckets: 2 })),
      ),
      minimumCalls: fc.integer({ min: 1, max: 3 }), // capped to a count window's size below
      failureRateThreshold: fc.constantFrom(0.5, 1),
      slowCallDuration: fc.integer({ min: 1, max: 8 }),
      slowCallRateThreshold: fc.constantFrom(0.5, 1),
      openDuration: fc.integer({ min: 0, max: 10 }),
      halfOpenCalls: fc.integer({ min: 1, max: 2 }),
      maxHalfOpenDuration: fc.integer({ min: 1, max: 12 }),
      isFailure: fc.constantFrom(
        undefined,
        (e: unknown) => !(e instanceof HttpStatusError),
        (e: unknown) => {
          if (e instanceof HttpStatusError && e.info.status === 404) throw new Error('isFailure broke');
          return true;
        },
      ),
    },
    { requiredKeys: ['window', 'minimumCalls'] },
  )
  .map((config) =>
    config.window?.type === 'count'
      ? { ...config, minimumCalls: Math.min(config.minimumCalls!, config.window.size) }
      : config,
  ) as fc.Arbitrary<CircuitBreakerConfig>;

/** An adaptive limit (issue 14), per call so that every attempt's end moves it, or none. */
const adaptiveSetup: fc.Arbitrary<BulkheadConfig['adaptive']> = fc.oneof(
  fc.constant(undefined),
  fc.record({
    algorithm: fc.constant('aimd' as const),
    max: fc.integer({ min: 3, max: 5 }),
    backoffRatio: fc.constantFrom(0.5, 0.9),
  }),
  fc.record({
    algorithm: fc.constant('vegas' as const),
    max: fc.integer({ min: 3, max: 5 }),
    window: fc.constant(0),
    random: fc.constant(() => 0.5),
  }),
  fc.record({
    algorithm: fc.constant('gradient2' as const),
    min: fc.constant(1),
    max: fc.integer({ min: 3, max: 5 }),
    window: fc.constant(0),
    smoothing: fc.constant(1),
  }),
);

const bulkheadSetup: fc.Arbitrary<BulkheadConfig> = fc.record(
  {
    maxConcurrent: fc.integer({ min: 1, max: 3 }),
    maxQueued: fc.integer({ min: 0, max: 2 }),
    queueTimeout: fc.integer({ min: 1, max: 8 }),
    adaptive: adaptiveSetup,
  },
  { requiredKeys: ['maxConcurrent'] },
);

const hedgeSetup: fc.Arbitrary<HedgeSetup> = fc.record({
  delay: fc.oneof(fc.integer({ min: 0, max: 6 }), fc.constant(Infinity)),
  maxAttempts: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
  shouldHedge: fc.constantFrom<HedgeSetup['shouldHedge']>('default', 'all', 'not404'),
  budget: fc.option(
    fc.record({
      minRetriesPerSecond: fc.constantFrom(0, 100, 1000),
      percentCanRetry: fc.constantFrom(0.2, 1),
    }),
    { nil: undefined },
  ),
});

const limiterSetup: fc.Arbitrary<LimiterSetup> = fc.record({
  limit: fc.integer({ min: 1, max: 3 }),
  interval: fc.integer({ min: 1, max: 10 }),
  burst: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
  maxWait: fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }),
});

const recovery: fc.Arbitrary<Setup['recovery']> = fc.oneof(
  fc.constant({ retry: undefined, hedge: undefined }),
  retrySetup.map((retry) => ({ retry, hedge: undefined })),
  retrySetup.map((retry) => ({ retry, hedge: undefined })),
  hedgeSetup.map((hedge) => ({ retry: undefined, hedge })),
);

const setup: fc.Arbitrary<Setup> = fc.record({
  attemptTimeout: fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
  deadline: fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined }),
  recovery,
  rateLimiter: fc.option(limiterSetup, { nil: undefined, freq: 3 }),
  breaker: fc.option(breakerSetup, { nil: undefined, freq: 3 }),
  bulkhead: fc.option(bulkheadSetup, { nil: undefined, freq: 3 }),
  form: fc.constantFrom<Setup['form']>('plain', 'plain', 'fallbackValue', 'fallbackThrow', 'either'),
  calls: fc.array(callScript, { minLength: 1, maxLength: 7 }),
  seed: fc.integer(),
  nested: fc.constantFrom(false, false, false, true),
  cancelOn: fc.option(
    fc.oneof(
      fc.record({
        policy: fc.constant('breaker' as const),
        type: fc.constantFrom('admit', 'refuse', 'success', 'failure', 'ignore', 'transition'),
        nth: fc.integer({ min: 1, max: 4 }),
      }),
      fc.record({
        policy: fc.constant('pool' as const),
        type: fc.constantFrom('admitted', 'queued', 'started', 'rejected', 'released'),
        nth: fc.integer({ min: 1, max: 4 }),
      }),
    ),
    { nil: undefined, freq: 3 },
  ),
});

const runs = Number(process.env['FC_RUNS'] ?? 300);
const seed = process.env['FC_SEED'] === undefined ? 20261203 : Number(process.env['FC_SEED']);

function errorOf(kind: ErrorKind): Error {
  const http = (status: number, retryAfter: number | undefined) =>
    new HttpStatusError({ status, statusText: '', url: 'http://dependency/', retryAfter, body: '' });
  switch (kind) {
    case 'boom':
      return new Error('boom');
    case 'http503':
      return http(503, undefined);
    case 'http503retryAfter':
      return http(503, 3);
    case 'http429retryAfter':
      return http(429, 2);
    case 'http404':
      return http(404, undefined);
  }
}

/** An error as plain data: name, message and info (refusals' and timeouts' info are typed payloads). */
function describeError(error: unknown): unknown {
  if (!(error instanceof Error)) return { thrown: error };
  return { name: error.name, message: error.message, info: (error as { info?: unknown }).info };
}

/**
 * What one run saw, in the order it happened: every notification of every call, every attempt's subscribe
 * and unsubscribe, every breaker and bulkhead event, each with its frame; then the policies' state.
 */
interface Trace {
  readonly log: unknown[];
  /** Per call, the frames each attempt was subscribed and unsubscribed at. */
  readonly attempts: Array<Array<[number, number]>>;
  /** Per call, the subscriptions of the source the pipeline (or the stack) was given. */
  readonly reached: number[];
  readonly pipelineEvents: PipelineEvent[];
}

const shouldRetryOf = (kind: RetrySetup['shouldRetry']): RetryBackoffConfig['shouldRetry'] =>
  kind === 'default'
    ? undefined
    : kind === 'all'
      ? () => true
      : kind === 'not404'
        ? (e: unknown) => !(e instanceof HttpStatusError && e.info.status === 404)
        : (e: unknown) => {
            if (e instanceof HttpStatusError && e.info.status === 404) throw new Error('shouldRetry broke');
            return true;
          };

export function run(s: Setup, fused: boolean): Trace {
  const scheduler = new TestScheduler(() => undefined);
  const trace: Trace = {
    log: [],
    attempts: s.calls.map(() => []),
    reached: s.calls.map(() => 0),
    pipelineEvents: [],
  };
  const { log } = trace;
  scheduler.run(() => {
    // Every call ends within a few dozen frames; a run past 1000 frames is a loop, not a test.
    scheduler.maxFrames = 1000;
    const breaker = s.breaker && new CircuitBreaker({ ...s.breaker, scheduler });
    const pool = s.bulkhead && new Bulkhead({ ...s.bulkhead, scheduler });
    // The call subscribed last, and what cancels each call (see `cancelOn`).
    let last = -1;
    const cancels = s.calls.map(() => new Subject<void>());
    let seen = 0;
    const maybeCancel = (policy: 'breaker' | 'pool', type: string): void => {
      const on = s.cancelOn;
      if (on === undefined || on.policy !== policy || on.type !== type || ++seen !== on.nth || last < 0)
        return;
      log.push(['cancel', last]);
      cancels[last]!.next();
    };
    breaker?.events$.subscribe((e) => {
      log.push(['breaker', 'error' in e ? { ...e, error: describeError(e.error) } : e]);
      maybeCancel('breaker', e.type);
    });
    pool?.events$.subscribe((e) => {
      log.push(['pool', e]);
      maybeCancel('pool', e.type);
    });
    const limiter = s.rateLimiter && new RateLimiter({ ...s.rateLimiter, scheduler });
    limiter?.events$.subscribe((e) => log.push(['limiter', e]));
    const hedgeSetup = s.recovery.hedge;
    const hedgeConfig: Omit<HedgeConfig, 'scheduler'> | undefined = hedgeSetup && {
      delay: hedgeSetup.delay,
      maxAttempts: hedgeSetup.maxAttempts,
      shouldHedge: shouldRetryOf(hedgeSetup.shouldHedge) as HedgeConfig['shouldHedge'],
      budget: hedgeSetup.budget && new RetryBudget({ ttl: 1000, ...hedgeSetup.budget, scheduler }),
    };
    hedgeConfig?.budget?.events$.subscribe((e) => log.push(['budget', e]));
    const retry: RetryBackoffConfig | undefined = s.recovery.retry && {
      maxRetries: s.recovery.retry.maxRetries,
      initialDelay: s.recovery.retry.initialDelay,
      maxDelay: s.recovery.retry.maxDelay,
      multiplier: s.recovery.retry.multiplier,
      jitter: s.recovery.retry.jitter,
      resetOnSuccess: s.recovery.retry.resetOnSuccess,
      shouldRetry: shouldRetryOf(s.recovery.retry.shouldRetry),
      random: seededRandom(s.seed),
    };
    const pipeline = new ResiliencePipeline({
      name: 'dependency',
      attemptTimeout: s.attemptTimeout,
      deadline: s.deadline,
      retry,
      hedge: hedgeConfig,
      breaker,
      bulkhead: pool,
      rateLimiter: limiter,
      scheduler,
    });
    if (fused) pipeline.events$.subscribe((e) => trace.pipelineEvents.push(e));

    const fallback = (failure: CallFailure): Observable<string> => {
      if (s.form === 'fallbackThrow') throw new Error(`fallback broke after ${failure.attempts}`);
      return of(`fallback(${describeErrorName(failure.error)}, ${failure.attempts}, ${failure.elapsed})`);
    };

    const subscriptions: Subscription[] = [];
    let at = 0;
    s.calls.forEach((call, index) => {
      at += call.gap;
      const attempts = trace.attempts[index]!;
      const attempts$ = attemptSource(call, index, attempts, log, scheduler);
      const inner$ = s.nested && breaker !== undefined ? attempts$.pipe(circuitBreaker(breaker)) : attempts$;
      const source = defer(() => {
        trace.reached[index]!++;
        return inner$;
      });
      let subscribedAt = 0;
      const failure = (error: unknown): CallFailure => ({
        error,
        attempts: trace.reached[index]!,
        elapsed: scheduler.now() - subscribedAt,
      });
      const stack: MonoTypeOperatorFunction<string> = (source$) => {
        let s$ = source$;
        if (s.attemptTimeout !== undefined)
          s$ = s$.pipe(timeoutAfter({ total: s.attemptTimeout, meta: index, scheduler }));
        if (limiter !== undefined) {
          // DESIGN §2.7's one addition: an attempt failing with a 429 or 503 carrying retryAfter
          // penalizes the rate limiter's key.
          s$ = s$.pipe(
            tap({
              error: (e: unknown) => {
                if (
                  e instanceof HttpStatusError &&
                  (e.info.status === 429 || e.info.status === 503) &&
                  e.info.retryAfter !== undefined
                ) {
                  limiter.penalize(e.info.retryAfter, call.key ?? '');
                }
              },
            }),
            rateLimit(limiter, { key: call.key ?? '' }),
          );
        }
        if (pool !== undefined) s$ = s$.pipe(bulkhead(pool));
        if (breaker !== undefined) s$ = s$.pipe(circuitBreaker(breaker));
        if (retry !== undefined) s$ = s$.pipe(retryBackoff({ ...retry, scheduler }));
        if (hedgeConfig !== undefined) s$ = s$.pipe(hedge({ ...hedgeConfig, scheduler }));
        if (s.deadline !== undefined)
          s$ = s$.pipe(timeoutAfter({ total: s.deadline, meta: index, scheduler }));
        return s$;
      };
      let call$: Observable<unknown>;
      switch (s.form) {
        case 'plain':
          call$ = fused
            ? source.pipe(resilient(pipeline, { meta: index, key: call.key }))
            : source.pipe(stack);
          break;
        case 'fallbackValue':
        case 'fallbackThrow':
          call$ = fused
            ? source.pipe(resilient(pipeline, { meta: index, key: call.key, fallback }))
            : source.pipe(
                stack,
                catchError((error: unknown) => fallback(failure(error))),
              );
          break;
        case 'either':
          call$ = fused
            ? source.pipe(resilientEither(pipeline, { meta: index, key: call.key }))
            : source.pipe(
                stack,
                map((value): Either<CallFailure, string> => right(value)),
                catchError((error: unknown) => of(left(failure(error)))),
              );
          break;
      }
      if (call.takeOne) call$ = call$.pipe(take(1));
      call$ = call$.pipe(takeUntil(cancels[index]!));
      const record = (kind: string, payload?: unknown) => log.push([kind, index, scheduler.now(), payload]);
      scheduler.schedule(() => {
        subscribedAt = scheduler.now();
        last = index;
        const subscription = call$.subscribe({
          next: (value) => record('next', describeValue(value)),
          error: (error: unknown) => record('error', describeError(error)),
          complete: () => record('complete'),
        });
        subscriptions.push(subscription);
        if (call.unsubscribeAfter !== null) {
          scheduler.schedule(() => subscription.unsubscribe(), call.unsubscribeAfter);
        }
      }, at);
    });
    scheduler.flush();
    log.push(['final', breaker?.state, breaker?.metrics(), pool?.metrics(), limiter?.metrics()]);
    // Then every caller leaves: calls that still hang give everything back, in the same order.
    log.push(['leave']);
    subscriptions.forEach((subscription) => subscription.unsubscribe());
    scheduler.flush();
    log.push(['left', breaker?.metrics(), pool?.metrics(), limiter?.metrics()]);
  });
  return trace;
}

function describeErrorName(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function describeValue(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const either = value as Either<CallFailure, string>;
  return isLeft(either)
    ? { left: { ...either.left, error: describeError(either.left.error) } }
    : { right: either.right };
}

const LAST_ATTEMPT: AttemptScript = { sync: true, values: [], end: { kind: 'complete' }, endGap: 0 };

/** The call's source: each subscription is the next attempt, logged as [subscribed at, unsubscribed at]. */
function attemptSource(
  call: CallScript,
  index: number,
  attempts: Array<[number, number]>,
  log: unknown[],
  scheduler: TestScheduler,
): Observable<string> {
  return new Observable<string>((subscriber) => {
    const attempt = attempts.length;
    // From attempt 8 on, an attempt completes at once: `resetOnSuccess` would otherwise retry an attempt
    // that emits and then errors forever (in both forms alike).
    const script = attempt >= 8 ? LAST_ATTEMPT : call.attempts[Math.min(attempt, call.attempts.length - 1)]!;
    const entry: [number, number] = [scheduler.now(), Infinity];
    attempts.push(entry);
    log.push(['subscribe', index, attempt, scheduler.now()]);
    const end = (): void => {
      if (script.end.kind === 'complete') subscriber.complete();
      else if (script.end.kind === 'error') subscriber.error(errorOf(script.end.error));
    };
    if (script.sync) {
      script.values.forEach((_, i) => subscriber.next(`v${attempt}.${i}`));
      end();
      entry[1] = scheduler.now();
      return () => log.push(['unsubscribe', index, attempt, scheduler.now()]);
    }
    let due = 0;
    const actions = script.values.map((gap, i) => {
      due += gap;
      return scheduler.schedule(() => subscriber.next(`v${attempt}.${i}`), due);
    });
    actions.push(scheduler.schedule(end, due + script.endGap));
    return () => {
      log.push(['unsubscribe', index, attempt, scheduler.now()]);
      entry[1] = scheduler.now();
      actions.forEach((a) => a.unsubscribe());
    };
  });
}

describe('ResiliencePipeline (property: resilient(p) is the explicit stack)', () => {
  it('should give the same values, errors, instants, subscriptions and policy state as the stack', () => {
    fc.assert(
      fc.property(setup, (s) => {
        const stack = run(s, false);
        const fused = run(s, true);
        expect(fused.log).to.deep.equal(stack.log);
        expect(fused.attempts).to.deep.equal(stack.attempts);
        // Nothing is left once every caller has left.
        const [, breakerLeft, poolLeft] = fused.log.at(-1) as [
          string,
          { inFlight: number }?,
          { active: number; queued: number }?,
        ];
        expect(breakerLeft?.inFlight ?? 0, 'breaker permits left').to.equal(0);
        expect((poolLeft?.active ?? 0) + (poolLeft?.queued ?? 0), 'slots left').to.equal(0);
        const { pipelineEvents } = fused;
        // events$: one 'attempt' event per attempt that reached the call, one 'call' event per call.
        expect(fused.reached).to.deep.equal(stack.reached);
        const reached = stack.reached.reduce((n, a) => n + a, 0);
        expect(pipelineEvents.filter((e) => e.type === 'attempt')).to.have.length(reached);
        const calls = pipelineEvents.filter((e) => e.type === 'call');
        expect(calls).to.have.length(s.calls.length);
        for (const e of calls) {
          expect(e.attempts, `attempts of call ${String(e.meta)}`).to.equal(stack.reached[e.meta as number]!);
        }
        // One 'start' per call, its first event, and one 'call', its last; every event of a call carries
        // its number, and only its events do.
        expect(pipelineEvents.filter((e) => e.type === 'start')).to.have.length(s.calls.length);
        for (const number of new Set(pipelineEvents.map((e) => e.call))) {
          const own = pipelineEvents.filter((e) => e.call === number);
          expect(own[0]!.type, `first event of call ${number}`).to.equal('start');
          expect(
            own.filter((e) => e.type === 'call'),
            `'call' events of call ${number}`,
          ).to.have.length(1);
          expect(new Set(own.map((e) => e.meta)).size, `meta of call ${number}`).to.equal(1);
          expect(own.at(-1)!.type, `last event of call ${number}`).to.equal('call');
        }
      }),
      { numRuns: runs, seed },
    );
  });
});
