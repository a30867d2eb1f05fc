import { Observable, asyncScheduler, type SchedulerLike } from 'rxjs';
import * as t from 'io-ts';
import { CIRCUIT_BREAKER, setBrand } from '../internal/brand';
import * as c from '../internal/codecs';
import { configIssue, decodeConfig, describeValue } from '../internal/decodeConfig';
import { OrderedSubject } from '../internal/OrderedSubject';
import { TimerQueue, type Deadline } from '../internal/TimerQueue';
import { withoutStack } from '../internal/withoutStack';
import { CircuitOpenError } from '../errors/CircuitOpenError';
import { InvalidConfigError, type ConfigIssue } from '../errors/InvalidConfigError';
import { isTransient } from '../errors/isTransient';
import type { CircuitBreakerEvent, CircuitTransitionReason } from './CircuitBreakerEvent';
import type { CircuitBreakerMetrics } from './CircuitBreakerMetrics';
import { CircuitBreakerSnapshotCodec, type CircuitBreakerSnapshot } from './CircuitBreakerSnapshot';
import type { CircuitState } from './CircuitState';
import { CountWindow } from './CountWindow';
import type { OutcomeWindow } from './OutcomeWindow';
import { TimeWindow } from './TimeWindow';

/** Which recent outcomes a closed breaker decides on. */
export type CircuitBreakerWindow =
  /** The last `size` outcomes. */
  | { readonly type: 'count'; readonly size: number }
  /**
   * The outcomes of the last `duration` ms, kept in `buckets` buckets (default 10): an outcome may leave
   * the window up to one bucket (`duration / buckets` ms) early. A bucket lasts at least 0.000001 ms.
   */
  | { readonly type: 'time'; readonly duration: number; readonly buckets?: number | undefined };

/** Configuration of a {@link CircuitBreaker}. Every field is optional. */
export interface CircuitBreakerConfig {
  /**
   * Name in `CircuitOpenError.info.breaker`, in messages and in snapshots.
   * @default 'unnamed'
   */
  readonly name?: string | undefined;
  /**
   * The outcomes a closed breaker decides on. 20 calls react within seconds on a client's traffic, where
   * resilience4j's 100 would take minutes on a low-traffic dependency; a time window suits bursty traffic.
   * @default { type: 'count', size: 20 }
   */
  readonly window?: CircuitBreakerWindow | undefined;
  /**
   * Outcomes the window must hold before the breaker may open, so one failure out of one call does not
   * open it. At most `window.size` with a count window (the default is capped to it).
   * @default 10
   */
  readonly minimumCalls?: number | undefined;
  /**
   * In (0, 1]: the breaker opens when `failures / calls >= failureRateThreshold` (as resilience4j,
   * Hystrix and opossum default).
   * @default 0.5
   */
  readonly failureRateThreshold?: number | undefined;
  /**
   * Milliseconds: a call lasting at least this long (subscribe to outcome) is slow. Off by default: bound
   * call durations with `timeoutAfter` first, then use slow calls to open before timeouts pile up.
   * @default Infinity
   */
  readonly slowCallDuration?: number | undefined;
  /**
   * In (0, 1]: the breaker opens when `slowCalls / calls >= slowCallRateThreshold`.
   * @default 1
   */
  readonly slowCallRateThreshold?: number | undefined;
  /**
   * Milliseconds the breaker stays open before it admits probes, or a function of the opening count
   * (1, 2, ... since it last closed) for a backoff, e.g. `(n) => Math.min(1000 * 2 ** (n - 1), 60000)`.
   * A function's negative result counts as 0 and `Infinity` keeps it open until `reset()`. A function that
   * throws or returns something other than a number (NaN included) is a bug: `events$` reports it as an
   * `openDurationError` event, and the breaker stays open for the default 30 s (rather than probing a sick
   * dependency at once).
   * 30 s (opossum's default) lets a restarting dependency come back without being probed every second.
   * @default 30000
   */
  readonly openDuration?: (number | ((opening: number) => number)) | undefined;
  /**
   * Probes admitted per halfOpen phase; further calls are refused with `retryAfter: 0`. One probe is the
   * cheapest question to ask a sick dependency.
   * @default 1
   */
  readonly halfOpenCalls?: number | undefined;
  /**
   * Milliseconds a halfOpen phase may wait for its probes' decision, counted from its first probe's
   * admission: a probe that hangs makes the breaker open again then (with the next `openDuration`). A
   * halfOpen phase that has admitted no probe waits for one, however long: the breaker moves between open
   * and halfOpen only as calls arrive, so an idle breaker (and a test observing `state$`) ends in halfOpen.
   * @default Infinity
   */
  readonly maxHalfOpenDuration?: number | undefined;
  /**
   * Which errors are failures of the dependency. An error it rejects passes through to the caller but is
   * recorded as nothing (its permit, even a probe's, is given back). A throw from it errors the call with
   * what it threw, and the call counts as a failure. The default, `isTransient`, rejects a refusal by one
   * of this library's policies (`CircuitOpenError`, `BulkheadRejectedError`, `RateLimitedError`,
   * `BufferOverflowError`), an `InvalidConfigError` and an `HttpStatusError` with a 4xx status other than
   * 408, 425 and 429: the dependency was never called, or the caller's request was wrong. Every other
   * error counts.
   * @default isTransient
   */
  readonly isFailure?: ((error: unknown) => boolean) | undefined;
  /**
   * Where time comes from: `now()` for durations and state, `schedule()` only for `state$`'s timely
   * transitions while it is observed.
   * @default asyncScheduler
   */
  readonly scheduler?: SchedulerLike | undefined;
}

