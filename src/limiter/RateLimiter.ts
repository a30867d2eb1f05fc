import * as t from 'io-ts';
import {
  asyncScheduler,
  from,
  type Observable,
  type SchedulerLike,
  type Subscriber,
  type Unsubscribable,
} from 'rxjs';
import { InvalidConfigError } from '../errors/InvalidConfigError';
import { RateLimitedError } from '../errors/RateLimitedError';
import { AWAIT_ANSWER, isDirectAnswer } from '../internal/awaitAnswer';
import { RATE_LIMITER, setBrand } from '../internal/brand';
import {
  config,
  finiteNonNegativeMs,
  finitePositiveMs,
  positiveInt,
  scheduler,
  string,
} from '../internal/codecs';
import { configIssue, decodeConfig } from '../internal/decodeConfig';
import { createOperatorSubscriber, type OperatorHandlers } from '../internal/operate';
import { OrderedSubject } from '../internal/OrderedSubject';
import { TimerQueue, type Deadline } from '../internal/TimerQueue';
import { withoutStack } from '../internal/withoutStack';
import { MemoryRateLimitStore } from './MemoryRateLimitStore';
import type { RateLimiterEvent } from './RateLimiterEvent';
import type { RateLimitAnswer, RateLimitRule, RateLimitStore } from './RateLimitStore';

/** Configuration of a {@link RateLimiter}. */
export interface RateLimiterConfig {
  /** Permits per `interval`. A positive integer. */
  readonly limit: number;
  /** The interval `limit` is counted over, in ms. Finite and positive. */
  readonly interval: number;
  /**
   * Permits usable at once after a quiet spell: calls spaced `interval / limit` ms apart are always
   * admitted, and up to `burst` of them may come at once. A positive integer. @default limit
   */
  readonly burst?: number | undefined;
  /**
   * ms a call may wait for its permit: a call that would have to wait longer is refused at once with
   * `RateLimitedError`. Finite, >= 0. @default 0 (never wait: admit or refuse)
   */
  readonly maxWait?: number | undefined;
  /** Name carried by errors, events and metrics. @default 'rateLimiter' */
  readonly name?: string | undefined;
  /** Clock of the decisions and of the waits. @default asyncScheduler */
  readonly scheduler?: SchedulerLike | undefined;
  /**
   * Where the one number per key lives and the decisions are made. A store serves one limiter.
   * @default a new MemoryRateLimitStore (in this process)
   */
  readonly store?: RateLimitStore | undefined;
}

/**
 * A snapshot of a {@link RateLimiter}: counters since it was created and what is pending now. Between
 * any two events: `calls = admitted + started + rejected + abandoned + failed + deciding + waiting`, and
 * every delayed call is started, waiting, or was abandoned while it waited.
 */
export interface RateLimiterMetrics {
  readonly name: string;
  /** Scheduler time of the snapshot, ms. */
  readonly at: number;
  readonly limit: number;
  readonly interval: number;
  readonly burst: number;
  readonly maxWait: number;
  /** Calls seen (subscriptions). */
  readonly calls: number;
  /** Calls admitted at once. */
  readonly admitted: number;
  /** Calls that reserved a permit and had to wait for it. */
  readonly delayed: number;
  /** Delayed calls that reached their turn and started. */
  readonly started: number;
  /** Calls refused with `RateLimitedError`. */
  readonly rejected: number;
  /** Calls whose subscriber left before they started (while waiting, or while deciding). */
  readonly abandoned: number;
  /** Calls that errored because the store failed to decide. */
  readonly failed: number;
  /** Calls waiting now for an asynchronous store's answer (always 0 with the memory store). */
  readonly deciding: number;
  /** Calls waiting now for their turn, their permit reserved. */
  readonly waiting: number;
  /** Times `penalize` was called. */
  readonly penalties: number;
  /** Keys the store holds in this process (`undefined` for a store that keeps them elsewhere). */
  readonly keys: number | undefined;
}

