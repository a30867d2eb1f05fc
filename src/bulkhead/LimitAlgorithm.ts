/**
 * An adaptive concurrency limit: Netflix concurrency-limits' `Limit` (`Limit.java`,
 * `AbstractLimit.java`), fed one sample per call that ended in a success or a drop (or, windowed, one
 * per window), and holding the limit as its own state.
 * @internal
 */
export interface LimitAlgorithm {
  /** The limit now: an integer in `[min, max]`. */
  readonly limit: number;
  /**
   * True when it reads latency (or the time of a window): the pool then reads the clock when a call
   * takes its slot and when it ends. AIMD without `slowCallDuration` or a window reads none.
   */
  readonly timed: boolean;
  /**
   * One sample: `rtt` ms from the call taking its slot to its end (`NaN` when not timed, or a window
   * without a success slow enough to time), `inflight` calls running when it took its slot (itself
   * included; a window's most), `drop` when it ended in a drop, `now` the scheduler time of its end
   * (`NaN` when not timed). Returns the limit after it.
   */
  update(rtt: number, inflight: number, drop: boolean, now: number): number;
}

/**
 * A latency below this (ms) says nothing: the call ended before a clock of millisecond resolution moved,
 * or synchronously in virtual time. Netflix's `WindowedLimit` drops samples under 100 µs
 * (`DEFAULT_MIN_RTT_THRESHOLD`); issue #176 reports what a zero latency does to a delay-based limit (it
 * reads as "no queue at all", and `rtt_noload` falls to zero).
 * @internal
 */
export const MIN_RTT = 0.1;

/**
 * Netflix's `Log10RootIntFunction`: `max(1, floor(log10(n)))` as an integer (1 for n < 10, 2 for
 * n < 100, ...): Vegas's step and thresholds. @internal
 */
export function log10Root(n: number): number {
  if (n < 100) return 1;
  // Math.log10 is exact on powers of ten in V8, so floor gives the digit count minus one.
  return Math.floor(Math.log10(Math.floor(n)));
}
