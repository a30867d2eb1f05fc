import type { BackoffDelay } from './BackoffDelay';
import type { BackoffOptions } from './BackoffOptions';
import { exponentialDelay } from './exponentialDelay';
import { fractionOf } from './fractionOf';

/**
 * Jitter `'equal'`: `d/2 + random() * d/2`, uniform in `[d/2, d)` with `d` the exponential delay. Keeps
 * at least half of the backoff while still spreading clients.
 */
export function equalJitter(options: BackoffOptions): BackoffDelay {
  return (retry, _previous, random) => {
    const half = exponentialDelay(retry, options) / 2;
    return half + fractionOf(random(), half);
  };
}
