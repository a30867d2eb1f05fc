import {
  asyncScheduler,
  type Observable,
  type SchedulerLike,
  type Subscriber,
  type Unsubscribable,
} from 'rxjs';
import { BulkheadRejectedError, type BulkheadRejectedInfo } from '../errors/BulkheadRejectedError';
import { InvalidConfigError } from '../errors/InvalidConfigError';
import { BULKHEAD, setBrand } from '../internal/brand';
import { config, nonNegativeInt, positiveInt, positiveMs, scheduler, string } from '../internal/codecs';
import { decodeConfig } from '../internal/decodeConfig';
import { createOperatorSubscriber, type OperatorHandlers } from '../internal/operate';
import { OrderedSubject } from '../internal/OrderedSubject';
import { TimerQueue, type Deadline } from '../internal/TimerQueue';
import { withoutStack } from '../internal/withoutStack';
import { WaitQueue, type WaitNode } from '../internal/WaitQueue';
import { adaptiveCodec, adaptiveIssues, createLimit, type AdaptiveLimitConfig } from './AdaptiveLimitConfig';
import type { BulkheadEvent } from './BulkheadEvent';
import type { LimitAlgorithm } from './LimitAlgorithm';
import { CANCELLED, DROP, IGNORED, LimitSample } from './LimitSample';

/** Configuration of a {@link Bulkhead}. */
export interface BulkheadConfig {
  /**
   * Calls that may run at once (subscribed to their source). A positive integer. With `adaptive`, the
   * initial limit, within the algorithm's `[min, max]`.
   */
  readonly maxConcurrent: number;
  /**
   * Calls that may wait for a slot, first in first out; a call that finds the queue full is refused with
   * `BulkheadRejectedError` (`reason: 'full'`). A non-negative integer: the queue is always bounded.
   * @default 0
   */
  readonly maxQueued?: number | undefined;
  /**
   * ms a call may wait in the queue before it is refused with `reason: 'queueTimeout'`. `Infinity` waits
   * as long as it takes. Positive.
   * @default Infinity
   */
  readonly queueTimeout?: number | undefined;
  /** Name carried by errors, events and metrics (per host or tenant, say). @default 'bulkhead' */
  readonly name?: string | undefined;
  /** Clock of `queueTimeout`, of event times and of the latency an adaptive limit reads. @default asyncScheduler */
  readonly scheduler?: SchedulerLike | undefined;
  /**
   * Let the limit find itself, from drops and latency, by one of Netflix concurrency-limits' algorithms
   * (`'aimd'`, `'gradient2'`, `'vegas'`): see {@link AdaptiveLimitConfig} and docs/adaptive-concurrency.md.
   * Omitted: the limit is `maxConcurrent`, fixed.
   */
  readonly adaptive?: AdaptiveLimitConfig | undefined;
}

/**
 * A snapshot of a {@link Bulkhead}: current occupancy and counters since it was created. Between any
 * two events: `calls = admitted + enqueued + rejectedFull`,
 * `enqueued = started + rejectedQueueTimeout + abandoned + queued`, and
 * `admitted + started = released + active`.
 */
export interface BulkheadMetrics {
  readonly name: string;
  /** Scheduler time of the snapshot, ms. */
  readonly at: number;
  /** As configured (with `adaptive`, the initial limit). */
  readonly maxConcurrent: number;
  /** Calls that may run at once now: `maxConcurrent`, or where an adaptive limit has moved it. */
  readonly limit: number;
  readonly maxQueued: number;
  /** Calls running now. */
  readonly active: number;
  /** Calls waiting now. */
  readonly queued: number;
  /** Calls seen (subscriptions). */
  readonly calls: number;
  /** Calls that started at once, without waiting. */
  readonly admitted: number;
  /** Calls that joined the queue. */
  readonly enqueued: number;
  /** Queued calls that later took a slot. */
  readonly started: number;
  /** Calls refused at once: slots and queue full. */
  readonly rejectedFull: number;
  /** Queued calls refused after waiting `queueTimeout` ms. */
  readonly rejectedQueueTimeout: number;
  /** Queued calls whose subscriber left before they started. */
  readonly abandoned: number;
  /** Running calls that ended (their source completed or errored, or they were unsubscribed). */
  readonly released: number;
  /** Most calls ever running at once. */
  readonly peakActive: number;
  /** Most calls ever waiting at once. */
  readonly peakQueued: number;
}

