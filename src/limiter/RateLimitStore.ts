import type { Observable } from 'rxjs';

/**
 * The constants of one {@link RateLimiter}, handed to its store with every decision (one object per
 * limiter, never one per call). A store decides by GCRA with `T = interval / limit`: see
 * {@link RateLimitStore.acquire}.
 */
export interface RateLimitRule {
  /** The limiter's name. */
  readonly name: string;
  /** Permits per `interval`. A positive integer. */
  readonly limit: number;
  /** ms. */
  readonly interval: number;
  /** Permits usable at once after a quiet spell. A positive integer. */
  readonly burst: number;
  /** ms a call may wait for its permit; finite. */
  readonly maxWait: number;
}

/**
 * A store's answer for one call, a plain number so that a synchronous store allocates nothing:
 *
 * - `0`: admitted at once (its permit taken);
 * - `w > 0`: its permit is reserved, and the call may start `w` ms from now (`w <= maxWait`: the
 *   limiter fails a call answered a longer wait, `Infinity` included, with a `TypeError`, as it fails
 *   one answered `NaN`, rather than hang it);
 * - `-r < 0`: refused, nothing taken; a permit could be had `r` ms from now (`r > maxWait`), the
 *   `retryAfter` of the `RateLimitedError`.
 */
export type RateLimitAnswer = number;

/**
 * Where a {@link RateLimiter} keeps its one number per key and makes its decisions: in this process
 * ({@link MemoryRateLimitStore}, the default) or shared between processes (a Redis store). The only
 * place where a decision may be asynchronous: `acquire` answers with a number at once, or with a
 * promise or an Observable of it later. The limiter never knows which.
 *
 * A store serves one limiter: its keys are that limiter's keys.
 */
export interface RateLimitStore {
  /**
   * Decides one call of `cost` permits against `key` at `now` (the limiter's scheduler time, ms), by
   * GCRA: with `tat` the key's stored time (absent: `now`) and `T = interval / limit`,
   * `next = max(tat, now) + T * cost`; admitted (`0`) when `next - T * burst <= now`, else the wait
   * `w = next - T * burst - now` is reserved (`w`) when `w <= maxWait`, else refused (`-w`). Admission
   * and reservation store `next` as the key's `tat`; a refusal changes nothing.
   *
   * A store that keeps its own clock (Redis's `TIME`) may decide on it instead of `now`. An
   * asynchronous answer is awaited by the limiter; a caller that leaves before it arrives does not
   * start, and whatever the store reserved for it stays reserved.
   */
  acquire(
    key: string,
    cost: number,
    rule: RateLimitRule,
    now: number,
  ): RateLimitAnswer | PromiseLike<RateLimitAnswer> | Observable<RateLimitAnswer>;
  /**
   * No call to `key` may be admitted before `now + ms`: `tat = max(tat, now + ms + T * (burst - 1))`.
   * Fire and forget: a store that fails to record it must not throw.
   */
  penalize(key: string, ms: number, rule: RateLimitRule, now: number): void;
  /** Keys this store holds in this process, when it holds them here (`undefined` otherwise). */
  readonly size?: number | undefined;
}
