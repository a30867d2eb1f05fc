import { isHttpStatusError } from './HttpStatusError';
import { isInvalidConfigError } from './InvalidConfigError';
import { isRefusal } from './isRefusal';
import { isRequestError } from './RequestError';

/**
 * True when another attempt may succeed: the default of `retryBackoff`'s `shouldRetry`, the breaker's
 * `isFailure` and `hedge`'s `shouldHedge`.
 *
 * False for a local refusal ({@link isRefusal}), an `InvalidConfigError`, a `RequestError` (a URL that
 * does not parse, a `file:` URL, a redirect loop: `fetchRequest`'s programming errors), and an
 * `HttpStatusError` with a 4xx status other than 408 (Request Timeout), 425 (Too Early) and 429 (Too Many
 * Requests): the caller's request is wrong, and sending it again will not change that. True for everything else: timeouts,
 * network errors, 5xx, 408, 425, 429, injected faults, and errors this library does not know.
 * Checks `_tag`, so it works across two copies of the package.
 *
 * @example
 * ```ts
 * retryBackoff({ maxRetries: 3, initialDelay: 100, shouldRetry: (e) => isTransient(e) && !isMyAppError(e) })
 * ```
 */
export function isTransient(error: unknown): boolean {
  if (isRefusal(error) || isInvalidConfigError(error) || isRequestError(error)) return false;
  if (!isHttpStatusError(error)) return true;
  const status = (error.info as { status?: unknown } | undefined)?.status;
  if (typeof status !== 'number' || status < 400 || status >= 500) return true;
  return status === 408 || status === 425 || status === 429;
}