/** An integer in [1, max], named for the config-error reporter. */
function intUpTo(max: number): t.Type<number, number, unknown> {
  const ok = (u: unknown): u is number =>
    Number.isSafeInteger(u) && (u as number) >= 1 && (u as number) <= max;
  return new t.Type<number, number, unknown>(
    `a positive integer up to ${max}`,
    ok,
    (u, ctx) => (ok(u) ? t.success(u) : t.failure(u, ctx)),
    t.identity,
  );
}

const WindowCodec = c.tagged('a window', 'type', {
  count: c.config('a count window', { type: c.oneOf(['count']), size: intUpTo(1_000_000) }, {}),
  time: c.config(
    'a time window',
    { type: c.oneOf(['time']), duration: c.finitePositiveMs },
    { buckets: intUpTo(1000) },
  ),
});

/** `openDuration`'s default, and what a broken `openDuration` function falls back to. */
const DEFAULT_OPEN_DURATION = 30_000;

/** The shortest bucket of a time window: 1 ns. */
const MIN_BUCKET_MS = 1e-6;

const ConfigCodec = c.config(
  'CircuitBreakerConfig',
  {},
  {
    name: c.nonEmptyString,
    window: WindowCodec,
    minimumCalls: c.positiveInt,
    failureRateThreshold: c.rate,
    slowCallDuration: c.positiveMs,
    slowCallRateThreshold: c.rate,
    openDuration: c.either(c.nonNegativeMs, c.fn),
    halfOpenCalls: c.positiveInt,
    maxHalfOpenDuration: c.positiveMs,
    isFailure: c.fn,
    scheduler: c.scheduler,
  },
);

/**
 * A circuit breaker: a state machine shared by every call made through `circuitBreaker(breaker)`, that
 * fails fast while a dependency is failing and probes it before letting traffic back.
 *
 * ```text
 *            failure or slow rate >= threshold        openDuration elapsed
 *   closed ----------------------------------> open ----------------------> halfOpen
 *     ^  (window holds >= minimumCalls outcomes)  ^                            |
 *     |                                           | probes' rates >= threshold |
 *     |                                           | or maxHalfOpenDuration     |
 *     |                                           +----------------------------+
 *     +-------- probes' rates below thresholds ----------------------------------+
 *   isolate(): any state -> isolated (refuses everything); reset(): any state -> closed
 * ```
 *
 * As a marble timeline (window of 2 outcomes, `minimumCalls: 2`, `openDuration: 4`; from its spec):
 *
 * ```text
 * call f1   ^ -#                 fails at 1
 * call f2   ^ -#                 fails at 1: 2 of 2 failed, the breaker opens
 * call p1        ^ --#           probe at 5: fails at 7, opens again
 * call p2              ^ -|      probe at 11: succeeds at 12, closes
 * state$    co---h-o---hc        c closed, o open, h halfOpen
 * ```
 *
 * Time comes from `scheduler.now()`: open turns into halfOpen at `openedAt + openDuration` with no timer
 * (`state` reads it), and `state$` schedules that transition's emission only while it is observed. The
 * breaker holds memory bounded by its window, whatever the call rate.
 *
 * @example
 * ```ts
 * const breaker = new CircuitBreaker({ name: 'prices', window: { type: 'count', size: 20 }, openDuration: 10_000 });
 * breaker.state$.subscribe((state) => console.log('prices breaker:', state));
 * const price$ = (id: string) => defer(() => fetchPrice(id)).pipe(timeoutAfter(2000), circuitBreaker(breaker));
 * ```
 *
 * @throws {InvalidConfigError} when the config is invalid (every bad field is named).
 */