const codec = config(
  'BulkheadConfig',
  { maxConcurrent: positiveInt },
  { maxQueued: nonNegativeInt, queueTimeout: positiveMs, name: string, scheduler, adaptive: adaptiveCodec },
);
/** What a waiting call needs from its bulkhead, without widening the bulkhead's public surface. */
interface QueueOwner {
  leave(call: WaitingCall): void;
  /** The subscriber of an operator's call was torn down: it leaves the queue, or gives its slot back. */
  end(call: WaitingCall): void;
  expireOldest(): void;
}

/** What a running call of an adaptive pool needs from its bulkhead. */
interface SlotOwner {
  /** The call ended: learn from `sample`, then give its slot back. */
  settle(sample: LimitSample): void;
}

/**
 * The handlers of one running call of an adaptive pool (a fixed pool shares one set for every call): the
 * call's sample, whose outcome its error or completion records before passing it on, and whose slot is
 * given back with it when the subscriber is torn down, for any reason, exactly once. A call unsubscribed
 * before it ended keeps the outcome `CANCELLED` and teaches its limit nothing.
 */
class AdaptiveCall extends LimitSample implements OperatorHandlers<unknown> {
  constructor(
    private readonly owner: SlotOwner,
    private readonly destination: Subscriber<unknown>,
    startedAt: number,
    inflight: number,
  ) {
    super(startedAt, inflight);
  }

  error(err: unknown): void {
    this.fail(err);
    this.destination.error(err);
  }

  complete(): void {
    this.succeed();
    this.destination.complete();
  }

  finalize(): void {
    this.owner.settle(this);
  }
}

/**
 * A call driven without an rxjs layer (the fused call of `ResiliencePipeline`), admitted with
 * {@link Bulkhead.admit}: handed its place in the queue, told when it holds a slot, or that it waited
 * `queueTimeout` ms in vain.
 * @internal
 */
export interface BulkheadEntrant {
  /** The call joined the queue; `place.unsubscribe()` leaves it. Called before the `queued` event. */
  queued(place: Unsubscribable): void;
  /**
   * The waiting call holds a slot from now on (the `started` event has been emitted), and gives it back
   * with {@link Bulkhead.exit} exactly once: at once if it was cancelled meanwhile.
   */
  enter(): void;
  /** The call waited `queueTimeout` ms and is refused; it never held a slot. */
  refuse(error: BulkheadRejectedError): void;
  /**
   * Set by an adaptive pool when the call takes a slot (before the `admitted` or `started` event; `null`
   * for a fixed pool): record the call's end on it (`succeed()`, `fail(error)`) and hand it back with the
   * slot, `Bulkhead.exit(sample)`. One handed back with neither was cancelled and teaches nothing.
   */
  sample: LimitSample | null;
}

/**
 * One call waiting for a slot: its own queue node (O(1) removal on unsubscribe), and no timer of its own
 * (see {@link QueueTimeout}). The call is an operator's (`source` is subscribed with `destination` once it
 * holds a slot) or a {@link BulkheadEntrant} (`destination` is null, and this is its place in the queue).
 *
 * An operator's call gets the subscriber it will run with when it joins the queue, linked to
 * `destination` with this object as its handlers: that subscriber is the call's one teardown, which
 * leaves the queue while it waits and gives the slot back once it runs. Starting the call then allocates
 * nothing and links nothing: the drain only subscribes `source` with it.
 */
class WaitingCall implements WaitNode, Unsubscribable, OperatorHandlers<unknown> {
  queuePrev: WaitNode | null = null;
  queueNext: WaitNode | null = null;
  /** True once it holds a slot (set before the `started` event). */
  running = false;
  /** An operator's call: the subscriber it runs with, set when it joins the queue. */
  subscriber: Subscriber<unknown> | null = null;

