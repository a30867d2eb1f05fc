import * as t from 'io-ts';
import {
  asyncScheduler,
  type MonoTypeOperatorFunction,
  type Observable,
  type ObservableInput,
  type SchedulerLike,
} from 'rxjs';
import type { RetryBudget } from '../budget/RetryBudget';
import type { CircuitBreaker } from '../breaker/CircuitBreaker';
import type { Bulkhead } from '../bulkhead/Bulkhead';
import { InvalidConfigError } from '../errors/InvalidConfigError';
import {
  RESILIENCE_PIPELINE,
  isBulkhead,
  isCircuitBreaker,
  isRateLimiter,
  setBrand,
} from '../internal/brand';
import * as c from '../internal/codecs';
import { TimerQueue } from '../internal/TimerQueue';
import { OrderedSubject } from '../internal/OrderedSubject';
import { configIssue, readConfig } from '../internal/decodeConfig';
import { isTransient } from '../errors/isTransient';
import type { RateLimiter } from '../limiter/RateLimiter';
import { HedgeConfigCodec, type HedgeConfig } from '../operators/hedge';
import { maxDelayIssue, RetryBackoffConfigCodec, type RetryBackoffConfig } from '../operators/retryBackoff';
import type { PipelineEvent } from './PipelineEvent';
import { PromiseCall } from './PromiseCall';
import { RetryPlan } from '../internal/RetryPlan';

/** Configuration of a {@link ResiliencePipeline}. Every stage is optional; a stage left out is not run. */
export interface ResiliencePipelineConfig {
  /** Name in events and messages. @default 'pipeline' */
  readonly name?: string | undefined;
  /**
   * ms for the whole call: attempts, waiting for a slot and backoff included. On expiry the call fails
   * with `TimeoutExceededError` (`limit: 'total'`). Positive; `Infinity` for none. @default none
   */
  readonly deadline?: number | undefined;
  /**
   * Retries of a failed attempt, as `retryBackoff` makes them (DESIGN §2.3), timed by the pipeline's
   * `scheduler`. Not with `hedge`. @default no retry
   */
  readonly retry?: Omit<RetryBackoffConfig, 'scheduler'> | undefined;
  /**
   * Extra attempts of a slow call, as `hedge` makes them (DESIGN §2.8), timed by the pipeline's
   * `scheduler`: the first attempt to answer wins, the others are cut. Only for idempotent calls. Not with
   * `retry`. @default no hedging
   */
  readonly hedge?: Omit<HedgeConfig, 'scheduler'> | undefined;
  /** The breaker shared by every call to the dependency; each attempt is one of its calls. @default none */
  readonly breaker?: CircuitBreaker | undefined;
  /** The pool shared by every call to the dependency; each attempt holds a slot. @default none */
  readonly bulkhead?: Bulkhead | undefined;
  /**
   * The rate limiter shared by every call to the dependency; each attempt takes a permit for the call's
   * `key` (`''` by default) once it holds its slot. An attempt failing with a 429 or 503 carrying
   * `retryAfter` also holds every call to that key until then (`penalize`). @default none
   */
  readonly rateLimiter?: RateLimiter | undefined;
  /**
   * ms for each attempt, from the moment it reaches the call (after any wait for a slot) to its
   * completion; on expiry the attempt fails with `TimeoutExceededError` (`limit: 'total'`), which the
   * breaker counts and the retry may retry. Positive; `Infinity` for none. @default none
   */
  readonly attemptTimeout?: number | undefined;
  /** Clock and timers of the deadline, the attempt timeout and the retries. @default the breaker's, else asyncScheduler */
  readonly scheduler?: SchedulerLike | undefined;
}

/**
 * The function {@link ResiliencePipeline.execute} runs for each attempt, with that attempt's signal: a
 * Promise is one value, any other `ObservableInput` is subscribed.
 */
export type ExecuteFunction<T> = (signal: AbortSignal) => PromiseLike<T> | ObservableInput<T>;

/** Options of {@link ResiliencePipeline.execute}. */
export interface ExecuteOptions {
  /** The call's key: what the rate limiter counts it against (`''` when absent), and in `events$`. @default undefined */
  readonly key?: string | undefined;
  /**
   * The caller's signal: aborting it cuts the running attempt (its own signal aborts with the same reason)
   * and rejects the call with `signal.reason`. Already aborted: the function is never called.
   * @default none
   */
  readonly signal?: AbortSignal | undefined;
}