const isStore = (u: unknown): u is RateLimitStore =>
  typeof u === 'object' &&
  u !== null &&
  typeof (u as { acquire?: unknown }).acquire === 'function' &&
  typeof (u as { penalize?: unknown }).penalize === 'function';
const storeCodec = new t.Type<RateLimitStore, RateLimitStore, unknown>(
  'a RateLimitStore (an object with acquire() and penalize())',
  isStore,
  (u, c) => (isStore(u) ? t.success(u) : t.failure(u, c)),
  t.identity,
);

const codec = config(
  'RateLimiterConfig',
  { limit: positiveInt, interval: finitePositiveMs },
  { burst: positiveInt, maxWait: finiteNonNegativeMs, name: string, scheduler, store: storeCodec },
);

/**
 * A call driven without an rxjs layer (an attempt of `ResiliencePipeline`'s fused call), decided with
 * {@link RateLimiter.admit}: handed its place while it waits (for an asynchronous answer or for its
 * turn), then told it holds its permit, or that it is refused.
 * @internal
 */
export interface RateLimiterEntrant {
  /** The call waits; `place.unsubscribe()` abandons it. Called before the `delayed` event, if any. */
  awaitPermit(place: Unsubscribable): void;
  /** The waiting call holds its permit (its `started` event has been emitted): it runs, unless cancelled. */
  permitted(): void;
  /** The waiting call is refused: `RateLimitedError` after an asynchronous answer, or the store's error. */
  denied(error: unknown): void;
}

/** What a waiting or deciding call needs from its limiter, without widening the public surface. */
interface LimiterHooks {
  decide(answer: RateLimitAnswer, call: Call): void;
  start(call: Call): void;
  /** The scheduler's timer queue, where a waiting call waits for its turn. */
  readonly timers: TimerQueue;
  leave(call: Call, phase: 'deciding' | 'waiting'): void;
  fail(call: Call, error: unknown): void;
}

/**
 * One call that could not start at once: it waits for an asynchronous store's answer, then (or at once)
 * for its turn, a deadline in the scheduler's shared timer queue. Added to its subscriber, so an
 * unsubscribe before it starts abandons it. The call is an operator's (`source` is subscribed with
 * `destination` once it holds its permit) or a {@link RateLimiterEntrant} (`destination` is null).
 */
class Call implements Unsubscribable, OperatorHandlers<RateLimitAnswer>, Deadline {
  /** `'deciding'` until the answer, `'waiting'` for the turn, then `'done'`. */
  phase: 'deciding' | 'waiting' | 'done' = 'deciding';
  timerDue = Infinity;
  timerSlot = -1;
  timerOrder = 0;
  /** The subscription to an asynchronous answer (or the handle of a direct one). */
  answer: Unsubscribable | null = null;

  constructor(
    readonly hooks: LimiterHooks,
    readonly source: Observable<unknown> | RateLimiterEntrant,
    readonly destination: Subscriber<unknown> | null,
    readonly key: string,
    readonly cost: number,
    /** Scheduler time of the subscribe. */
    readonly since: number,
  ) {}

  /** The call's subscriber (or entrant) left before it started. */
  get abandoned(): boolean {
    return this.phase === 'done';
  }

  /** The store answered (asynchronously): the first value is the answer. */
  next(answer: RateLimitAnswer): void {
    if (this.phase !== 'deciding') return;
    // Null when the answer came while it was being subscribed (the subscription is then dropped there).
    const subscription = this.answer;
    this.answer = null;
    subscription?.unsubscribe();
    if (typeof answer !== 'number') {
      this.phase = 'done';
      this.hooks.fail(this, new TypeError(`RateLimitStore: answered ${String(answer)}, not a number`));
      return;
    }
    try {
      this.hooks.decide(answer, this);
    } catch (err) {
      // Called by a store's direct answer, outside any subscriber: the call's destination gets the throw,
      // as an operator subscriber would route it.
      if (this.destination === null) throw err;
      this.destination.error(err);
    }
  }

