import { ResilienceError, tagOf } from './ResilienceError';

/** Why a rate limiter refused a call. */
export interface RateLimitedInfo {
  /** The limiter's `name`. */
  readonly limiter: string;
  /** The key the call was counted against (`''` when the limiter is not keyed). */
  readonly key: string;
  /** Milliseconds until a permit could be had for this call (its cost included). */
  readonly retryAfter: number;
}

/** Emitted at subscribe time by `rateLimit` when its limiter refuses the call. */
export class RateLimitedError extends ResilienceError<'RateLimitedError', RateLimitedInfo> {
  /** The error the library emits for `info`, its message written from it (for tests and adapters). */
  constructor(info: RateLimitedInfo) {
    super(
      'RateLimitedError',
      `Rate limiter "${info.limiter}" refused a call${info.key === '' ? '' : ` for key "${info.key}"`}` +
        ` (retry after ${info.retryAfter}ms)`,
      info,
    );
  }
}

/** True when `value` is a `RateLimitedError` (from any copy of the package). */
export function isRateLimitedError(value: unknown): value is RateLimitedError {
  return tagOf(value) === 'RateLimitedError';
}
