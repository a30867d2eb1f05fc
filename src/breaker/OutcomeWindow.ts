/**
 * What a window strategy of `CircuitBreaker` keeps: running sums of the outcomes it holds, updated in O(1)
 * per outcome, in memory bounded by the window (never by the call rate).
 */
export interface OutcomeWindow {
  /** Outcomes in the window (successes and failures). */
  readonly calls: number;
  /** Failed outcomes in the window. */
  readonly failures: number;
  /** Slow outcomes in the window (a slow call may also be a failure). */
  readonly slowCalls: number;
  /** Adds one outcome, ended at scheduler time `now`. */
  record(failed: boolean, slow: boolean, now: number): void;
  /** Drops the outcomes that left the window by scheduler time `now` (a no-op for a count window). */
  advance(now: number): void;
  /** Empties the window. */
  clear(): void;
  /** The window's content as plain data (see `CircuitBreakerSnapshot`). */
  toJSON(): OutcomeWindowSnapshot;
}

/** Serialised content of a window. */
export type OutcomeWindowSnapshot =
  | {
      readonly type: 'count';
      /**
       * Outcomes, oldest first, each coded `failed | (slow << 1)`: 0 success, 1 failure, 2 slow success,
       * 3 slow failure.
       */
      readonly outcomes: ReadonlyArray<number>;
    }
  | {
      readonly type: 'time';
      /** Milliseconds per bucket. */
      readonly bucketDuration: number;
      /** Non-empty buckets, oldest first; `epoch` is `floor(time / bucketDuration)`. */
      readonly buckets: ReadonlyArray<{
        readonly epoch: number;
        readonly calls: number;
        readonly failures: number;
        readonly slowCalls: number;
      }>;
    };