  error(err: unknown): void {
    if (this.phase !== 'deciding') return;
    this.phase = 'done';
    this.hooks.fail(this, err);
  }

  complete(): void {
    // After the answer (a direct answer completes after its value): nothing to build or say.
    if (this.phase !== 'deciding') return;
    this.error(new Error('RateLimitStore: the answer completed without a value'));
  }

  /** Its turn came. */
  onDeadline(): void {
    this.hooks.start(this);
  }

  /** The subscriber left: a call that has not started never will. */
  unsubscribe(): void {
    const phase = this.phase;
    if (phase === 'done') return;
    this.phase = 'done';
    this.hooks.timers.remove(this);
    this.answer?.unsubscribe();
    this.answer = null;
    this.hooks.leave(this, phase);
  }
}

/**
 * A rate limiter: at most `limit` calls per `interval` ms per key, with bursts of up to `burst` calls
 * after a quiet spell, by GCRA (the generic cell rate algorithm) with one number per key. Share one
 * instance between the calls it limits and apply it with the {@link rateLimit} operator.
 *
 * With `T = interval / limit` and `tat` the key's stored time (absent: `now`), a call at `now` with cost
 * `c` computes `next = max(tat, now) + T * c`. It is admitted at once when `next - T * burst <= now`,
 * and `tat` becomes `next`. Otherwise it must wait `w = next - T * burst - now` ms: when
 * `w <= maxWait` it reserves its permit (`tat` becomes `next`) and subscribes to its source `w` ms
 * later; else it errors at once with `RateLimitedError` (`retryAfter: w`) and `tat` is unchanged. A
 * waiting call that is unsubscribed never starts; a permit is never given back.
 *
 * Keys quiet for `T * burst` ms hold nothing and are forgotten, so memory follows the active keys. The
 * decision is made by the `store` (in memory by default); a shared store may answer asynchronously, and
 * the call then waits for the answer.
 *
 * ```text
 * limiter: { limit: 1, interval: 2, maxWait: 4 } (T = 2, burst 1), four calls to one key at frame 0
 * call a   (a|)        admitted at once
 * call b   --(b|)      waited 2 ms, its permit reserved
 * call c   ----(c|)    waited 4 ms (= maxWait)
 * call d   #           RateLimitedError, retryAfter 6 (> maxWait): never subscribed
 * ```
 *
 * @example
 * ```ts
 * const github = new RateLimiter({ name: 'github', limit: 5000, interval: 3_600_000, burst: 100, maxWait: 1000 });
 * const repo$ = (user: string, name: string) =>
 *   fetchRequest(`https://api.github.com/repos/${user}/${name}`).pipe(rateLimit(github, { key: user }));
 * ```
 * @throws {InvalidConfigError} when `config` is invalid (named fields, expected and received values).
 */
export class RateLimiter {
  readonly name: string;
  /** Permits per `interval`. */
  readonly limit: number;
  /** ms. */
  readonly interval: number;
  /** Permits usable at once after a quiet spell. */
  readonly burst: number;
  /** ms a call may wait for its permit. */
  readonly maxWait: number;
  readonly scheduler: SchedulerLike;
  /** Where the decisions are made. */
  readonly store: RateLimitStore;
  /** The constants handed to the store with every decision. */
  readonly rule: RateLimitRule;

  /** Built on first access of `events$`: an unobserved limiter builds no event. */
  private subject: OrderedSubject<RateLimiterEvent> | null = null;
  private view: Observable<RateLimiterEvent> | null = null;
  private readonly hooks: LimiterHooks;
  private readonly counts = {
    calls: 0,
    admitted: 0,
    delayed: 0,
    started: 0,
    rejected: 0,
    abandoned: 0,
    failed: 0,
    deciding: 0,
    waiting: 0,
    penalties: 0,
  };

