import * as t from 'io-ts';
import {
  asyncScheduler,
  from,
  identity,
  type MonoTypeOperatorFunction,
  type ObservableInput,
  type OperatorFunction,
  type SchedulerAction,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';
import { InvalidConfigError } from '../errors/InvalidConfigError';
import { TimeoutExceededError, type TimeoutExceededInfo } from '../errors/TimeoutExceededError';
import * as c from '../internal/codecs';
import { describeValue, readConfig } from '../internal/decodeConfig';
import { createOperatorSubscriber, operate } from '../internal/operate';
import { MAX_TIMER_DELAY } from '../internal/schedule';

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

  return operate<T, T | R>((source, destination) => {
    const subscribedAt = scheduler.now();
    let seen = 0;
    let lastValueAt = subscribedAt;
    let timer: Subscription | undefined = undefined;
    /** When the timer fires. */
    let armedAt = Infinity;

    /** When the next value is due. */
    const valueDeadline = (): number => (seen === 0 ? subscribedAt + firstLimit : lastValueAt + eachLimit);
    const totalDeadline = subscribedAt + total;

    const sourceSubscriber = createOperatorSubscriber<T>(destination, {
      next: (value) => {
        seen++;
        if (eachLimit !== Infinity) {
          lastValueAt = scheduler.now();
          // Only the first value can bring the deadline forward (`each` shorter than what is left of `first`).
          if (seen === 1 && timer !== undefined && lastValueAt + eachLimit < armedAt) arm();
        } else if (seen === 1 && total === Infinity) {
          // Without `each` only the first value is bounded: drop the timer, nothing else needs it.
          timer?.unsubscribe();
        }
        destination.next(value);
      },
    });

    const expire = (limit: TimeoutExceededInfo['limit'], after: number): void => {
      sourceSubscriber.unsubscribe();
      const info: TimeoutExceededInfo = { limit, after, seen, meta };
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
    };

    /** Runs when the timer fires: expire if a deadline has passed, else wait for the nearest one. */
    function check(this: SchedulerAction<unknown>): void {
      const now = scheduler.now();
      if (now >= totalDeadline) return expire('total', total);
      const due = valueDeadline();
      if (now >= due) return expire(seen === 0 ? firstName : 'each', seen === 0 ? firstLimit : eachLimit);
      const next = Math.min(due, totalDeadline);
      if (next === Infinity) return;
      const delay = Math.min(MAX_TIMER_DELAY, next - now);
      armedAt = now + delay;
      this.schedule(undefined, delay);
    }

    /** Sets the one timer (replacing any) for the nearest deadline. */
    function arm(): void {
      timer?.unsubscribe();
      const now = scheduler.now();
      const next = Math.min(valueDeadline(), totalDeadline);
      if (next === Infinity) return;
      const delay = Math.min(MAX_TIMER_DELAY, Math.max(0, next - now));
      armedAt = now + delay;
      timer = scheduler.schedule(check, delay);
      destination.add(timer);
    }

    // A subscriber that was closed before it subscribed (rxjs 7 subscribes sources even then) starts nothing.
    if (sourceSubscriber.closed) return;
    source.subscribe(sourceSubscriber);
    // A source that ended (or was cut by downstream) while being subscribed needs no timer at all.
    if (!destination.closed) arm();
  });
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
