import type { BackoffDelay } from '../backoff/BackoffDelay';
import type { BackoffOptions } from '../backoff/BackoffOptions';
import { decorrelatedJitter } from '../backoff/decorrelatedJitter';
import { equalJitter } from '../backoff/equalJitter';
import { fullJitter } from '../backoff/fullJitter';
import { noJitter } from '../backoff/noJitter';
import type { RetryBudget } from '../budget/RetryBudget';
import { isTransient } from '../errors/isTransient';
import { describeValue } from './decodeConfig';
import { retryAfterOf } from './retryAfterOf';
import { MAX_TIMER_DELAY } from './TimerQueue';
import type { RetryBackoffConfig, RetryBackoffJitter } from '../operators/retryBackoff';

const STRATEGIES: Record<RetryBackoffJitter, (options: BackoffOptions) => BackoffDelay> = {
  none: noJitter,
  full: fullJitter,
  equal: equalJitter,
  decorrelated: decorrelatedJitter,
};

/**
 * The decisions of a retry (DESIGN §2.3), without an rxjs layer: whether to retry after an error, and how
 * long to wait first. `retryBackoff` asks them from rxjs `retry`'s `delay`, and a pipeline's fused call
 * asks them directly, so the two decide the same at the same points, with the same draws of `random`
 * (spec/properties/pipeline.property.spec.ts holds them together). The defaults of a retry config live
 * here.
 * @internal
 */
export class RetryPlan {
  readonly maxRetries: number;
  readonly resetOnSuccess: boolean;
  private readonly initialDelay: number;
  private readonly delayOf: BackoffDelay;
  private readonly shouldRetry: (error: unknown, retry: number) => boolean;
  private readonly random: () => number;
  /** The retry budget: each call deposits once, each retry is withdrawn (as `retryBackoff` does). */
  readonly budget: RetryBudget | undefined;

  /** `config` has been validated. */
  constructor(config: Omit<RetryBackoffConfig, 'scheduler'>) {
    const {
      maxRetries,
      initialDelay,
      maxDelay = Infinity,
      multiplier = 2,
      jitter = 'full',
      shouldRetry = isTransient,
      resetOnSuccess = false,
      random = Math.random,
      budget,
    } = config;
    this.budget = budget;
    this.maxRetries = maxRetries;
    this.resetOnSuccess = resetOnSuccess;
    this.initialDelay = initialDelay;
    this.delayOf = STRATEGIES[jitter]({ initialDelay, maxDelay, multiplier });
    this.shouldRetry = shouldRetry;
    this.random = random;
  }

  /**
   * The delay before retry `retry` (1-based) after `error`, given the delay waited before the previous
   * retry of the same call (`previous`, ignored for retry 1); `-1` when `shouldRetry` (by default
   * `isTransient`) says no or the budget refuses the retry (withdrawn when allowed). At least the error's
   * finite `info.retryAfter`, and at most 2^31 - 1 ms. Throws what `shouldRetry` throws, and a
   * `RangeError` for a draw of `random` outside [0, 1).
   */
  delay(error: unknown, retry: number, previous: number): number {
    if (!this.shouldRetry(error, retry)) return -1;
    if (this.budget !== undefined && !this.budget.tryWithdraw()) return -1;
    const before = retry === 1 ? this.initialDelay : previous;
    return Math.min(MAX_TIMER_DELAY, Math.max(this.delayOf(retry, before, this.draw), retryAfterOf(error)));
  }

  private readonly draw = (): number => {
    const r = this.random();
    if (!(r >= 0 && r < 1)) {
      throw new RangeError(`retryBackoff: random() must return a number in [0, 1), got ${describeValue(r)}`);
    }
    return r;
  };
}
