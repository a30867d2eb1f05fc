import type { BackoffDelay } from './BackoffDelay';
import type { BackoffOptions } from './BackoffOptions';
import { exponentialDelay } from './exponentialDelay';
import { fractionOf } from './fractionOf';

/**
 * Jitter `'full'`: `random() * d`, uniform in `[0, d)` with `d` the exponential delay. Spreads clients
 * that failed together the most; a retry may come almost at once.
 */
export function fullJitter(options: BackoffOptions): BackoffDelay {
  return (retry, _previous, random) => fractionOf(random(), exponentialDelay(retry, options));
}
