import { ResilienceError, tagOf } from './ResilienceError';

/** The response that was not a success. */
export interface HttpStatusInfo {
  /** The HTTP status (`503`). */
  readonly status: number;
  readonly statusText: string;
  /** The URL of the response (after redirects). */
  readonly url: string;
  /**
   * `Retry-After` in milliseconds (from delay-seconds or an HTTP date, never negative), or `undefined`
   * when the response had none or it did not parse.
   */
  readonly retryAfter: number | undefined;
  /** The start of the response body (at most 1024 characters), for logs. */
  readonly body: string;
}

/** Emitted by `fetchRequest` when the response status is not a success (by default: not 2xx). */
export class HttpStatusError extends ResilienceError<'HttpStatusError', HttpStatusInfo> {
  /** The error the library emits for `info`, its message written from it (for tests and adapters). */
  constructor(info: HttpStatusInfo) {
    super(
      'HttpStatusError',
      `HTTP ${info.status}${info.statusText ? ` ${info.statusText}` : ''} from ${info.url}` +
        (info.retryAfter === undefined ? '' : ` (retry after ${info.retryAfter}ms)`),
      info,
    );
  }
}

/** True when `value` is an `HttpStatusError` (from any copy of the package). */
export function isHttpStatusError(value: unknown): value is HttpStatusError {
  return tagOf(value) === 'HttpStatusError';
}