/** The codec of the values `is` accepts (a policy by its brand, so from either build of the package). */
function satisfying<A>(name: string, is: (u: unknown) => u is A): t.Type<A, A, unknown> {
  return new t.Type<A, A, unknown>(
    name,
    is,
    (u, ctx) => (is(u) ? t.success(u) : t.failure(u, ctx)),
    t.identity,
  );
}

/** `retryBackoff`'s own fields, less `scheduler`: the pipeline's scheduler times the retries. */
const RetryCodec = (() => {
  const [required, optional] = RetryBackoffConfigCodec.type.types;
  const { scheduler: _, ...fields } = optional.props;
  return c.config('a retryBackoff config (without `scheduler`)', required.props, fields);
})();

/** `hedge`'s own fields, less `scheduler`. */
const HedgeCodec = (() => {
  const [required, optional] = HedgeConfigCodec.type.types;
  const { scheduler: _, ...fields } = optional.props;
  return c.config('a hedge config (without `scheduler`)', required.props, fields);
})();

const ConfigCodec = c.config(
  'ResiliencePipelineConfig',
  {},
  {
    name: c.nonEmptyString,
    deadline: c.positiveMs,
    retry: RetryCodec,
    hedge: HedgeCodec,
    breaker: satisfying('a CircuitBreaker', isCircuitBreaker),
    bulkhead: satisfying('a Bulkhead', isBulkhead),
    rateLimiter: satisfying('a RateLimiter', isRateLimiter),
    attemptTimeout: c.positiveMs,
    scheduler: c.scheduler,
  },
);

const ExecuteOptionsCodec = c.config(
  'ExecuteOptions',
  {},
  { key: c.string, signal: satisfying('an AbortSignal', (u): u is AbortSignal => u instanceof AbortSignal) },
);

/**
 * The policies of one dependency, composed once and shared by every call to it, in one fixed order that
 * users no longer have to get right. Outermost first: fallback (per call), deadline, retry or hedge,
 * breaker, bulkhead, rate limiter, attempt timeout, the call. Why this order: an open breaker refuses
 * before a slot or a permit is taken, so a dead dependency costs its callers none; a full pool is a local
 * refusal the breaker does not count; the pool bounds the calls that wait for a rate permit; the rate
 * limiter sits next to the wire, so the dependency sees the configured rate; the attempt timeout bounds the
 * wire, not the wait, so a hung attempt is a failure the breaker counts and the retry may retry; the
 * deadline bounds everything, backoff included.
 *
 * Each call (`source$.pipe(resilient(p))`, `resilientEither(p)`, `p.execute(fn)`) behaves exactly as the
 * explicit stack `source$.pipe(timeoutAfter(attemptTimeout), rateLimit(rateLimiter, { key }),
 * bulkhead(pool), circuitBreaker(breaker), retryBackoff(retry) (or hedge(hedge)), timeoutAfter(deadline))`,
 * a stage left out when its option is: same values, same errors, same instants, same upstream
 * subscriptions, same policy state; the one addition is that an attempt failing with a 429 or 503 carrying
 * `retryAfter` penalizes the rate limiter's key (DESIGN §2.7). It runs fused, though: one
 * object per call and one subscriber per attempt, instead of a layer per stage; a call that completes
 * synchronously schedules nothing.
 *
 * ```text
 * attemptTimeout 3, retry { maxRetries: 2, initialDelay: 1, jitter: 'none' } (from its spec)
 * attempt 1   -#                 errors at 1; retry 1 after 1 ms
 * attempt 2     ---!             hangs: cut by its attempt timeout at 5; retry 2 after 2 ms
 * attempt 3          -a|         answers
 * result      --------a|         events$: attempt 1 failure, attempt 2 failure, attempt 3 success, call success
 * ```
 *
 * @example
 * ```ts
 * const users = new ResiliencePipeline({
 *   name: 'users',
 *   deadline: 2000,
 *   retry: { maxRetries: 3, initialDelay: 100, maxDelay: 1000 },
 *   breaker: new CircuitBreaker({ name: 'users', minimumCalls: 5, openDuration: 5000 }),
 *   bulkhead: new Bulkhead({ name: 'users', maxConcurrent: 4, maxQueued: 8, queueTimeout: 1000 }),
 *   attemptTimeout: 500,
 * });
 * const user$ = (id: string) => fetchRequest(`${api}/users/${id}`).pipe(resilient(users));
 * const user = await users.execute((signal) => fetch(`${api}/users/42`, { signal }).then((r) => r.json()));
 * ```
 * @throws {InvalidConfigError} when the config is invalid (every bad field is named, `retry.*` included).
 */
