import * as t from 'io-ts';
import {
  asyncScheduler,
  from,
  identity,
  type MonoTypeOperatorFunction,
  type ObservableInput,
  type OperatorFunction,
  type SchedulerLike,
  type Subscriber,
} from 'rxjs';
import { InvalidConfigError } from '../errors/InvalidConfigError';
import { TimeoutExceededError, type TimeoutExceededInfo } from '../errors/TimeoutExceededError';
import * as c from '../internal/codecs';
import { describeValue, readConfig } from '../internal/decodeConfig';
import { createOperatorSubscriber, operate } from '../internal/operate';
import { TimerQueue, type Deadline } from '../internal/TimerQueue';

/** Configuration of {@link timeoutAfter}. At least one of `first`, `each` and `total` is required. */
export interface TimeoutAfterConfig<R = never> {
  /** Time allowed from subscribe to the first value, in ms. @default `each` (or no limit) */
  readonly first?: number | undefined;
  /**
   * Time allowed between two values, in ms; also bounds the first value when `first` is not given.
   * @default no limit
   */
  readonly each?: number | undefined;
  /** Time allowed from subscribe to completion, in ms. @default no limit */
  readonly total?: number | undefined;
  /**
   * Called when a limit expires, after the source is unsubscribed; the result switches to what it
   * returns instead of erroring with `TimeoutExceededError`. @default none: error
   */
  readonly with?: ((info: TimeoutExceededInfo) => ObservableInput<R>) | undefined;
  /** Copied into the `info` of the error (and of `with`). @default undefined */
  readonly meta?: unknown | undefined;
  /** Scheduler that reads the time and runs the timer. @default asyncScheduler */
  readonly scheduler?: SchedulerLike | undefined;
}

const LIMITS = ['first', 'each', 'total'] as const;

const TimeoutAfterConfigCodec = c.config(
  'TimeoutAfterConfig',
  {},
  {
    first: c.nonNegativeMs,
    each: c.nonNegativeMs,
    total: c.nonNegativeMs,
    with: c.fn,
    meta: t.unknown,
    scheduler: c.scheduler,
  },
);

/**
 * Errors with `TimeoutExceededError` (or switches to `with`) when the source does not emit its first
 * value within `first`, a next value within `each` of the previous one, or does not complete within
 * `total` of the subscribe. The source is unsubscribed first. A value or completion exactly at a limit is
 * in time. The shorthand number is `total`, a call's deadline (rxjs `timeout(n)` is `each`).
 *
 * One timer per subscription: `each` records the time of each value and re-arms the timer only when it
 * fires before the deadline (it is replaced once if the first value brings the deadline forward, when
 * `each` is shorter than `first`), and a source that completes while being subscribed schedules nothing.
 *
 * ```text
 * source:   -a---b|     { each: 3 }      source:   -a-b-c|   { total: 4 }
 * result:   -a--#                        result:   -a-b#
 * subs:     ^---!
 * ```
 *
 * @example
 * ```ts
 * fetchRequest(url).pipe(timeoutAfter(2000)); // the whole call within 2 s: the request is aborted after
 * ticks$.pipe(timeoutAfter({ first: 5000, each: 1000, with: () => of(STALE) }));
 * ```
 * @throws {InvalidConfigError} when the config is not valid or sets none of `first`, `each`, `total`.
 */
export function timeoutAfter<T>(total: number): MonoTypeOperatorFunction<T>;
export function timeoutAfter<T, R = T>(config: TimeoutAfterConfig<R>): OperatorFunction<T, T | R>;
export function timeoutAfter<T, R>(
  totalOrConfig: number | TimeoutAfterConfig<R>,
): OperatorFunction<T, T | R> {
  const config = decode<R>(typeof totalOrConfig === 'number' ? { total: totalOrConfig } : totalOrConfig);
  const { first, each, total = Infinity, with: fallback, meta, scheduler = asyncScheduler } = config;
  /** The limit of the first value, and its name in `info.limit`. */
  const firstLimit = first ?? each ?? Infinity;
  const firstName = first !== undefined ? 'first' : 'each';
  const eachLimit = each ?? Infinity;
  if (firstLimit === Infinity && eachLimit === Infinity && total === Infinity) return identity;

  const policy: TimeoutPolicy<R> = {
    queue: TimerQueue.of(scheduler),
    firstLimit,
    firstName,
    eachLimit,
    total,
    onlyTotal: firstLimit === Infinity && eachLimit === Infinity,
    fallback,
    meta,
  };
  return operate<T, T | R>((source, destination) => {
    const subscribedAt = policy.queue.now();
    const call = new TimeoutCall<T, R>(policy, destination, subscribedAt);
    // A subscriber that was closed before it subscribed (rxjs 7 subscribes sources even then) starts nothing.
    if (call.upstream.closed) return;
    source.subscribe(call.upstream);
    // A source that ended (or was cut by downstream) while being subscribed needs no deadline at all.
    if (!destination.closed) call.start(subscribedAt);
  });
}

/** What every subscription of one `timeoutAfter(...)` shares. */
interface TimeoutPolicy<R> {
  readonly queue: TimerQueue;
  /** The limit of the first value, and its name in `info.limit`. */
  readonly firstLimit: number;
  readonly firstName: 'first' | 'each';
  readonly eachLimit: number;
  readonly total: number;
  /** Only `total` is set: a call's one deadline is its subscribe time plus `total`. */
  readonly onlyTotal: boolean;
  readonly fallback: ((info: TimeoutExceededInfo) => ObservableInput<R>) | undefined;
  readonly meta: unknown;
}