  /**
   * A limiter over `config.store` (memory by default), where a key never seen before has its full `burst`.
   * @param config `limit`, `interval` and the optional fields of {@link RateLimiterConfig}.
   * @throws {InvalidConfigError} naming each invalid or unknown field.
   */
  constructor(config: RateLimiterConfig) {
    const {
      limit,
      interval,
      burst = limit,
      maxWait = 0,
      name = 'rateLimiter',
      scheduler = asyncScheduler,
      store = new MemoryRateLimitStore(),
    } = decodeConfig('RateLimiter', codec, config) as RateLimiterConfig;
    this.name = name;
    this.limit = limit;
    this.interval = interval;
    this.burst = burst;
    this.maxWait = maxWait;
    this.scheduler = scheduler;
    this.store = store;
    this.rule = Object.freeze({ name, limit, interval, burst, maxWait });
    this.hooks = {
      decide: (answer, call) => this.decide(answer, call.source, call.destination, call.key, call.cost, call),
      start: (call) => this.startWaiting(call),
      timers: TimerQueue.of(scheduler),
      leave: (call, phase) => this.leave(call, phase),
      fail: (call, error) => {
        this.counts.deciding--;
        this.fail(call, call.destination, error);
      },
    };
  }

  /**
   * Every admission, wait, start, refusal, abandonment and penalty, each with `at` (scheduler time).
   * Hot: emits synchronously as calls are decided; costs nothing while nobody subscribes.
   */
  get events$(): Observable<RateLimiterEvent> {
    if (this.view === null) {
      this.subject = new OrderedSubject<RateLimiterEvent>();
      this.view = this.subject.asObservable();
    }
    return this.view;
  }

  /** A snapshot of the counters (a new object each time). */
  metrics(): RateLimiterMetrics {
    return {
      name: this.name,
      at: this.scheduler.now(),
      limit: this.limit,
      interval: this.interval,
      burst: this.burst,
      maxWait: this.maxWait,
      ...this.counts,
      keys: this.store.size,
    };
  }

  /**
   * Holds every call to `key` until `ms` ms from now: `tat = max(tat, now + ms + T * (burst - 1))`, so
   * the first call admitted is at `now + ms` or later, and the rate resumes from there. For a dependency
   * that answered 429 or 503 with `Retry-After`: every caller of that key pauses, not only the one
   * that was told. A call already waiting keeps its turn.
   *
   * @param ms Finite, >= 0.
   * @param key @default ''
   * @throws {InvalidConfigError} when `ms` or `key` is invalid.
   */
  penalize(ms: number, key = ''): void {
    if (!finiteNonNegativeMs.is(ms) || typeof key !== 'string') {
      const issues = [];
      if (!finiteNonNegativeMs.is(ms)) issues.push(configIssue('ms', finiteNonNegativeMs.name, ms));
      if (typeof key !== 'string') issues.push(configIssue('key', 'a string', key));
      throw new InvalidConfigError({ operator: 'RateLimiter.penalize', issues });
    }
    const now = this.scheduler.now();
    this.store.penalize(key, ms, this.rule, now);
    this.counts.penalties++;
    if (this.observed) this.emit({ type: 'penalized', limiter: this.name, at: now, key, ms });
  }

