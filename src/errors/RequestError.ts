import { ResilienceError, tagOf } from './ResilienceError';

/**
 * Why a request could never have been sent as asked: `invalidUrl` (the URL does not parse),
 * `unsupportedScheme` (not `http:` or `https:`, such as `file:` or `ftp:`), `blockedPort` (a port
 * `fetch` refuses, such as 1 or 25), `redirectLoop` (more redirects than `fetch` follows, 20), or
 * `unsupportedRedirect` (a redirect to a `file:` or other non-HTTP(S) URL).
 */
export type RequestErrorReason =
  | 'invalidUrl'
  | 'unsupportedScheme'
  | 'invalidRequest'
  | 'blockedPort'
  | 'redirectLoop'
  | 'unsupportedRedirect';

/** What was wrong with the request. */
export interface RequestErrorInfo {
  readonly reason: RequestErrorReason;
  /** The URL requested, as given. */
  readonly url: string;
  /** The error the fetch implementation gave. */
  readonly cause: unknown;
}

const explain: Readonly<Record<RequestErrorReason, (url: string) => string>> = {
  invalidUrl: (url) => `${JSON.stringify(url)} is not a valid URL`,
  unsupportedScheme: (url) => `fetch cannot request ${url}: only http: and https: URLs are supported`,
  invalidRequest: (url) => `fetch refuses the request to ${url} as written (its method, headers or body)`,
  blockedPort: (url) => `fetch refuses the port of ${url}`,
  redirectLoop: (url) => `too many redirects from ${url}`,
  unsupportedRedirect: (url) => `${url} redirected to a URL that is not http: or https:`,
};

/**
 * Emitted by `fetchRequest` when the request itself is wrong, so that sending it again can never
 * succeed: a URL that does not parse, a `file:` or `ftp:` URL, a `RequestInit` `fetch` refuses (a GET
 * with a body, a header value with a newline, a bad or forbidden method, credentials in the URL), a port
 * `fetch` blocks, a redirect loop or a redirect to a non-HTTP(S) URL. A programming error, not a failure of the dependency: not transient
 * (`isTransient` is false), so retries and breakers leave it alone.
 */
export class RequestError extends ResilienceError<'RequestError', RequestErrorInfo> {
  /** The error the library emits for `info`, its message written from it (for tests and adapters). */
  constructor(info: RequestErrorInfo) {
    super('RequestError', `Request error: ${explain[info.reason](info.url)}`, info);
  }
}

/** True when `value` is a `RequestError` (from any copy of the package). */
export function isRequestError(value: unknown): value is RequestError {
  return tagOf(value) === 'RequestError';
}
