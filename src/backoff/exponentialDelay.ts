import type { BackoffOptions } from './BackoffOptions';

/**
 * The un-jittered delay before retry `retry` (1-based): `min(maxDelay, initialDelay * multiplier^(retry - 1))`.
 *
 * ```ts
 * exponentialDelay(3, { initialDelay: 100, multiplier: 2, maxDelay: 300 }); // 300 (400 capped)
 * ```
 */
export function exponentialDelay(retry: number, options: BackoffOptions): number {
  return Math.min(options.maxDelay, options.initialDelay * options.multiplier ** (retry - 1));
}