export class ResiliencePipeline {
  /** Name in events and messages. */
  readonly name: string;
  /** Clock and timers of the deadline, the attempt timeout and the retries. */
  readonly scheduler: SchedulerLike;
  /** ms for the whole call (`Infinity`: none). */
  readonly deadline: number;
  /** ms for each attempt (`Infinity`: none). */
  readonly attemptTimeout: number;
  /** The retry stage's config, or `undefined`. */
  readonly retry: Omit<RetryBackoffConfig, 'scheduler'> | undefined;
  /** The shared breaker, or `undefined`. */
  readonly breaker: CircuitBreaker | undefined;
  /** The shared pool, or `undefined`. */
  readonly bulkhead: Bulkhead | undefined;
  /** The shared rate limiter, or `undefined`. */
  readonly rateLimiter: RateLimiter | undefined;
  /** The hedge stage's config, or `undefined`. */
  readonly hedge: Omit<HedgeConfig, 'scheduler'> | undefined;
  /** The hedge stage, with its defaults; `undefined` without hedging (or with one attempt). @internal */
  readonly hedgePlan: HedgePlan | undefined;
  /** The retry stage, built once; `undefined` without retries. @internal */
  readonly retryPlan: RetryPlan | undefined;
  /** The retry's budget, if any: each call deposits once, even with `maxRetries: 0`. @internal */
  readonly retryBudget: RetryBudget | undefined;
  /** The budget each call deposits in: the retry's, or the hedge's (a pipeline has one or neither). @internal */
  readonly callBudget: RetryBudget | undefined;
  /**
   * No stage can cut a running attempt or start another (no attempt timeout, deadline, retry or hedge):
   * a call of `execute` then ends when its attempt's promise does. @internal
   */
  readonly uncuttable: boolean;
  /** The scheduler's timer queue: every call's deadline, attempt timeout and retry delay. @internal */
  readonly timers: TimerQueue;

  /** `resilient(this)` without options, built on first use by `resilient`. @internal */
  plainOperator: MonoTypeOperatorFunction<unknown> | undefined = undefined;

  /** Built on first access of `events$`: a pipeline nobody observes builds no event. Ordered: an event a
   * reaction emits (a call cancelled on its `start`) reaches every observer after the one that caused it. */
  private subject: OrderedSubject<PipelineEvent> | null = null;
  private view: Observable<PipelineEvent> | null = null;
  /** Calls made so far: the last call's number in events. */
  private calls = 0;

  /**
   * A pipeline of the policies `input` names, applied in the fixed order the class describes.
   * @param input Every field is optional: {@link ResiliencePipelineConfig}.
   * @throws {InvalidConfigError} naming each invalid or unknown field.
   */
  constructor(input: ResiliencePipelineConfig = {}) {
    const { value: config, issues } = readConfig<ResiliencePipelineConfig>(ConfigCodec, input);
    const retryIssue =
      issues.length === 0 && config.retry !== undefined
        ? maxDelayIssue(config.retry, 'retry.maxDelay')
        : undefined;
    if (retryIssue !== undefined) issues.push(retryIssue);
    if (issues.length === 0 && config.retry !== undefined && config.hedge !== undefined) {
      issues.push(
        configIssue('hedge', 'absent when `retry` is given (a call either retries or hedges)', config.hedge),
      );
    }
    if (issues.length > 0) throw new InvalidConfigError({ operator: 'ResiliencePipeline', issues });
    this.name = config.name ?? 'pipeline';
    this.breaker = config.breaker;
    this.bulkhead = config.bulkhead;
    this.rateLimiter = config.rateLimiter;
    this.hedge = config.hedge;
    this.hedgePlan = config.hedge === undefined ? undefined : hedgePlanOf(config.hedge);
    this.scheduler = config.scheduler ?? config.breaker?.scheduler ?? asyncScheduler;
    this.timers = TimerQueue.of(this.scheduler);
    this.deadline = config.deadline ?? Infinity;
    this.attemptTimeout = config.attemptTimeout ?? Infinity;
    this.retry = config.retry;
    this.retryPlan =
      config.retry === undefined || config.retry.maxRetries === 0 ? undefined : new RetryPlan(config.retry);
    this.retryBudget = config.retry?.budget;
    this.callBudget = this.retryBudget ?? this.hedgePlan?.budget;
    this.uncuttable =
      this.attemptTimeout === Infinity &&
      this.deadline === Infinity &&
      this.retryPlan === undefined &&
      (this.hedgePlan === undefined || this.hedgePlan.maxAttempts === 1);
  }

