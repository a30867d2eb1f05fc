import type { MonoTypeOperatorFunction, Subscriber } from 'rxjs';
import { CircuitBreaker } from '../breaker/CircuitBreaker';
import * as c from '../internal/codecs';
import { InvalidConfigError } from '../errors/InvalidConfigError';
import { configIssue, decodeConfig } from '../internal/decodeConfig';
import { createOperatorSubscriber, operate, type OperatorHandlers } from '../internal/operate';

/** Options of {@link circuitBreaker}. */
export interface CircuitBreakerOperatorConfig {
  /**
   * When a call succeeds: `'complete'` when its source completes (a request/response call), or
   * `'firstValue'` at its first value, for long-lived streams (SSE, WebSocket subscriptions) that seldom
   * complete. After a `'firstValue'` success the call's permit is given back, and a later error passes
   * through without being recorded. Slow-call duration is measured to the same point.
   * @default 'complete'
   */
  readonly successOn?: 'complete' | 'firstValue' | undefined;
}

const ConfigCodec = c.config(
  'CircuitBreakerOperatorConfig',
  {},
  { successOn: c.oneOf(['complete', 'firstValue']) },
);

/**
 * Protects a call with a shared {@link CircuitBreaker}: each subscription is one call, admitted or refused
 * at subscribe time. A refused call errors at once with `CircuitOpenError` and never subscribes to the
 * source. An admitted call succeeds when the source completes (or at its first value with
 * `successOn: 'firstValue'`) and fails when it errors with an error the breaker's `isFailure` accepts;
 * unsubscribing before either records nothing and gives the permit back. The outcome is recorded before it
 * is forwarded, so a `retry` downstream already sees the new state.
 *
 * ```text
 * breaker: minimumCalls 2, window { type: 'count', size: 2 }, openDuration 5
 * call 1, subscribed at 0   source --#        result --#
 * call 2, subscribed at 2   source   --#      result ----#      2 of 2 failed: open from 4 until 9
 * call 3, subscribed at 6   (never subscribed) result ------#   CircuitOpenError, retryAfter 3
 * ```
 *
 * @example
 * ```ts
 * const breaker = new CircuitBreaker({ name: 'search', openDuration: 10_000 });
 * const search = (q: string) => defer(() => fetchJson(`/search?q=${q}`)).pipe(circuitBreaker(breaker));
 * ```
 *
 * @param breaker The breaker shared by every call to one dependency.
 * @throws {InvalidConfigError} when `breaker` is not a `CircuitBreaker` or `config` is invalid.
 */
export function circuitBreaker<T>(
  breaker: CircuitBreaker,
  config: CircuitBreakerOperatorConfig = {},
): MonoTypeOperatorFunction<T> {
  if (!(breaker instanceof CircuitBreaker)) {
    throw new InvalidConfigError({
      operator: 'circuitBreaker',
      issues: [configIssue('breaker', 'a CircuitBreaker', breaker)],
    });
  }
  const { successOn } = decodeConfig('circuitBreaker', ConfigCodec, config);
  const onFirstValue = successOn === 'firstValue';
  const { scheduler } = breaker;

  return operate<T, T>((source, destination) => {
    const ticket = breaker.acquire();
    if (typeof ticket !== 'number') {
      destination.error(ticket);
      return;
    }
    // Durations are needed only for slow-call timing and events$: no clock read otherwise.
    const startedAt = breaker.timesCalls ? scheduler.now() : NaN;
    const subscriber = createOperatorSubscriber<T>(
      destination,
      new BreakerCall(breaker, ticket, startedAt, destination, onFirstValue),
    );
    // An events$ or state$ observer may have cancelled the call while it was admitted: the subscriber is
    // then closed, its finalize has given the permit back, and the source is never subscribed.
    if (!subscriber.closed) source.subscribe(subscriber);
  });
}

/**
 * One admitted call: records its outcome once (success, failure, or nothing when unsubscribed first) and
 * forwards. One object per call holds the call's state, instead of a closure per handler.
 */
class BreakerCall<T> implements OperatorHandlers<T> {
  /** Set when `successOn: 'firstValue'`: the first value records the success. */
  readonly next: ((value: T) => void) | undefined;
  private settled = false;

  constructor(
    private readonly breaker: CircuitBreaker,
    private readonly ticket: number,
    private readonly startedAt: number,
    private readonly destination: Subscriber<T>,
    onFirstValue: boolean,
  ) {
    this.next = onFirstValue ? this.firstValue : undefined;
  }

  private firstValue(value: T): void {
    if (!this.settled) {
      this.settled = true;
      this.breaker.succeed(this.ticket, this.startedAt);
    }
    this.destination.next(value);
  }

  error(err: unknown): void {
    if (!this.settled) {
      this.settled = true;
      this.breaker.fail(this.ticket, this.startedAt, err);
    }
    this.destination.error(err);
  }

  complete(): void {
    if (!this.settled) {
      this.settled = true;
      this.breaker.succeed(this.ticket, this.startedAt);
    }
    this.destination.complete();
  }

  finalize(): void {
    if (!this.settled) {
      this.settled = true;
      this.breaker.release(this.ticket, this.startedAt);
    }
  }
}