  /**
   * Decides one call of `cost` permits against `key`: `source` is subscribed with `destination` once it
   * holds its permit. Used by the `rateLimit` operator; not meant to be called directly.
   * @internal
   */
  enter<T>(source: Observable<T>, destination: Subscriber<T>, key: string, cost: number): void {
    this.counts.calls++;
    const now = this.scheduler.now();
    let answer: ReturnType<RateLimitStore['acquire']>;
    try {
      answer = this.store.acquire(key, cost, this.rule, now);
    } catch (err) {
      this.fail(null, destination, err);
      return;
    }
    if (typeof answer === 'number') {
      this.decide(answer, source, destination, key, cost, null);
      return;
    }
    const call = new Call(
      this.hooks,
      source as Observable<unknown>,
      destination as Subscriber<unknown>,
      key,
      cost,
      now,
    );
    this.counts.deciding++;
    destination.add(call);
    if (isDirectAnswer<RateLimitAnswer>(answer)) {
      // No subscriber between the store and the call: the call gets the answer, and leaving abandons it.
      const handle = answer[AWAIT_ANSWER](call);
      if (call.phase === 'deciding') call.answer = handle;
      else handle.unsubscribe();
      return;
    }
    const subscriber = createOperatorSubscriber<RateLimitAnswer>(destination, call);
    call.answer = subscriber;
    let answers: Observable<RateLimitAnswer>;
    try {
      answers = from(answer);
    } catch (err) {
      // Not a promise nor an Observable: the store is broken, the call fails.
      call.error(err);
      return;
    }
    answers.subscribe(subscriber);
  }

  /**
   * Decides one call driven without an rxjs layer, as {@link RateLimiter.enter} does for an operator's
   * call: returns `'admitted'` when it holds its permit now (the `admitted` event has been emitted: the
   * call runs, unless it was cancelled meanwhile), `'waiting'` when it waits (it was handed its place with
   * `entrant.awaitPermit`; the limiter calls `entrant.permitted()` or `entrant.denied()` later), or the
   * error that refuses it: `RateLimitedError`, or the store's failure.
   * @internal
   */
  admit(entrant: RateLimiterEntrant, key: string, cost: number): 'admitted' | 'waiting' | { error: unknown } {
    this.counts.calls++;
    const now = this.scheduler.now();
    let answer: ReturnType<RateLimitStore['acquire']>;
    try {
      answer = this.store.acquire(key, cost, this.rule, now);
    } catch (err) {
      this.counts.failed++;
      return { error: err };
    }
    if (typeof answer === 'number') {
      const verdict = this.decide(answer, entrant, null, key, cost, null);
      return verdict === undefined ? 'admitted' : verdict;
    }
    const call = new Call(this.hooks, entrant, null, key, cost, now);
    this.counts.deciding++;
    entrant.awaitPermit(call);
    let answers: Observable<RateLimitAnswer>;
    try {
      answers = from(answer);
    } catch (err) {
      call.error(err);
      return 'waiting';
    }
    const subscription = answers.subscribe(call);
    if (call.phase === 'deciding') call.answer = subscription;
    else subscription.unsubscribe();
    return 'waiting';
  }