export class CircuitBreaker {
  /** The breaker's name (in errors, events and snapshots). */
  readonly name: string;
  /** Where the breaker reads time. @internal */
  readonly scheduler: SchedulerLike;

  /**
   * Emits the state on subscribe, then every transition, each at the instant it happens. Observers hear
   * an operation once it is complete, and in order even when one of them reacts by changing the breaker
   * (`reset()`, a call): the last state each one hears is the breaker's.
   *
   * Time alone makes two transitions: open -> halfOpen after `openDuration`, and halfOpen -> open when a
   * probe has been running `maxHalfOpenDuration` without a decision. Nothing else happens without calls,
   * so in a marble test observing `state$` the breaker ends in halfOpen and the test flushes.
   */
  readonly state$: Observable<CircuitState>;
  /**
   * Emits admissions, refusals, outcomes, transitions, resets and `openDurationError`s, each with `at`
   * (scheduler time), in the same order as `state$`. Hot: events before a subscription are not replayed.
   * Costs nothing while nobody observes it.
   */
  readonly events$: Observable<CircuitBreakerEvent>;

  private readonly window: OutcomeWindow;
  /** A time window needs the outcome's time; a count window does not. */
  private readonly timedWindow: boolean;
  private readonly minimumCalls: number;
  private readonly failureRateThreshold: number;
  private readonly slowCallDuration: number;
  private readonly slowCallRateThreshold: number;
  private readonly openDuration: number | ((opening: number) => number);
  private readonly halfOpenCalls: number;
  private readonly maxHalfOpenDuration: number;
  private readonly isFailure: (error: unknown) => boolean;

  /** The state as last recorded; `open` past `openUntil` reads as `halfOpen` (see `sync`). */
  private phase: CircuitState = 'closed';
  /** Bumped on every transition and reset; an admitted call carries the one it was admitted under. */
  private generation = 0;
  private opening = 0;
  private openedAt = NaN;
  private openUntil = Infinity;
  /** The halfOpen phase's deadline: Infinity until it admits its first probe. */
  private halfOpenUntil = Infinity;
  /** Probes of the current halfOpen phase: running, and with an outcome. */
  private probesActive = 0;
  private probesDone = 0;
  private probeFailures = 0;
  private probeSlowCalls = 0;
  private inFlight = 0;
  private refusals = 0;

  /**
   * The call of this breaker whose source is being subscribed right now, if any: a call of this breaker
   * subscribed meanwhile is nested in it (see `circuitBreaker`). @internal
   */
  subscribing: unknown = undefined;
  /**
   * Subscribers of `events$` (events are built only while it has some) and of `state$`, in one order of
   * delivery. An operation posts what it emits, and `flush()` delivers it once the operation is complete:
   * an observer never sees, nor acts on, a breaker halfway through recording an outcome or a transition;
   * and what an observer makes happen reaches every observer after what was being delivered (see
   * `DeliveryOrder`), so the last state each one hears is the breaker's.
   */
  private readonly events = new OrderedSubject<CircuitBreakerEvent>();
  private readonly states = new OrderedSubject<CircuitState>(this.events.order);
  /** Subscribers of `state$` and `events$`: the transition timer lives only while > 0. */
  private watchers = 0;
  /** The next time-driven transition's deadline in the scheduler's timer queue, while observed. */
  private readonly timer: TransitionTimer;

