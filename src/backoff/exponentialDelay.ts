import type { BackoffOptions } from './BackoffOptions';

/**
 * The un-jittered delay before retry `retry` (1-based): `min(maxDelay, initialDelay * multiplier^(retry - 1))`.
 * An `initialDelay` of 0 gives 0 at every retry (where `multiplier^(retry - 1)` overflows to `Infinity`,
 * `0 * Infinity` would be NaN); otherwise the growth saturates at `maxDelay`, or at `Infinity`.
 *
 * ```ts
 * exponentialDelay(3, { initialDelay: 100, multiplier: 2, maxDelay: 300 }); // 300 (400 capped)
 * ```
 */
export function exponentialDelay(retry: number, options: BackoffOptions): number {
  const { initialDelay, maxDelay, multiplier } = options;
  if (initialDelay === 0) return 0;
  return Math.min(maxDelay, initialDelay * multiplier ** (retry - 1));
}
