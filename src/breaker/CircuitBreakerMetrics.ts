import type { CircuitState } from './CircuitState';

/**
 * A snapshot of a breaker, read with `CircuitBreaker.metrics()`. The outcome counts are those the breaker
 * decides on at that instant: the window's while closed, open or isolated (the window that opened the breaker
 * stays readable until it closes), and the current phase's probes while halfOpen.
 */
export interface CircuitBreakerMetrics {
  /** The state at the time of reading. */
  readonly state: CircuitState;
  /** Outcomes counted (successes and failures). */
  readonly calls: number;
  /** Failed outcomes counted. */
  readonly failures: number;
  /** Slow outcomes counted (a slow call may also be a failure). */
  readonly slowCalls: number;
  /** `failures / calls`, `0` when there are no calls. */
  readonly failureRate: number;
  /** `slowCalls / calls`, `0` when there are no calls. */
  readonly slowCallRate: number;
  /** Calls refused with `CircuitOpenError` since the breaker was created or last `reset()`. */
  readonly refusals: number;
  /** Calls admitted and not yet ended, whatever state admitted them. */
  readonly inFlight: number;
  /** Times the breaker opened since it last closed (`1` after the first opening). */
  readonly opening: number;
  /** Scheduler time the breaker last opened at; `undefined` while closed. */
  readonly openedAt: number | undefined;
  /** Milliseconds until a call can be admitted: `0` closed or halfOpen, `Infinity` isolated. */
  readonly retryAfter: number;
}