  /**
   * A breaker in the `closed` state with an empty window.
   * @param input Every field is optional: {@link CircuitBreakerConfig}.
   * @throws {InvalidConfigError} naming each invalid or unknown field.
   */
  constructor(input: CircuitBreakerConfig = {}) {
    // Each field is read once, and what was validated is what is used (see `readConfig`).
    const config = decodeConfig('CircuitBreaker', ConfigCodec, input) as CircuitBreakerConfig;
    const window = config.window ?? { type: 'count', size: 20 };
    const minimumCalls = config.minimumCalls ?? (window.type === 'count' ? Math.min(10, window.size) : 10);
    if (window.type === 'count' && minimumCalls > window.size) {
      throw new InvalidConfigError({
        operator: 'CircuitBreaker',
        issues: [
          configIssue(
            'minimumCalls',
            `at most \`window.size\` (${window.size}), or the breaker could never open`,
            minimumCalls,
          ),
        ],
      });
    }
    if (window.type === 'time') {
      // Buckets shorter than this round time to ever larger epochs (Infinity for the shortest): the window
      // would never forget.
      const buckets = window.buckets ?? 10;
      if (!(window.duration / buckets >= MIN_BUCKET_MS)) {
        throw new InvalidConfigError({
          operator: 'CircuitBreaker',
          issues: [
            configIssue(
              'window.duration',
              `at least ${MIN_BUCKET_MS} ms per bucket (${buckets} buckets)`,
              window.duration,
            ),
          ],
        });
      }
    }
    this.name = config.name ?? 'unnamed';
    this.scheduler = config.scheduler ?? asyncScheduler;
    this.timer = new TransitionTimer(TimerQueue.of(this.scheduler), this);
    this.window =
      window.type === 'count'
        ? new CountWindow(window.size)
        : new TimeWindow(window.duration, window.buckets);
    this.timedWindow = window.type === 'time';
    this.minimumCalls = minimumCalls;
    this.failureRateThreshold = config.failureRateThreshold ?? 0.5;
    this.slowCallDuration = config.slowCallDuration ?? Infinity;
    this.slowCallRateThreshold = config.slowCallRateThreshold ?? 1;
    this.openDuration = config.openDuration ?? DEFAULT_OPEN_DURATION;
    this.halfOpenCalls = config.halfOpenCalls ?? 1;
    this.maxHalfOpenDuration = config.maxHalfOpenDuration ?? Infinity;
    this.isFailure = config.isFailure ?? isTransient;

    this.state$ = new Observable<CircuitState>((subscriber) => {
      // Catches up first (other subscribers hear what time alone made happen), then starts from now.
      this.watch();
      const remove = this.states.add(subscriber, this.state);
      this.flush();
      return () => {
        remove();
        this.unwatch();
      };
    });
    this.events$ = new Observable<CircuitBreakerEvent>((subscriber) => {
      const remove = this.events.add(subscriber);
      this.watch();
      this.flush();
      return () => {
        remove();
        this.unwatch();
      };
    });
  }

  /**
   * Restores a breaker saved with {@link CircuitBreaker.toJSON}, built with `config` (the snapshot's name
   * is used when `config` has none). A halfOpen breaker was saved as open, so it probes again. The window's
   * outcomes are kept when its shape matches `config` (a count window keeps the newest `size`); otherwise
   * it starts empty.
   *
   * @throws {InvalidConfigError} when `snapshot` is malformed (operator `CircuitBreaker.fromJSON`) or
   * `config` is invalid.
   */
  static fromJSON(snapshot: unknown, config: CircuitBreakerConfig = {}): CircuitBreaker {
    const decoded = decodeConfig<CircuitBreakerSnapshot>(
      'CircuitBreaker.fromJSON',
      CircuitBreakerSnapshotCodec,
      snapshot,
    );
    const issues: ConfigIssue[] = [];
    const { window } = decoded;
    if (window.type === 'time') {
      window.buckets.forEach((b, i) => {
        if (b.failures > b.calls)
          issues.push(configIssue(`window.buckets.${i}.failures`, 'at most `calls`', b.failures));
        if (b.slowCalls > b.calls)
          issues.push(configIssue(`window.buckets.${i}.slowCalls`, 'at most `calls`', b.slowCalls));
      });
    }
    if (decoded.state === 'open' && decoded.openUntil !== null && decoded.openUntil < decoded.openedAt) {
      issues.push(configIssue('openUntil', 'at least `openedAt` or null', decoded.openUntil));
    }
    if (issues.length > 0) throw new InvalidConfigError({ operator: 'CircuitBreaker.fromJSON', issues });
    const settings = decodeConfig('CircuitBreaker', ConfigCodec, config) as CircuitBreakerConfig;
    const breaker = new CircuitBreaker(
      settings.name === undefined ? { ...settings, name: decoded.name } : settings,
    );
    breaker.restore(decoded);
    return breaker;
  }

