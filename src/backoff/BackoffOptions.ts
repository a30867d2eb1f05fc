/** The exponential schedule every jitter strategy starts from. */
export interface BackoffOptions {
  /** Delay before retry 1, in ms. */
  readonly initialDelay: number;
  /** Upper bound of every delay, in ms (`Infinity` for none). */
  readonly maxDelay: number;
  /** Growth factor from one retry to the next (>= 1). */
  readonly multiplier: number;
}