/**
 * One subscription: its deadline in the scheduler's shared {@link TimerQueue} (the nearest of the value
 * deadline and the total deadline), and the handlers of its source subscriber. `each` only records the
 * time of each value; when the deadline fires, a value that arrived meanwhile moves it on.
 */
class TimeoutCall<T, R> implements Deadline {
  timerDue = Infinity;
  timerSlot = -1;
  timerOrder = 0;
  /** A limit (see `Deadline.timerIsLimit`); a getter, so that a call carries no field for it. */
  get timerIsLimit(): true {
    return true;
  }

  readonly upstream: Subscriber<T>;
  private seen = 0;
  /** Set once the source is subscribed: values that arrive while it is being subscribed arm nothing. */
  private started = false;
  /**
   * Queue time of the subscribe, kept only with `first` or `each` (a `total` alone is queued at once and
   * its firing is the expiry): a call of the usual `timeoutAfter(ms)` boxes no time of its own.
   */
  declare private readonly subscribedAt: number;
  /**
   * Queue time of the last value, with `each` only (set on each value): a call of a policy without `each`
   * carries no such field, and one time less to box.
   */
  declare private lastValueAt: number;

  constructor(
    private readonly policy: TimeoutPolicy<R>,
    private readonly destination: Subscriber<T | R>,
    subscribedAt: number,
  ) {
    if (!policy.onlyTotal) this.subscribedAt = subscribedAt;
    this.upstream = createOperatorSubscriber<T>(destination, this);
  }

  /** When the whole call is due (`Infinity` without `total`); computed, so a call stores one time less. */
  private get totalDeadline(): number {
    return this.subscribedAt + this.policy.total;
  }

  /** When the next value is due. */
  private valueDeadline(): number {
    const { policy } = this;
    if (this.seen === 0) return this.subscribedAt + policy.firstLimit;
    return policy.eachLimit === Infinity ? Infinity : this.lastValueAt + policy.eachLimit;
  }

  /** Queues the deadline once the source is subscribed (and still open); `subscribedAt` as given before. */
  start(subscribedAt: number): void {
    const { policy } = this;
    this.started = true;
    if (policy.onlyTotal) policy.queue.add(this, subscribedAt + policy.total);
    else policy.queue.add(this, Math.min(this.valueDeadline(), this.totalDeadline));
  }

  next(value: T): void {
    const { policy } = this;
    this.seen++;
    if (policy.eachLimit !== Infinity) {
      this.lastValueAt = policy.queue.now();
      // Only the first value can bring the deadline forward: `each` shorter than what is left of `first`,
      // or `first: Infinity` (no deadline until now).
      const due = Math.min(this.lastValueAt + policy.eachLimit, this.totalDeadline);
      if (this.seen === 1 && this.started && due < this.timerDue) policy.queue.add(this, due);
    } else if (this.seen === 1 && policy.total === Infinity) {
      // Without `each` only the first value is bounded: nothing else needs the deadline.
      policy.queue.remove(this);
    }
    this.destination.next(value);
  }

  /** The source subscriber is torn down (ended, expired or unsubscribed): the deadline goes with it. */
  finalize(): void {
    this.policy.queue.remove(this);
  }

  /** The queue says `due` has passed: expire if it was a limit's deadline, else aim at the next one. */
  onDeadline(due: number): void {
    const { policy } = this;
    if (policy.onlyTotal || due >= this.totalDeadline) return this.expire('total', policy.total);
    const valueDue = this.valueDeadline();
    if (valueDue <= due) {
      if (this.seen === 0) this.expire(policy.firstName, policy.firstLimit);
      else this.expire('each', policy.eachLimit);
      return;
    }
    policy.queue.add(this, Math.min(valueDue, this.totalDeadline));
  }

  private expire(limit: TimeoutExceededInfo['limit'], after: number): void {
    this.upstream.unsubscribe();
    const { destination } = this;
    const { fallback, meta } = this.policy;
    const info: TimeoutExceededInfo = { limit, after, seen: this.seen, meta };
    if (fallback === undefined) {
      destination.error(new TimeoutExceededError(info));
      return;
    }
    try {
      const input = fallback(info);
      // `with` may have cancelled the call: a closed subscriber subscribes nothing.
      const subscriber = createOperatorSubscriber(destination);
      if (!subscriber.closed) from(input).subscribe(subscriber);
    } catch (err) {
      destination.error(err);
    }
  }
}

/** Reads the config once (see `readConfig`) and validates what was read; returns that. */
function decode<R>(input: unknown): TimeoutAfterConfig<R> {
  const { value: config, issues } = readConfig<TimeoutAfterConfig<R>>(TimeoutAfterConfigCodec, input);
  if (issues.length === 0 && !LIMITS.some((limit) => config[limit] !== undefined)) {
    issues.push({
      path: '',
      expected: 'an object with at least one limit (`first`, `each` or `total`)',
      received: config,
      message: `config must set at least one limit (\`first\`, \`each\` or \`total\`), got ${describeValue(config)}`,
    });
  }
  if (issues.length > 0) throw new InvalidConfigError({ operator: 'timeoutAfter', issues });
  return config;
}