  /**
   * The current state, computed from `scheduler.now()`: an open breaker whose `openDuration` has elapsed
   * reads `'halfOpen'` with no timer. Reading it admits nothing and takes no permit.
   */
  get state(): CircuitState {
    if (this.phase === 'closed') return 'closed';
    this.sync(this.scheduler.now());
    this.flush();
    return this.phase;
  }

  /** A snapshot of the breaker's counts and state (see {@link CircuitBreakerMetrics}). */
  metrics(): CircuitBreakerMetrics {
    const now = this.scheduler.now();
    this.sync(now);
    this.flush();
    this.window.advance(now);
    const halfOpen = this.phase === 'halfOpen';
    const calls = halfOpen ? this.probesDone : this.window.calls;
    const failures = halfOpen ? this.probeFailures : this.window.failures;
    const slowCalls = halfOpen ? this.probeSlowCalls : this.window.slowCalls;
    return {
      state: this.phase,
      calls,
      failures,
      slowCalls,
      failureRate: calls === 0 ? 0 : failures / calls,
      slowCallRate: calls === 0 ? 0 : slowCalls / calls,
      refusals: this.refusals,
      inFlight: this.inFlight,
      opening: this.opening,
      openedAt: this.phase === 'closed' || Number.isNaN(this.openedAt) ? undefined : this.openedAt,
      retryAfter: this.retryAfter(now),
    };
  }

  /** Refuses every call (`retryAfter: Infinity`) until {@link CircuitBreaker.reset}. */
  isolate(): void {
    const now = this.scheduler.now();
    this.sync(now);
    if (this.phase !== 'isolated') this.transition('isolated', now, 'isolate');
    this.flush();
  }

  /**
   * Closes the breaker and clears its window, opening count and refusal count. Calls admitted before the
   * reset no longer count.
   */
  reset(): void {
    const now = this.scheduler.now();
    this.sync(now);
    this.window.clear();
    this.opening = 0;
    this.refusals = 0;
    this.openedAt = NaN;
    if (this.phase === 'closed') {
      this.generation++;
    } else {
      this.transition('closed', now, 'reset');
    }
    if (this.events.observed) this.events.post({ type: 'reset', at: now });
    this.flush();
  }

  /**
   * The breaker as plain versioned data, for {@link CircuitBreaker.fromJSON}. A halfOpen breaker is saved
   * as open (its probes are not saved), so the restored breaker probes again.
   */
  toJSON(): CircuitBreakerSnapshot {
    const now = this.scheduler.now();
    this.sync(now);
    this.flush();
    this.window.advance(now);
    const base = {
      version: 1 as const,
      name: this.name,
      refusals: this.refusals,
      window: this.window.toJSON(),
    };
    switch (this.phase) {
      case 'closed':
      case 'isolated':
        return { ...base, state: this.phase };
      case 'open':
        return {
          ...base,
          state: 'open',
          opening: this.opening,
          openedAt: this.openedAt,
          openUntil: this.openUntil === Infinity ? null : this.openUntil,
        };
      case 'halfOpen':
        return {
          ...base,
          state: 'open',
          opening: this.opening,
          openedAt: this.openedAt,
          openUntil: this.openUntil,
        };
    }
  }

