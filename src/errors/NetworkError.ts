import { ResilienceError, tagOf } from './ResilienceError';

/** What failed on the wire. */
export interface NetworkErrorInfo {
  /**
   * The system or client error code from the cause chain: `ECONNREFUSED` (nothing listens), `ECONNRESET`
   * (reset by peer), `UND_ERR_SOCKET` (the other side closed), `ENOTFOUND`, ...; `undefined` when none.
   */
  readonly code: string | undefined;
  /** `'request'`: before a response arrived; `'body'`: while its body was being read (a cut-off body). */
  readonly phase: 'request' | 'body';
  /** The URL requested. */
  readonly url: string;
  /** The error the fetch implementation gave. */
  readonly cause: unknown;
}

/** Emitted by `fetchRequest` when the request fails below HTTP: refused, reset, closed mid-body. */
export class NetworkError extends ResilienceError<'NetworkError', NetworkErrorInfo> {
  /** The error the library emits for `info`, its message written from it (for tests and adapters). */
  constructor(info: NetworkErrorInfo) {
    super(
      'NetworkError',
      `Network error${info.code === undefined ? '' : ` ${info.code}`} ${info.phase === 'body' ? 'while reading the body of' : 'requesting'} ${info.url}`,
      info,
    );
  }
}

/** True when `value` is a `NetworkError` (from any copy of the package). */
export function isNetworkError(value: unknown): value is NetworkError {
  return tagOf(value) === 'NetworkError';
}