  constructor(
    readonly owner: QueueOwner,
    readonly source: Observable<unknown> | BulkheadEntrant,
    readonly destination: Subscriber<unknown> | null,
    /** Time it joined the queue (the timer queue's, see `Bulkhead.epoch`), relative to the pool's `epoch`. */
    readonly enqueuedAt: number,
  ) {}

  /** A {@link BulkheadEntrant} cancelled while it waits: it leaves the queue (else nothing). */
  unsubscribe(): void {
    this.owner.leave(this);
  }

  /** An operator's call is torn down (complete, error, unsubscribe), exactly once. */
  finalize(): void {
    this.owner.end(this);
  }
}

/**
 * A waiting call of an adaptive pool: once it runs, its sample (taken when it got the slot) records how
 * it ended, before the outcome is passed on, as {@link AdaptiveCall} does for a call admitted at once.
 */
class AdaptiveWaitingCall extends WaitingCall {
  /** Set when the call takes its slot, before it can end. */
  sample: LimitSample | null = null;

  error(err: unknown): void {
    this.sample!.fail(err);
    this.destination!.error(err);
  }

  complete(): void {
    this.sample!.succeed();
    this.destination!.complete();
  }
}

/**
 * The pool's one `queueTimeout` deadline, in the scheduler's shared {@link TimerQueue}. Waiting calls
 * all wait the same `queueTimeout` in FIFO order, so they time out in queue order: only the oldest
 * waiting call's deadline needs a place in the timer queue, and it moves on when that call starts,
 * leaves or times out. Enqueue and dequeue stay O(1) however many calls wait.
 */
class QueueTimeout implements Deadline {
  timerDue = Infinity;
  timerSlot = -1;
  timerOrder = 0;
  /** The waiting call the deadline is aimed at (the oldest, when it was set), or null. */
  call: WaitingCall | null = null;

  constructor(private readonly owner: QueueOwner) {}

  /** `call` has waited `queueTimeout` ms. */
  onDeadline(): void {
    this.owner.expireOldest();
  }
}