  /**
   * Admits a call: returns its ticket (the generation it was admitted under), or the `CircuitOpenError`
   * that refuses it. Used by `circuitBreaker`; every ticket must be settled exactly once with
   * `succeed`, `fail` or `release`.
   * @internal
   */
  acquire(): number | CircuitOpenError {
    if (this.phase !== 'closed') {
      const now = this.scheduler.now();
      this.sync(now);
      if (this.phase !== 'halfOpen' || this.probesActive + this.probesDone >= this.halfOpenCalls) {
        const refusal = this.refuse(now);
        this.flush();
        return refusal;
      }
      this.probesActive++;
      // The phase's first probe starts its maxHalfOpenDuration. One below the clock's precision (now + it
      // === now) lasts one tick, so that a probe answering at its own instant is still in time.
      if (this.halfOpenUntil === Infinity && this.maxHalfOpenDuration !== Infinity) {
        const until = now + this.maxHalfOpenDuration;
        this.halfOpenUntil =
          until > now ? until : now + Math.max(Math.abs(now) * Number.EPSILON, Number.MIN_VALUE);
        this.arm();
      }
    }
    this.inFlight++;
    if (this.events.observed) {
      this.events.post({
        type: 'admit',
        at: this.scheduler.now(),
        state: this.phase as 'closed' | 'halfOpen',
      });
    }
    // The ticket is taken before observers hear of the admission: one that resets meanwhile makes it stale.
    const ticket = this.generation;
    this.flush();
    return ticket;
  }

  /**
   * Whether calls need their start time: slow-call timing is on, or `events$` is observed (events carry
   * durations). When not, `circuitBreaker` reads no clock at subscribe and passes `NaN`.
   * @internal
   */
  get timesCalls(): boolean {
    return this.slowCallDuration !== Infinity || this.events.observed;
  }

  /**
   * The time an outcome is recorded at; `NaN` (no clock read) when nothing needs it: a closed breaker with
   * a count window, no slow-call timing and nobody observing `events$`.
   */
  private outcomeTime(): number {
    return this.phase === 'closed' && !this.timedWindow && !this.timesCalls ? NaN : this.scheduler.now();
  }

  /**
   * Settles an admitted call as a success. `answeredAt` is given when the call was unsubscribed after a
   * value: its duration is measured to that first value (DESIGN §2.4 rule 2). @internal
   */
  succeed(ticket: number, startedAt: number, answeredAt?: number): void {
    this.inFlight--;
    const now = this.outcomeTime();
    if (this.phase !== 'closed') this.sync(now);
    const duration = (answeredAt ?? now) - startedAt;
    const slow = duration >= this.slowCallDuration;
    const counted = ticket === this.generation;
    if (this.events.observed) this.events.post({ type: 'success', at: now, duration, slow, counted });
    if (counted) this.record(false, slow, now);
    this.flush();
  }

  /**
   * Settles an admitted call that errored: a failure if `isFailure` accepts the error, else nothing (its
   * permit is given back). A throw from `isFailure` counts as a failure and is rethrown.
   * @internal
   */
  fail(ticket: number, startedAt: number, error: unknown): void {
    let failed: boolean;
    let thrown: { error: unknown } | undefined;
    try {
      failed = this.isFailure(error) !== false;
    } catch (err) {
      failed = true;
      thrown = { error: err };
    }
    this.inFlight--;
    const now = this.outcomeTime();
    if (this.phase !== 'closed') this.sync(now);
    const duration = now - startedAt;
    const counted = ticket === this.generation;
    if (failed) {
      const slow = duration >= this.slowCallDuration;
      if (this.events.observed)
        this.events.post({ type: 'failure', at: now, duration, slow, counted, error });
      if (counted) this.record(true, slow, now);
    } else {
      if (this.events.observed) this.events.post({ type: 'ignore', at: now, duration, error });
      if (counted && this.phase === 'halfOpen') this.probesActive--;
    }
    this.flush();
    if (thrown !== undefined) throw thrown.error;
  }

  /** Gives back the permit of a call unsubscribed before its outcome. @internal */
  release(ticket: number, startedAt: number): void {
    this.inFlight--;
    const now = this.outcomeTime();
    if (this.phase !== 'closed') this.sync(now);
    if (this.events.observed) this.events.post({ type: 'cancel', at: now, duration: now - startedAt });
    if (ticket === this.generation && this.phase === 'halfOpen') this.probesActive--;
    this.flush();
  }

