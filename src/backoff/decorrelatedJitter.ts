import type { BackoffDelay } from './BackoffDelay';
import type { BackoffOptions } from './BackoffOptions';
import { fractionOf } from './fractionOf';

/**
 * Jitter `'decorrelated'`: `min(maxDelay, initialDelay + random() * (3 * previous - initialDelay))`, with
 * `previous` the delay before the previous retry (`initialDelay` before the first). Each delay grows from
 * the last one drawn rather than from the retry number, so `multiplier` is not used.
 */
export function decorrelatedJitter(options: BackoffOptions): BackoffDelay {
  const { initialDelay, maxDelay } = options;
  return (_retry, previous, random) =>
    Math.min(maxDelay, initialDelay + fractionOf(random(), 3 * previous - initialDelay));
}