/**
 * A bulkhead: a bounded pool of concurrency for one integration point, with a bounded FIFO queue in
 * front of it, so one slow dependency cannot take every other feature down with it. Share one instance
 * between every call to the same dependency, and apply it with the {@link bulkhead} operator.
 *
 * Each subscription to `source$.pipe(bulkhead(pool))` is one call. If fewer than `maxConcurrent` calls
 * run, it subscribes to its source at once; else if fewer than `maxQueued` wait, it waits; else it errors
 * at once with `BulkheadRejectedError` (`reason: 'full'`) and its source is never subscribed. When a
 * running call ends (complete, error or unsubscribe) the oldest waiting call starts at that same instant.
 * A waiting call that is unsubscribed leaves the queue and never starts; one that waited `queueTimeout`
 * ms errors with `reason: 'queueTimeout'`. Nothing blocks: waiting is a queued subscription.
 *
 * Enqueue, dequeue and cancel of a waiting call are O(1), a finite `queueTimeout` included (the pool keeps
 * one deadline, for its oldest waiting call, in the scheduler's shared timer queue), and a long run of
 * synchronous calls is drained
 * by a loop, so it never grows the stack.
 *
 * With `adaptive`, the limit is not fixed: `maxConcurrent` is the first guess, and the pool moves it
 * (`pool.limit`, a `limit` event per move) by one of Netflix concurrency-limits' algorithms, from how its
 * calls end: a drop (a `TimeoutExceededError`, or an `HttpStatusError` 429 or 503) and, for Gradient2 and
 * Vegas, the latency of successes. A call cancelled before it ended, a refusal by a policy inside the
 * bulkhead, or another error teaches it nothing; so put the call's timeout inside (`timeoutAfter` before
 * `bulkhead`), where its error reaches the pool. When the limit grows, waiting calls start at that
 * instant; when it falls, running calls go on. AIMD, as DESIGN 2.11 pins it (from its spec):
 *
 * ```text
 * pool: { maxConcurrent: 2, maxQueued: 2, adaptive: { algorithm: 'aimd' } }, four calls subscribed at 0
 * call a source   --a|              result --a|          1 in flight at its start, 1 * 2 >= 2: limit 2 -> 3
 * call b source   --------b|        result --------b|
 * call c source      -c|            result ----c|        waited; starts at 3, when a ends
 * call d source      --d|           result -----d|       waited; starts at 3 too, in the new slot
 * a call that errors with a TimeoutExceededError:       limit = max(min, floor(limit * 0.9))
 * ```
 * See docs/adaptive-concurrency.md for which algorithm to pick and what each does to a congested
 * dependency.
 *
 * ```text
 * pool: { maxConcurrent: 2, maxQueued: 2 }, five calls subscribed at frame 0
 * call 0 source   ---a|            result ---a|
 * call 1 source   -----b|          result -----b|
 * call 2 source       --c|         result ------c|     waited for call 0
 * call 3 source         -d|        result -------d|    waited for call 1
 * call 4                           result #            BulkheadRejectedError (full): never subscribed
 * ```
 *
 * @example
 * ```ts
 * const payments = new Bulkhead({ name: 'payments', maxConcurrent: 4, maxQueued: 16, queueTimeout: 2000 });
 * const pay$ = (order: Order) => defer(() => api.pay(order)).pipe(bulkhead(payments));
 * payments.events$.pipe(filter((e) => e.type === 'rejected')).subscribe(logRejection);
 *
 * // Adaptive: start at 20, let AIMD move the limit; slow calls (over 300 ms) count as drops.
 * const search = new Bulkhead({
 *   name: 'search',
 *   maxConcurrent: 20,
 *   adaptive: { algorithm: 'aimd', window: 1000, slowCallDuration: 300 },
 * });
 * const find$ = (q: string) => defer(() => api.search(q)).pipe(timeoutAfter(2000), bulkhead(search));
 * search.events$.pipe(filter((e) => e.type === 'limit')).subscribe((e) => log(`search limit ${e.from} -> ${e.to}`));
 * ```
 * @throws {InvalidConfigError} when `config` is invalid (named fields, expected and received values).
 */
export class Bulkhead {
  /** Name carried by errors, events and metrics. */
  readonly name: string;
  /** Calls that may run at once, as configured (with `adaptive`, the initial limit: see {@link limit}). */
  readonly maxConcurrent: number;
  /** Calls that may wait. */
  readonly maxQueued: number;
  /** ms a call may wait (`Infinity`: no limit). */
  readonly queueTimeout: number;
  /** Clock of `queueTimeout` and of event times. */
  readonly scheduler: SchedulerLike;

  /** Built on first access of `events$`, so a registry of a million idle pools pays nothing for it. */
  private subject: OrderedSubject<BulkheadEvent> | null = null;
  private view: Observable<BulkheadEvent> | null = null;
  private readonly queue = new WaitQueue<WaitingCall>();
  /** The pool's callbacks, shared by every call: the handlers of running calls and the queue's owner. */
  private readonly hooks: QueueOwner & SlotOwner & { readonly finalize: () => void };
  private activeCount = 0;
  /** Calls that may run at once now: `maxConcurrent`, or where `limiter` moved it. */
  private currentLimit: number;
  /** The adaptive limit, or `null` for a fixed pool (whose calls then cost nothing more). */
  private readonly limiter: LimitAlgorithm | null;
  /** The limiter reads latency: the clock is read when a call takes its slot and when it ends. */
  private readonly timed: boolean;
  /**
   * Time of the first enqueue: waiting calls store their enqueue time relative to it, a small integer V8
   * keeps unboxed (an absolute `Date.now()` would cost a heap number per waiting call). Waits are timed
   * on the scheduler's timer queue, whose time never steps back: a wall clock set back stretches no
   * `queueTimeout` and makes no `waited` negative.
   */
  private epoch: number | null = null;
  private draining = false;
  /** The scheduler's timer queue: the clock of waits, and where the pool's deadline is kept. */
  private readonly timers: TimerQueue;
  /** The pool's `queueTimeout` deadline; null without `queueTimeout`. */
  private readonly queueTimeoutDeadline: QueueTimeout | null;
  private readonly counts = {
    calls: 0,
    admitted: 0,
    enqueued: 0,
    started: 0,
    rejectedFull: 0,
    rejectedQueueTimeout: 0,
    abandoned: 0,
    released: 0,
    peakActive: 0,
    peakQueued: 0,
  };

