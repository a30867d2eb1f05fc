import { tagOf } from './ResilienceError';

const REFUSALS: ReadonlySet<unknown> = new Set([
  'CircuitOpenError',
  'BulkheadRejectedError',
  'RateLimitedError',
  'BufferOverflowError',
]);

/**
 * True when `error` is a local refusal by one of this library's policies (`CircuitOpenError`,
 * `BulkheadRejectedError`, `RateLimitedError`, `BufferOverflowError`): the dependency was never called,
 * so the refusal says nothing about its health and another attempt right away would be refused too.
 * Checks `_tag`, so it works across two copies of the package.
 */
export function isRefusal(error: unknown): boolean {
  return REFUSALS.has(tagOf(error));
}
