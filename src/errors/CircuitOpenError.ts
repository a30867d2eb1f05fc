import { ResilienceError, tagOf } from './ResilienceError';

/** Why a circuit breaker refused a call. */
export interface CircuitOpenInfo {
  /** The breaker's `name`. */
  readonly breaker: string;
  /** The state that refused the call. */
  readonly state: 'open' | 'halfOpen' | 'isolated';
  /** Milliseconds until a probe can be admitted; `Infinity` while isolated, `0` in halfOpen. */
  readonly retryAfter: number;
}

/** Emitted at subscribe time by `circuitBreaker` when its breaker refuses the call. */
export class CircuitOpenError extends ResilienceError<'CircuitOpenError', CircuitOpenInfo> {
  /** The error the library emits for `info`, its message written from it (for tests and adapters). */
  constructor(info: CircuitOpenInfo) {
    super(
      'CircuitOpenError',
      `Circuit breaker "${info.breaker}" is ${info.state}: call refused` +
        (info.state === 'isolated' ? '' : ` (retry after ${info.retryAfter}ms)`),
      info,
    );
  }
}

/** True when `value` is a `CircuitOpenError` (from any copy of the package). */
export function isCircuitOpenError(value: unknown): value is CircuitOpenError {
  return tagOf(value) === 'CircuitOpenError';
}