  /**
   * An empty pool: no call running or waiting.
   * @param config `maxConcurrent` and the optional fields of {@link BulkheadConfig}.
   * @throws {InvalidConfigError} naming each invalid or unknown field.
   */
  constructor(config: BulkheadConfig) {
    const {
      maxConcurrent,
      maxQueued = 0,
      queueTimeout = Infinity,
      name = 'bulkhead',
      scheduler = asyncScheduler,
      adaptive,
    } = decodeConfig('Bulkhead', codec, config) as BulkheadConfig;
    if (adaptive !== undefined) {
      const issues = adaptiveIssues(adaptive, maxConcurrent);
      if (issues.length > 0) throw new InvalidConfigError({ operator: 'Bulkhead', issues });
    }
    this.name = name;
    this.maxConcurrent = maxConcurrent;
    this.maxQueued = maxQueued;
    this.queueTimeout = queueTimeout;
    this.scheduler = scheduler;
    this.currentLimit = maxConcurrent;
    this.limiter = adaptive === undefined ? null : createLimit(adaptive, maxConcurrent);
    this.timed = this.limiter !== null && this.limiter.timed;
    this.hooks = {
      finalize: () => this.release(),
      leave: (call) => this.leave(call),
      end: (call) => this.end(call),
      expireOldest: () => this.expireOldest(),
      settle: (sample) => this.settle(sample),
    };
    this.timers = TimerQueue.of(scheduler);
    this.queueTimeoutDeadline = queueTimeout === Infinity ? null : new QueueTimeout(this.hooks);
  }

  /**
   * Every admission, queueing, start, refusal and release, each with `at` (scheduler time) and the counts
   * after it. Hot: emits synchronously as calls move; costs nothing while nobody subscribes.
   *
   * Observers may act on the pool from inside (start calls, cancel them): an event raised while another
   * is being delivered reaches every observer after it, so each observer sees every event in the order
   * they happened and the last event it sees carries the pool's current counts.
   */
  get events$(): Observable<BulkheadEvent> {
    if (this.view === null) {
      this.subject = new OrderedSubject<BulkheadEvent>();
      this.view = this.subject.asObservable();
    }
    return this.view;
  }

  /** Calls running now (holding a slot). */
  get active(): number {
    return this.activeCount;
  }

  /** Calls waiting now for a slot. */
  get queued(): number {
    return this.queue.size;
  }

  /**
   * Calls that may run at once now: `maxConcurrent` for a fixed pool; for an adaptive one, where its
   * algorithm has moved it (each move is a `limit` event). After a fall, running calls go on: `active`
   * may exceed it until enough of them end.
   */
  get limit(): number {
    return this.currentLimit;
  }

  /** A snapshot of occupancy and counters (a new object each time). */
  metrics(): BulkheadMetrics {
    return {
      name: this.name,
      at: this.scheduler.now(),
      maxConcurrent: this.maxConcurrent,
      limit: this.currentLimit,
      maxQueued: this.maxQueued,
      active: this.activeCount,
      queued: this.queue.size,
      ...this.counts,
    };
  }

  /**
   * Admits, queues or refuses one call: `source` is subscribed with `destination` once it holds a slot.
   * Used by the `bulkhead` operator; not meant to be called directly.
   * @internal
   */
  enter<T>(source: Observable<T>, destination: Subscriber<T>): void {
    // A subscriber already closed (rxjs 7 subscribes sources even then) is no call: nothing to count.
    if (destination.closed) return;
    const refusal = this.refusal();
    if (refusal !== null) {
      destination.error(refusal);
      return;
    }
    if (this.queue.size === 0 && this.activeCount < this.currentLimit) {
      this.counts.admitted++;
      this.start(source, destination, -1);
      return;
    }
    const call = this.wait(source as Observable<unknown>, destination as Subscriber<unknown>);
    call.subscriber = createOperatorSubscriber(destination as Subscriber<unknown>, call);
    if (this.observed) this.emitSimple('queued');
  }

