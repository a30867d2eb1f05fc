import {
  isBulkheadRejectedError,
  isCircuitOpenError,
  isHttpStatusError,
  isNetworkError,
  isTimeoutExceededError,
} from '../../src/index';

/**
 * One short phrase per error, for the demo's lines: `HttpStatusError 503`, `NetworkError ECONNRESET`,
 * `TimeoutExceededError (total 200ms)`, `CircuitOpenError (open, retry after 250ms)`,
 * `BulkheadRejectedError (full)`.
 */
export function describeError(error: unknown): string {
  if (isHttpStatusError(error)) return `${error.name} ${error.info.status}`;
  if (isNetworkError(error)) return `${error.name} ${error.info.code ?? 'unknown'}`;
  if (isTimeoutExceededError(error)) return `${error.name} (${error.info.limit} ${error.info.after}ms)`;
  if (isCircuitOpenError(error)) {
    return `${error.name} (${error.info.state}, retry after ${Math.round(error.info.retryAfter)}ms)`;
  }
  if (isBulkheadRejectedError(error)) return `${error.name} (${error.info.reason})`;
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