  private record(failed: boolean, slow: boolean, now: number): void {
    if (this.phase === 'closed') {
      const { window } = this;
      window.record(failed, slow, now);
      const { calls } = window;
      if (calls < this.minimumCalls) return;
      let reason: CircuitTransitionReason;
      if (window.failures / calls >= this.failureRateThreshold) reason = 'failureRate';
      else if (window.slowCalls / calls >= this.slowCallRateThreshold) reason = 'slowCallRate';
      else return;
      // `now` is NaN when the outcome needed no clock; opening does.
      this.open(Number.isNaN(now) ? this.scheduler.now() : now, reason);
    } else if (this.phase === 'halfOpen') {
      this.probesActive--;
      this.probesDone++;
      if (failed) this.probeFailures++;
      if (slow) this.probeSlowCalls++;
      if (this.probesDone < this.halfOpenCalls) return;
      const n = this.probesDone;
      if (
        this.probeFailures / n >= this.failureRateThreshold ||
        this.probeSlowCalls / n >= this.slowCallRateThreshold
      ) {
        this.open(now, 'probes');
      } else {
        this.window.clear();
        this.opening = 0;
        this.openedAt = NaN;
        this.transition('closed', now, 'probes');
      }
    }
  }

  private refuse(now: number): CircuitOpenError {
    this.refusals++;
    const state = this.phase as 'open' | 'halfOpen' | 'isolated';
    const retryAfter = this.retryAfter(now);
    if (this.events.observed) this.events.post({ type: 'refuse', at: now, state, retryAfter });
    return withoutStack(() => new CircuitOpenError({ breaker: this.name, state, retryAfter }));
  }

  private retryAfter(now: number): number {
    switch (this.phase) {
      case 'open':
        return Math.max(0, this.openUntil - now);
      case 'isolated':
        return Infinity;
      default:
        return 0;
    }
  }

  /**
   * Applies the transitions that time alone makes up to `now`, each at its own instant: halfOpen -> open
   * at `halfOpenUntil` (set only once a probe was admitted), open -> halfOpen at `openUntil`. A deadline
   * is reached at its instant: a call or an outcome at that instant sees the new state.
   *
   * A new halfOpen phase has no deadline until a call arrives, so this makes at most three transitions
   * (halfOpen -> open -> halfOpen) however long the breaker was idle, and never recurses.
   */
  private sync(now: number): void {
    if (this.phase === 'halfOpen' && now >= this.halfOpenUntil) {
      this.open(this.halfOpenUntil, 'maxHalfOpenDuration');
    }
    if (this.phase === 'open' && now >= this.openUntil) this.enterHalfOpen(this.openUntil);
  }

  private open(at: number, reason: CircuitTransitionReason): void {
    this.opening++;
    this.openedAt = at;
    this.openUntil = at + this.openDurationFor(this.opening, at);
    this.transition('open', at, reason);
    // An openDuration of 0 makes it halfOpen at once: state$ observers see that at this same instant.
    if (this.phase === 'open' && this.openUntil <= at) this.enterHalfOpen(at);
  }

  private enterHalfOpen(at: number): void {
    this.halfOpenUntil = Infinity;
    this.transition('halfOpen', at, 'openDuration');
  }

  /** `openDuration` for this opening; a function's throw or non-number result is reported and replaced. */
  private openDurationFor(opening: number, at: number): number {
    const { openDuration } = this;
    if (typeof openDuration === 'number') return openDuration;
    let error: unknown;
    try {
      const ms = openDuration(opening);
      if (typeof ms === 'number' && !Number.isNaN(ms)) return ms > 0 ? ms : 0;
      error = new TypeError(
        `CircuitBreaker "${this.name}": openDuration(${opening}) returned ${describeValue(ms)}, not a number of milliseconds`,
      );
    } catch (thrown) {
      error = thrown;
    }
    if (this.events.observed) {
      this.events.post({
        type: 'openDurationError',
        at,
        opening,
        error,
        fallback: DEFAULT_OPEN_DURATION,
      });
    }
    return DEFAULT_OPEN_DURATION;
  }