  /**
   * Admits, queues or refuses one call driven without an rxjs layer, as {@link Bulkhead.enter} does for
   * an operator's call: returns the refusal (`'full'`); or `'admitted'`, when the call holds a slot now
   * (the `admitted` event has been emitted: the call runs, or gives the slot back at once with
   * {@link Bulkhead.exit} if it was cancelled meanwhile); or `'queued'`, when it waits (it was handed its
   * place with `entrant.queued`, and the pool calls `entrant.enter()` or `entrant.refuse()` later).
   * @internal
   */
  admit(entrant: BulkheadEntrant): BulkheadRejectedError | 'admitted' | 'queued' {
    const refusal = this.refusal();
    if (refusal !== null) return refusal;
    if (this.queue.size === 0 && this.activeCount < this.currentLimit) {
      this.counts.admitted++;
      const inflight = this.occupy();
      if (this.limiter !== null) entrant.sample = this.sample(inflight);
      this.announce(-1);
      return 'admitted';
    }
    entrant.queued(this.wait(entrant, null));
    if (this.observed) this.emitSimple('queued');
    return 'queued';
  }

  /**
   * Gives back the slot of a call admitted with {@link Bulkhead.admit}, and its `sample` (an adaptive
   * pool's: its limit learns from how the call ended first). @internal
   */
  exit(sample?: LimitSample | null): void {
    if (sample == null) this.release();
    else this.settle(sample);
  }

  /**
   * Counts a new call and refuses it when slots and queue are full. Outside a drain, a non-empty queue
   * means every slot is taken, so this is DESIGN §2.5's rule. During a drain a slot may be free for an
   * instant while the queue still holds calls: a newcomer then joins the queue behind them (FIFO), and is
   * refused only if slots and queue would both be full. After an adaptive limit fell below `active`, no
   * slot is free and the queue alone decides.
   */
  private refusal(): BulkheadRejectedError | null {
    const counts = this.counts;
    counts.calls++;
    const free = this.currentLimit - this.activeCount;
    if (this.queue.size < this.maxQueued + (free > 0 ? free : 0)) return null;
    counts.rejectedFull++;
    if (this.observed) this.emitRejected('full', 0);
    return withoutStack(() => new BulkheadRejectedError(this.rejection('full')));
  }

  /** Queues a call (the oldest waiting call's deadline times it out, if any); the caller emits `queued`. */
  private wait(
    source: Observable<unknown> | BulkheadEntrant,
    destination: Subscriber<unknown> | null,
  ): WaitingCall {
    const counts = this.counts;
    const now = this.timers.now();
    if (this.epoch === null) this.epoch = now;
    const call =
      destination !== null && this.limiter !== null
        ? new AdaptiveWaitingCall(this.hooks, source, destination, now - this.epoch)
        : new WaitingCall(this.hooks, source, destination, now - this.epoch);
    const queued = this.queue.size;
    this.queue.push(call);
    counts.enqueued++;
    if (queued + 1 > counts.peakQueued) counts.peakQueued = queued + 1;
    if (queued === 0 && this.queueTimeoutDeadline !== null) this.aimQueueTimeout();
    return call;
  }

