import type { CircuitState } from './CircuitState';

/** Why a breaker changed state. */
export type CircuitTransitionReason =
  /** Closed: the window's failure rate reached `failureRateThreshold`. */
  | 'failureRate'
  /** Closed: the window's slow-call rate reached `slowCallRateThreshold`. */
  | 'slowCallRate'
  /** HalfOpen: every probe had its outcome (the breaker closes or opens again). */
  | 'probes'
  /** Open: `openDuration` elapsed. */
  | 'openDuration'
  /** HalfOpen: `maxHalfOpenDuration` elapsed without a decision. */
  | 'maxHalfOpenDuration'
  /** `isolate()` was called. */
  | 'isolate'
  /** `reset()` was called. */
  | 'reset'
  /** The breaker was restored from a snapshot (`CircuitBreaker.fromJSON`). */
  | 'restore';

/**
 * What `CircuitBreaker.events$` emits. Every event carries `at`, the scheduler time it happened at.
 * Outcomes carry `counted: false` when the call was admitted before the breaker's last transition: such an
 * outcome is reported here and nowhere else (it moves neither the state nor any window).
 */
export type CircuitBreakerEvent =
  /** A call was admitted (subscribed upstream). */
  | { readonly type: 'admit'; readonly at: number; readonly state: 'closed' | 'halfOpen' }
  /** A call was refused with `CircuitOpenError` (never subscribed upstream). */
  | {
      readonly type: 'refuse';
      readonly at: number;
      readonly state: 'open' | 'halfOpen' | 'isolated';
      /** As in `CircuitOpenError.info`. */
      readonly retryAfter: number;
    }
  /** A call succeeded: its source completed (or, with `successOn: 'firstValue'`, emitted). */
  | {
      readonly type: 'success';
      readonly at: number;
      /**
       * Milliseconds from subscribe to the outcome; `NaN` for a call admitted while `events$` was not
       * observed and slow-call timing was off (no clock is read for such calls).
       */
      readonly duration: number;
      readonly slow: boolean;
      readonly counted: boolean;
    }
  /** A call failed with an error `isFailure` accepted. */
  | {
      readonly type: 'failure';
      readonly at: number;
      readonly duration: number;
      readonly slow: boolean;
      readonly counted: boolean;
      readonly error: unknown;
    }
  /** A call errored with an error `isFailure` rejected: recorded as nothing, its permit given back. */
  | { readonly type: 'ignore'; readonly at: number; readonly duration: number; readonly error: unknown }
  /** A call was unsubscribed before its outcome: recorded as nothing, its permit given back. */
  | { readonly type: 'cancel'; readonly at: number; readonly duration: number }
  /** The state changed. */
  | {
      readonly type: 'transition';
      readonly at: number;
      readonly from: CircuitState;
      readonly to: CircuitState;
      readonly reason: CircuitTransitionReason;
    }
  /** `reset()` was called (also when the breaker was already closed: its window was cleared). */
  | { readonly type: 'reset'; readonly at: number }
  /**
   * The `openDuration` function threw, or returned something other than a number (NaN included), when
   * the breaker opened: it stays open for `fallback` ms (the default `openDuration`) instead. Reported just
   * before the transition to open.
   */
  | {
      readonly type: 'openDurationError';
      readonly at: number;
      /** The opening count the function was called with. */
      readonly opening: number;
      /** What it threw, or a `TypeError` naming what it returned. */
      readonly error: unknown;
      /** Milliseconds the breaker stays open instead. */
      readonly fallback: number;
    };