  /**
   * Acts on a store's answer for a call (`call` is null when it was decided synchronously). For an
   * entrant decided synchronously (`destination` null, `call` null), returns the refusal instead of
   * delivering it, and `undefined` when it is admitted or waits.
   */
  private decide<T>(
    answer: RateLimitAnswer,
    source: Observable<T> | RateLimiterEntrant,
    destination: Subscriber<T> | null,
    key: string,
    cost: number,
    call: Call | null,
  ): { error: unknown } | 'waiting' | undefined {
    const counts = this.counts;
    if (call !== null) counts.deciding--;
    if (answer === 0) {
      counts.admitted++;
      if (call !== null) {
        call.phase = 'done';
        destination?.remove(call);
      }
      if (this.observed) {
        this.emit({ type: 'admitted', limiter: this.name, at: this.scheduler.now(), key, cost });
        // An observer may have cancelled the call: it never subscribes its source.
        if (destination?.closed === true) return undefined;
      }
      if (destination !== null) (source as Observable<T>).subscribe(destination);
      else if (call !== null) (source as RateLimiterEntrant).permitted();
      return undefined;
    }
    if (!(answer > 0)) {
      if (!(answer < 0)) {
        return this.fail(
          call,
          destination,
          new TypeError(`RateLimitStore: answered ${String(answer)}, not a number`),
        );
      }
      counts.rejected++;
      if (call !== null) {
        call.phase = 'done';
        destination?.remove(call);
      }
      const retryAfter = -answer;
      if (this.observed) {
        this.emit({ type: 'rejected', limiter: this.name, at: this.scheduler.now(), key, cost, retryAfter });
      }
      const error = withoutStack(() => new RateLimitedError({ limiter: this.name, key, retryAfter }));
      if (destination !== null) destination.error(error);
      else if (call !== null) (source as RateLimiterEntrant).denied(error);
      else return { error };
      return undefined;
    }
    if (answer > this.maxWait * (1 + 2 ** -40) + 2 ** -40) {
      // Past what the limiter allows (a broken store, or Infinity): waited for, it would hang the call.
      return this.fail(
        call,
        destination,
        new TypeError(`RateLimitStore: answered a wait of ${answer} ms, above maxWait (${this.maxWait} ms)`),
      );
    }
    const now = this.scheduler.now();
    let waiting = call;
    if (waiting === null) {
      waiting = new Call(
        this.hooks,
        source as Observable<unknown> | RateLimiterEntrant,
        destination as Subscriber<unknown> | null,
        key,
        cost,
        now,
      );
      if (destination !== null) destination.add(waiting);
      else (source as RateLimiterEntrant).awaitPermit(waiting);
    }
    waiting.phase = 'waiting';
    counts.delayed++;
    counts.waiting++;
    if (this.observed) {
      this.emit({ type: 'delayed', limiter: this.name, at: now, key, cost, wait: answer });
      // An observer may have cancelled the call: it was counted abandoned, and never waits its turn.
      if (waiting.abandoned) return destination === null && call === null ? 'waiting' : undefined;
    }
    const { timers } = this.hooks;
    timers.add(waiting, timers.now() + answer);
    return destination === null && call === null ? 'waiting' : undefined;
  }

  /**
   * A waiting call's turn came (the timer queue waits out a wait longer than one timer can hold, and
   * fires once the instant has passed): it starts.
   */
  private startWaiting(call: Call): void {
    const now = this.scheduler.now();
    call.phase = 'done';
    const { destination } = call;
    destination?.remove(call);
    this.counts.waiting--;
    this.counts.started++;
    if (this.observed) {
      this.emit({
        type: 'started',
        limiter: this.name,
        at: now,
        key: call.key,
        cost: call.cost,
        waited: now - call.since,
      });
      if (destination?.closed === true) return;
    }
    if (destination !== null) (call.source as Observable<unknown>).subscribe(destination);
    else (call.source as RateLimiterEntrant).permitted();
  }

  /** A call's subscriber left before it started, in `phase`. */
  private leave(call: Call, phase: 'deciding' | 'waiting'): void {
    const counts = this.counts;
    if (phase === 'waiting') counts.waiting--;
    else counts.deciding--;
    counts.abandoned++;
    if (this.observed) {
      this.emit({
        type: 'abandoned',
        limiter: this.name,
        at: this.scheduler.now(),
        key: call.key,
        cost: call.cost,
      });
    }
  }

  /**
   * The store failed to decide: the call errors with the store's error (an entrant decided synchronously
   * gets it back instead).
   */
  private fail(
    call: Call | null,
    destination: Subscriber<unknown> | null,
    error: unknown,
  ): { error: unknown } | undefined {
    this.counts.failed++;
    if (call !== null) {
      call.phase = 'done';
      destination?.remove(call);
    }
    if (destination !== null) destination.error(error);
    else if (call !== null) (call.source as RateLimiterEntrant).denied(error);
    else return { error };
    return undefined;
  }

  /** True while someone subscribes to `events$`: events are built only then. */
  private get observed(): boolean {
    return this.subject !== null && this.subject.observed;
  }

  private emit(event: RateLimiterEvent): void {
    this.subject!.next(event);
  }
}

// Recognised by its brand, even from the other build of the package (see internal/brand.ts).
setBrand(RateLimiter, RATE_LIMITER);