  /**
   * Per call, one `{ type: 'start', ... }` when it is subscribed, one `{ type: 'attempt', ... }` per attempt
   * that reached the call and one `{ type: 'call', ... }` when it ends, each with `at` (scheduler time),
   * the pipeline's name, the call's `key` and `meta`, and the call's number `call` (from 1). Hot: emits
   * synchronously as calls move; nothing is built while nobody subscribes.
   */
  get events$(): Observable<PipelineEvent> {
    if (this.view === null) {
      this.subject = new OrderedSubject<PipelineEvent>();
      this.view = this.subject.asObservable();
    }
    return this.view;
  }

  /**
   * Runs one call through the pipeline and resolves or rejects with its outcome, as `lastValueFrom` of
   * `defer(() => fn(signal)).pipe(resilient(this))` would. Each attempt calls `fn` with its own
   * `AbortSignal`, which aborts when that attempt is cut: by the attempt timeout or the deadline (with
   * their `TimeoutExceededError` as reason), or by the caller's `signal` (with its reason); an attempt
   * that completed is never aborted. On the caller's abort the call rejects with `signal.reason`, and
   * `fn` is not called at all when `signal` is already aborted. `fn` may return a Promise or any
   * `ObservableInput`.
   *
   * @example
   * ```ts
   * const user = await users.execute((signal) => fetch(`${api}/users/42`, { signal }).then(json));
   * ```
   * @throws {InvalidConfigError} when `fn` is not a function or `options` is invalid (synchronously).
   */
  execute<T>(fn: ExecuteFunction<T>, options?: ExecuteOptions): Promise<T> {
    if (typeof fn !== 'function' || (options !== undefined && !validExecuteOptions(options))) {
      const issues = typeof fn === 'function' ? [] : [configIssue('fn', 'a function', fn as unknown)];
      if (options !== undefined) issues.push(...readConfig(ExecuteOptionsCodec, options).issues);
      throw new InvalidConfigError({ operator: 'ResiliencePipeline.execute', issues });
    }
    const signal = options?.signal;
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    return new PromiseCall(this, fn, options?.key, signal).promise();
  }

  /** True while someone subscribes to `events$`. @internal */
  get observed(): boolean {
    return this.subject !== null && this.subject.observed;
  }

  /** The next call's number. @internal */
  nextCall(): number {
    return ++this.calls;
  }

  /** @internal */
  emit(event: PipelineEvent): void {
    this.subject!.next(event);
  }
}

/**
 * The constants of a pipeline's hedge stage, with `hedge`'s defaults. A single attempt is no hedging: it
 * only deposits in the budget (as `hedge` with `maxAttempts: 1` does).
 * @internal
 */
export interface HedgePlan {
  readonly delay: number;
  readonly maxAttempts: number;
  readonly shouldHedge: (error: unknown) => boolean;
  readonly budget: RetryBudget | undefined;
}

function hedgePlanOf(config: Omit<HedgeConfig, 'scheduler'>): HedgePlan {
  const { delay, maxAttempts = 2, shouldHedge = isTransient, budget } = config;
  return { delay, maxAttempts, shouldHedge, budget };
}

/** The quick check of `execute`'s options; the codec only runs to report what is wrong. */
function validExecuteOptions(options: ExecuteOptions): boolean {
  if (typeof options !== 'object' || options === null) return false;
  for (const key in options) {
    if (key !== 'key' && key !== 'signal') return false;
  }
  const { key, signal } = options;
  return (
    (key === undefined || typeof key === 'string') && (signal === undefined || signal instanceof AbortSignal)
  );
}

// Recognised by its brand, even from the other build of the package (see internal/brand.ts).
setBrand(ResiliencePipeline, RESILIENCE_PIPELINE);
