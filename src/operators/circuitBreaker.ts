import type { MonoTypeOperatorFunction, Subscriber } from 'rxjs';
import type { CircuitBreaker } from '../breaker/CircuitBreaker';
import { isCircuitBreaker } from '../internal/brand';
import * as c from '../internal/codecs';
import { InvalidConfigError } from '../errors/InvalidConfigError';
import { configIssue, decodeConfig } from '../internal/decodeConfig';
import { createOperatorSubscriber, operate, type OperatorHandlers } from '../internal/operate';

/** Options of {@link circuitBreaker}. */
export interface CircuitBreakerOperatorConfig {
  /**
   * When a call's outcome is decided.
   *
   * - `'complete'`: when the call ends. Completion is a success and an error `isFailure` accepts a
   *   failure, even after values (the stream broke). A caller that leaves after at least one value
   *   (`firstValueFrom`, `take(1)`, `first()`) ends it with a success, timed to the first value; one that
   *   leaves before any value ends it with nothing. The permit, a probe's included, is held until then.
   * - `'firstValue'`: at the first value, for long-lived streams (SSE, WebSocket subscriptions) that seldom
   *   complete: the success is recorded and the permit given back at once (a halfOpen probe decides
   *   there), and a later error passes through without being recorded.
   *
   * A call's duration (for `slowCallDuration`) runs from its subscribe to its outcome, or to its first
   * value when it succeeds by an unsubscribe or at the first value.
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
 * `successOn: 'firstValue'`) and fails when it errors with an error the breaker's `isFailure` accepts
 * (by default `isTransient`: a refusal by another policy or a 4xx is not the dependency failing). A caller
 * that unsubscribes after at least one value (`firstValueFrom`, `take(1)`) ends the call with a success
 * timed to that value; one that unsubscribes before any value records nothing and gives the permit back.
 * The outcome is recorded before it is forwarded, so a `retry` downstream already sees the new state.
 *
 * The same breaker applied twice in one pipeline (a helper that applies it, wrapped again) counts each
 * call once: a call subscribed while a call of the same breaker subscribes its source, as the operators
 * between them do, runs under the outer call's permit, and only the outer call's outcome is recorded. A
 * call subscribed later (by a `retry` between them, after an asynchronous error) is a call of its own.
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
  if (!isCircuitBreaker(breaker)) {
    throw new InvalidConfigError({
      operator: 'circuitBreaker',
      issues: [configIssue('breaker', 'a CircuitBreaker', breaker)],
    });
  }
  const { successOn } = decodeConfig('circuitBreaker', ConfigCodec, config);
  const onFirstValue = successOn === 'firstValue';
  const { scheduler } = breaker;

  return operate<T, T>((source, destination) => {
    // The same breaker applied twice (a helper that applies it, wrapped again): a call subscribed while a
    // call of this breaker subscribes its source runs under that call's permit, and only that call's
    // outcome is recorded.
    if (breaker.subscribing !== undefined) {
      source.subscribe(destination);
      return;
    }
    const ticket = breaker.acquire();
    if (typeof ticket !== 'number') {
      destination.error(ticket);
      return;
    }
    // Durations are needed only for slow-call timing and events$: no clock read otherwise.
    const startedAt = breaker.timesCalls ? scheduler.now() : NaN;
    const call = new BreakerCall<T>(breaker, ticket, startedAt, destination, onFirstValue);
    const subscriber = createOperatorSubscriber<T>(destination, call);
    // An events$ or state$ observer may have cancelled the call while it was admitted: the subscriber is
    // then closed, its finalize has given the permit back, and the source is never subscribed.
    if (subscriber.closed) return;
    breaker.subscribing = call;
    try {
      source.subscribe(subscriber);
    } finally {
      breaker.subscribing = undefined;
      call.subscribed();
    }
  });
}

/**
 * One admitted call: records its outcome once (success, failure, or nothing when unsubscribed before any
 * value) and forwards. One object per call holds the call's state, instead of a closure per handler.
 *
 * The first value is seen by `onValue`, which then removes itself (`next` becomes undefined), so later
 * values go straight to the destination: a call costs one extra function call, at its first value only.
 * While its source is being subscribed (values a synchronous source emits then), the call is its breaker's
 * `subscribing` call, except while it forwards downstream: what runs downstream (a `retry`, a `mergeMap`
 * starting calls) is not nested in it.
 */
class BreakerCall<T> implements OperatorHandlers<T> {
  /** Set until the first value once the source is subscribed; then values are forwarded directly. */
  next: ((value: T) => void) | undefined = this.onValue;
  private settled = false;
  /** The call delivered a value: an unsubscribe is then a success (DESIGN §2.4 rule 2). */
  private answered = false;
  /** Scheduler time of the first value; NaN when the call is not timed. */
  private answeredAt = NaN;
  /** Its source is being subscribed. */
  private subscribing = true;

  constructor(
    private readonly breaker: CircuitBreaker,
    private readonly ticket: number,
    private readonly startedAt: number,
    private readonly destination: Subscriber<T>,
    private readonly onFirstValue: boolean,
  ) {}

  /** Its source's subscribe has returned. */
  subscribed(): void {
    this.subscribing = false;
    if (this.answered) this.next = undefined;
  }

  private onValue(value: T): void {
    if (!this.answered) {
      this.answered = true;
      if (this.onFirstValue) {
        this.settled = true;
        this.breaker.succeed(this.ticket, this.startedAt);
      } else if (!Number.isNaN(this.startedAt)) {
        // Timed calls only: otherwise no clock is read per call.
        this.answeredAt = this.breaker.scheduler.now();
      }
    }
    if (!this.subscribing) {
      this.next = undefined;
      this.destination.next(value);
      return;
    }
    // Forwarded outside the window (rxjs delivers a downstream throw as an error, it does not throw here).
    const { breaker } = this;
    const outer = breaker.subscribing;
    breaker.subscribing = undefined;
    this.destination.next(value);
    breaker.subscribing = outer;
  }

  error(err: unknown): void {
    this.end(true, err);
  }

  complete(): void {
    this.end(false, undefined);
  }

  /**
   * Records the outcome (unless already settled at the first value), then forwards the end, outside the
   * window. A throw from `isFailure` errors the call with what it threw.
   */
  private end(errored: boolean, err: unknown): void {
    const { breaker } = this;
    const outer = breaker.subscribing;
    breaker.subscribing = undefined;
    let error = err;
    if (!this.settled) {
      this.settled = true;
      if (!errored) {
        breaker.succeed(this.ticket, this.startedAt);
      } else {
        try {
          breaker.fail(this.ticket, this.startedAt, err);
        } catch (thrown) {
          error = thrown;
        }
      }
    }
    if (errored) this.destination.error(error);
    else this.destination.complete();
    breaker.subscribing = outer;
  }

  finalize(): void {
    if (this.settled) return;
    this.settled = true;
    // Unsubscribed after a value (firstValueFrom, take(1), first()): the dependency answered, a success
    // timed to that value. Before any value: nothing, and the permit goes back.
    if (this.answered) this.breaker.succeed(this.ticket, this.startedAt, this.answeredAt);
    else this.breaker.release(this.ticket, this.startedAt);
  }
}
