import { ResilienceError, tagOf } from './ResilienceError';

/** What `timeoutAfter` knew when its limit expired. */
export interface TimeoutExceededInfo {
  /** Which limit expired. When `each` bounds the first value and expires, this is `'each'`. */
  readonly limit: 'first' | 'each' | 'total';
  /** The limit that expired, in milliseconds. */
  readonly after: number;
  /** How many values the source had emitted. */
  readonly seen: number;
  /** The `meta` given in the operator's config. */
  readonly meta: unknown;
}

/** Emitted by `timeoutAfter` when a limit expires and no `with` fallback is given. */
export class TimeoutExceededError extends ResilienceError<'TimeoutExceededError', TimeoutExceededInfo> {
  /** The error the library emits for `info`, its message written from it (for tests and adapters). */
  constructor(info: TimeoutExceededInfo) {
    super(
      'TimeoutExceededError',
      `Timeout exceeded: no ${describe(info.limit)} within ${info.after}ms (after ${info.seen} value${info.seen === 1 ? '' : 's'})`,
      info,
    );
  }
}

function describe(limit: TimeoutExceededInfo['limit']): string {
  switch (limit) {
    case 'first':
      return 'first value';
    case 'each':
      return 'value';
    case 'total':
      return 'completion';
  }
}

/** True when `value` is a `TimeoutExceededError` (from any copy of the package). */
export function isTimeoutExceededError(value: unknown): value is TimeoutExceededError {
  return tagOf(value) === 'TimeoutExceededError';
}