  /** Takes a slot and subscribes `source`; the slot is given back when that subscription ends. */
  private start<T>(source: Observable<T>, destination: Subscriber<T>, waited: number): void {
    const inflight = this.occupy();
    // A fixed pool's handlers are its own (no allocation per call); an adaptive pool's call gets its own,
    // to learn how it ended. Either way the subscriber is linked to `destination`, so complete, error and
    // unsubscribe all end in `finalize`, exactly once.
    const handlers: OperatorHandlers<T> =
      this.limiter === null
        ? this.hooks
        : new AdaptiveCall(
            this.hooks,
            destination as Subscriber<unknown>,
            this.timed ? this.scheduler.now() : NaN,
            inflight,
          );
    this.announce(waited);
    // An observer of the event above may have cancelled the call: the subscriber then comes back closed,
    // its `finalize` has given the slot back, and the source is never subscribed.
    const subscriber = createOperatorSubscriber<T>(destination, handlers);
    if (!subscriber.closed) source.subscribe(subscriber);
  }

  /**
   * A waiting operator's call takes a slot and subscribes its source with the subscriber it got when it
   * joined the queue; that subscriber's teardown gives the slot back (see {@link Bulkhead.end}).
   */
  private resume(call: WaitingCall, waited: number): void {
    const inflight = this.occupy();
    call.running = true;
    if (this.limiter !== null) (call as AdaptiveWaitingCall).sample = this.sample(inflight);
    this.announce(waited);
    // An observer of the event above may have cancelled the call: its subscriber is then closed, and
    // its teardown has given the slot back.
    const subscriber = call.subscriber!;
    if (!subscriber.closed) (call.source as Observable<unknown>).subscribe(subscriber);
  }

  /**
   * An operator's call that joined the queue is torn down: it leaves the queue if it still waits, or
   * gives its slot back (an adaptive pool's limit learns from its sample first) if it ran.
   */
  private end(call: WaitingCall): void {
    if (!call.running) {
      this.leave(call);
      return;
    }
    call.running = false;
    if (this.limiter === null) this.release();
    else this.settle((call as AdaptiveWaitingCall).sample!);
  }

  /** Takes a slot; returns the calls running now, this one included (what an adaptive limit reads). */
  private occupy(): number {
    const active = ++this.activeCount;
    if (active > this.counts.peakActive) this.counts.peakActive = active;
    return active;
  }

  /** Emits that a slot was taken: `waited` ms in the queue, or -1 for a call admitted at once. */
  private announce(waited: number): void {
    if (this.observed) {
      if (waited < 0) this.emitSimple('admitted');
      else this.emit({ type: 'started', waited, ...this.base() });
    }
  }

  /** An adaptive pool's sample of a call that took a slot with `inflight` calls running. */
  private sample(inflight: number): LimitSample {
    return new LimitSample(this.timed ? this.scheduler.now() : NaN, inflight);
  }

  /**
   * A running call of an adaptive pool ended: its limit learns from how (a success or a drop; a
   * cancellation or another error teaches nothing), then its slot is given back, and waiting calls
   * start under the new limit at that same instant. The call's outcome has been passed on already, so a
   * throw of the limit (its `random`) can reach no caller: rxjs reports it as a notification after the
   * end (`config.onStoppedNotification`), and the slot goes back all the same.
   */
  private settle(sample: LimitSample): void {
    try {
      const outcome = sample.outcome;
      if (outcome === CANCELLED || outcome === IGNORED) return;
      const now = this.timed ? this.scheduler.now() : NaN;
      const to = this.limiter!.update(now - sample.startedAt, sample.inflight, outcome === DROP, now);
      const from = this.currentLimit;
      if (to !== from) {
        this.currentLimit = to;
        if (this.observed) this.emit({ type: 'limit', from, to, ...this.base() });
      }
    } finally {
      // Whatever the limit did (a throw of the user's `random`), the slot goes back.
      this.release();
    }
  }

  /** A running call ended (complete, error or unsubscribe): free its slot and start waiting calls. */
  private release(): void {
    this.activeCount--;
    this.counts.released++;
    if (this.observed) this.emit({ type: 'released', held: 'slot', ...this.base() });
    if (this.queue.size > 0) this.drain();
  }

