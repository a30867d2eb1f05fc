import type { BackoffDelay } from './BackoffDelay';
import type { BackoffOptions } from './BackoffOptions';
import { exponentialDelay } from './exponentialDelay';

/**
 * Jitter `'none'`: exactly the exponential delay `d = min(maxDelay, initialDelay * multiplier^(retry - 1))`.
 * Predictable, but clients that failed together retry together.
 */
export function noJitter(options: BackoffOptions): BackoffDelay {
  return (retry) => exponentialDelay(retry, options);
}
