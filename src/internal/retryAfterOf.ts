/**
 * The finite `info.retryAfter` an error carries, in ms (an `HttpStatusError` 429 or 503 with
 * `Retry-After`, a `RateLimitedError`, a `CircuitOpenError`), else 0: the least a retry of it should wait.
 * @internal
 */
export function retryAfterOf(error: unknown): number {
  if (typeof error !== 'object' || error === null) return 0;
  const info: unknown = (error as { info?: unknown }).info;
  if (typeof info !== 'object' || info === null) return 0;
  const retryAfter: unknown = (info as { retryAfter?: unknown }).retryAfter;
  return typeof retryAfter === 'number' && Number.isFinite(retryAfter) ? retryAfter : 0;
}