  private transition(to: CircuitState, at: number, reason: CircuitTransitionReason): void {
    const from = this.phase;
    this.phase = to;
    this.generation++;
    this.probesActive = 0;
    this.probesDone = 0;
    this.probeFailures = 0;
    this.probeSlowCalls = 0;
    this.arm();
    if (this.watchers === 0) return;
    if (this.events.observed) this.events.post({ type: 'transition', at, from, to, reason });
    this.states.post(to);
  }

  private restore(snapshot: CircuitBreakerSnapshot): void {
    (this.window as CountWindow | TimeWindow).restore(snapshot.window);
    this.refusals = snapshot.refusals;
    if (snapshot.state === 'open') {
      this.phase = 'open';
      this.opening = snapshot.opening;
      this.openedAt = snapshot.openedAt;
      this.openUntil = snapshot.openUntil ?? Infinity;
    } else {
      this.phase = snapshot.state;
    }
  }

  private watch(): void {
    if (this.watchers++ > 0) return;
    this.sync(this.scheduler.now());
    this.arm();
  }

  private unwatch(): void {
    if (--this.watchers === 0) this.disarm();
  }

  private disarm(): void {
    this.timer.cancel();
  }

  /**
   * While observed, aims the transition timer at the next time-driven transition's instant (open ->
   * halfOpen at `openUntil`, halfOpen -> open at `halfOpenUntil`); else keeps no timer. The timer is a
   * deadline of the scheduler's shared timer queue, which waits out a longer delay than one timer can
   * hold.
   */
  private arm(): void {
    if (this.watchers === 0) return this.disarm();
    const due =
      this.phase === 'open' ? this.openUntil : this.phase === 'halfOpen' ? this.halfOpenUntil : Infinity;
    if (due === Infinity) return this.disarm();
    const now = this.scheduler.now();
    // Due now or earlier: the `sync` in progress reaches it.
    if (due <= now) return this.disarm();
    this.timer.aim(due, now);
  }

  /**
   * The transition timer fired for the instant `due`: the transitions up to it happen (at their own
   * instants), observers hear them, and the timer aims at the next one. The timer queue fires a deadline
   * once it has passed (within floating-point error, or by a timer that waited its delay while the clock
   * was set back), so `due` is reached even when the clock reads a hair before it. @internal
   */
  transitionDue(due: number): void {
    const now = this.scheduler.now();
    this.sync(due > now ? due : now);
    this.flush();
    if (!this.timer.pending) this.arm();
  }

  /**
   * Delivers what the operation just completed posted for `events$` and `state$` (see `events`). While
   * it does, `subscribing` is cleared: a call an observer starts is never nested in another.
   */
  private flush(): void {
    if (this.watchers === 0) return;
    const subscribing = this.subscribing;
    this.subscribing = undefined;
    try {
      this.events.order.flush();
    } finally {
      this.subscribing = subscribing;
    }
  }
}

/** The breaker's transition timer: a deadline in the scheduler's timer queue, for an instant of the breaker's clock. */
class TransitionTimer implements Deadline {
  timerDue = Infinity;
  timerSlot = -1;
  timerOrder = 0;
  /** The breaker-clock instant it is aimed at. */
  private at = Infinity;

  constructor(
    private readonly queue: TimerQueue,
    private readonly breaker: CircuitBreaker,
  ) {}

  /** Whether it is aimed at an instant still to come. */
  get pending(): boolean {
    return this.queue.has(this);
  }

  /** Aims it at the breaker-clock instant `at`, `at - now` ms from now. */
  aim(at: number, now: number): void {
    if (at === this.at && this.queue.has(this)) return;
    this.at = at;
    this.queue.add(this, this.queue.now() + (at - now));
  }

  cancel(): void {
    this.at = Infinity;
    this.queue.remove(this);
  }

  onDeadline(): void {
    const at = this.at;
    this.at = Infinity;
    this.breaker.transitionDue(at);
  }
}

// Recognised by its brand, even from the other build of the package (see internal/brand.ts).
setBrand(CircuitBreaker, CIRCUIT_BREAKER);