  /**
   * Starts waiting calls while slots are free. A call that starts and ends synchronously releases its
   * slot inside `start`; that nested `release` finds `draining` set and returns, and this loop starts the
   * next call: the stack stays flat however many synchronous calls wait.
   */
  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.activeCount < this.currentLimit) {
        const call = this.queue.shift();
        if (call === undefined) break;
        this.counts.started++;
        const waited = this.observed ? this.waited(call) : 0;
        if (call.destination === null) {
          const entrant = call.source as BulkheadEntrant;
          const inflight = this.occupy();
          if (this.limiter !== null) entrant.sample = this.sample(inflight);
          this.announce(waited);
          entrant.enter();
        } else {
          this.resume(call, waited);
        }
      }
    } finally {
      this.draining = false;
      if (this.queueTimeoutDeadline !== null) this.aimQueueTimeout();
    }
  }

  /** A waiting call's subscriber left: it leaves the queue and never starts. */
  private leave(call: WaitingCall): void {
    const oldest = this.queue.peek() === call;
    if (!this.queue.remove(call)) return;
    if (oldest && this.queueTimeoutDeadline !== null) this.aimQueueTimeout();
    this.counts.abandoned++;
    if (this.observed) {
      this.emit({ type: 'released', held: 'queue', ...this.base() });
    }
  }

  /**
   * Aims the pool's deadline at the oldest waiting call: `queueTimeout` after it joined the queue (the
   * timer queue waits out a limit longer than one timer can hold), or removes it when none waits.
   */
  private aimQueueTimeout(): void {
    const deadline = this.queueTimeoutDeadline!;
    const timers = this.timers;
    const oldest = this.queue.peek();
    if (oldest === deadline.call) return;
    deadline.call = oldest ?? null;
    if (oldest === undefined) timers.remove(deadline);
    else timers.add(deadline, this.epoch! + oldest.enqueuedAt + this.queueTimeout);
  }

  /**
   * The pool's deadline fired: the call it was aimed at has waited `queueTimeout` ms (trusted as is, so
   * that a deadline passed within floating-point error has passed), and so has every call behind it
   * that has waited as long by the clock. Each leaves the queue and is refused, oldest first.
   */
  private expireOldest(): void {
    const deadline = this.queueTimeoutDeadline!;
    let call: WaitingCall | undefined = deadline.call ?? undefined;
    deadline.call = null;
    while (call !== undefined && call === this.queue.peek()) {
      this.queue.shift();
      this.counts.rejectedQueueTimeout++;
      if (this.observed) this.emitRejected('queueTimeout', this.waited(call));
      const error = new BulkheadRejectedError(this.rejection('queueTimeout'));
      if (call.destination === null) (call.source as BulkheadEntrant).refuse(error);
      else call.destination.error(error);
      const next: WaitingCall | undefined = this.queue.peek();
      call = next !== undefined && this.waited(next) >= this.queueTimeout ? next : undefined;
    }
    this.aimQueueTimeout();
  }

  /** ms `call` has waited so far. */
  private waited(call: WaitingCall): number {
    return this.timers.now() - this.epoch! - call.enqueuedAt;
  }

  private rejection(reason: 'full' | 'queueTimeout'): BulkheadRejectedInfo {
    return {
      bulkhead: this.name,
      reason,
      active: this.activeCount,
      maxConcurrent: this.currentLimit,
      queued: this.queue.size,
      maxQueued: this.maxQueued,
    };
  }

  private base(): { bulkhead: string; at: number; active: number; queued: number } {
    return {
      bulkhead: this.name,
      at: this.scheduler.now(),
      active: this.activeCount,
      queued: this.queue.size,
    };
  }

  private emitSimple(type: 'admitted' | 'queued'): void {
    this.emit({ type, ...this.base() });
  }

  private emitRejected(reason: 'full' | 'queueTimeout', waited: number): void {
    this.emit({ type: 'rejected', reason, waited, ...this.base() });
  }

  /** True while someone subscribes to `events$`: events are built only then. */
  private get observed(): boolean {
    return this.subject !== null && this.subject.observed;
  }

  private emit(event: BulkheadEvent): void {
    this.subject!.next(event);
  }
}

// Recognised by its brand, even from the other build of the package (see internal/brand.ts).
setBrand(Bulkhead, BULKHEAD);
