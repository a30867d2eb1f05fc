import { HttpStatusError, type HttpStatusInfo } from '../errors/HttpStatusError';
import { NetworkError, type NetworkErrorInfo } from '../errors/NetworkError';

/** Where the errors of the fakes say they came from, unless told otherwise. */
const FAKE_URL = 'http://fake.invalid/';

/** Reason phrases of the statuses a resilience test meets most (RFC 9110, RFC 6585, RFC 8470). */
const STATUS_TEXT: { readonly [status: number]: string } = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  409: 'Conflict',
  425: 'Too Early',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/**
 * An `HttpStatusError` as `fetchRequest` would emit it, from its status alone: the other fields get
 * fixed defaults (the status's reason phrase, the URL `http://fake.invalid/`, no `retryAfter`, an empty
 * body), or what `info` gives. Two built from the same arguments are deeply equal, so a marble test
 * can script a fake with one and expect the other: `toBe('-#', undefined, fakeHttpStatusError(503))`.
 *
 * @example
 * const api = fakeDependency(helpers, ['-5', '-a|'], { errors: { 5: fakeHttpStatusError(503) } });
 */
export function fakeHttpStatusError(status: number, info: Partial<HttpStatusInfo> = {}): HttpStatusError {
  return new HttpStatusError({
    status,
    statusText: STATUS_TEXT[status] ?? '',
    url: FAKE_URL,
    retryAfter: undefined,
    body: '',
    ...info,
  });
}

/**
 * A `NetworkError` as `fetchRequest` would emit it, from its code alone (`'ECONNRESET'` by default):
 * `phase: 'request'`, the URL `http://fake.invalid/`, no `cause`, or what `info` gives. Two built from the
 * same arguments are deeply equal.
 *
 * @example
 * const api = fakeDependency(helpers, ['-n', '-a|'], { errors: { n: fakeNetworkError('ECONNREFUSED') } });
 */
export function fakeNetworkError(
  code: string | undefined = 'ECONNRESET',
  info: Partial<NetworkErrorInfo> = {},
): NetworkError {
  return new NetworkError({ code, phase: 'request', url: FAKE_URL, cause: undefined, ...info });
}
