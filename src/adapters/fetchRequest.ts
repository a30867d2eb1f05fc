import { Observable } from 'rxjs';
import { config, fn, oneOf } from '../internal/codecs';
import { decodeConfig } from '../internal/decodeConfig';
import { HttpStatusError } from '../errors/HttpStatusError';
import { NetworkError } from '../errors/NetworkError';

/** How `fetchRequest` reads the response body into `FetchResult.body`. */
export type FetchBodyReader = 'text' | 'json' | 'bytes' | 'none';

/** Options of `fetchRequest` (the request itself is the standard `RequestInit`). */
export interface FetchRequestOptions {
  /** How to read the body: `'text'` (string), `'json'` (parsed), `'bytes'` (Uint8Array), `'none'` (discarded). @default 'text' */
  readonly read?: FetchBodyReader | undefined;
  /** Which statuses are a success; any other becomes an `HttpStatusError`. @default status in [200, 299] */
  readonly okStatus?: ((status: number) => boolean) | undefined;
  /** The `fetch` to call. @default globalThis.fetch */
  readonly fetch?: typeof fetch | undefined;
}

/** A successful response with its body read. */
export interface FetchResult<B = string> {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
  /** The URL of the response (after redirects). */
  readonly url: string;
  readonly body: B;
}

const optionsCodec = config(
  'FetchRequestOptions',
  {},
  { read: oneOf(['text', 'json', 'bytes', 'none']), okStatus: fn, fetch: fn },
);

const isOk = (status: number): boolean => status >= 200 && status <= 299;
const ERROR_BODY_LIMIT = 1024;

/**
 * A `fetch` as a cold Observable: each subscription sends one request, emits one `FetchResult` once the
 * body is read, and completes. Unsubscribing before that aborts the request (its own `AbortController`),
 * so `timeoutAfter`, `takeUntil` or a `switchMap` upstream really cancel it: the server sees the
 * connection close. A non-success status errors with `HttpStatusError` (status, `Retry-After` in ms); a
 * failure on the wire errors with `NetworkError` (`code`: `ECONNREFUSED`, `ECONNRESET`, ...); an abort
 * through `init.signal` errors with the signal's reason.
 *
 * ```text
 * subscribe  ^-------!          unsubscribed early: request aborted, nothing emitted
 * subscribe  ^-----------(r|)   r: FetchResult after the body was read
 * subscribe  ^----#             # HttpStatusError (status not 2xx) or NetworkError (refused, reset)
 * ```
 *
 * @example
 * fetchRequest('http://127.0.0.1:8080/api', { headers: { accept: 'application/json' } }, { read: 'json' }).pipe(
 *   timeoutAfter(500),
 *   retryBackoff({ maxRetries: 3, initialDelay: 100, shouldRetry: (e) => isHttpStatusError(e) && e.info.status === 503 }),
 * );
 * @throws {InvalidConfigError} when `options` is bad.
 */
export function fetchRequest<B = string>(
  input: string | URL | Request,
  init?: RequestInit,
  options: FetchRequestOptions = {},
): Observable<FetchResult<B>> {
  const {
    read = 'text',
    okStatus = isOk,
    fetch: fetchFn = globalThis.fetch,
  } = decodeConfig('fetchRequest', optionsCodec, options) as FetchRequestOptions;
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;

  return new Observable<FetchResult<B>>((subscriber) => {
    const controller = new AbortController();
    const signal =
      init?.signal != null ? AbortSignal.any([init.signal, controller.signal]) : controller.signal;
    let settled = false;
    let phase: 'request' | 'body' = 'request';

    const run = async (): Promise<FetchResult<B>> => {
      const response = await fetchFn(input, { ...init, signal });
      phase = 'body';
      if (!okStatus(response.status)) {
        const text = await readPrefix(response, ERROR_BODY_LIMIT);
        throw new HttpStatusError({
          status: response.status,
          statusText: response.statusText,
          url: response.url || url,
          retryAfter: parseRetryAfter(response.headers.get('retry-after')),
          body: text.slice(0, ERROR_BODY_LIMIT),
        });
      }
      const body = await readBody(response, read);
      return {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
        url: response.url || url,
        body: body as B,
      };
    };

    run().then(
      (result) => {
        settled = true;
        subscriber.next(result);
        subscriber.complete();
      },
      (err: unknown) => {
        settled = true;
        subscriber.error(toError(err, phase, url, signal));
      },
    );

    return () => {
      if (!settled) controller.abort();
    };
  });
}

/**
 * Reads at most about `limit` characters of an error body, then cancels the rest: a huge or endless
 * error page must not be held in memory only to keep its first kilobyte.
 */
async function readPrefix(response: Response, limit: number): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let done = false;
  try {
    while (!done && text.length < limit) {
      const chunk = await reader.read();
      done = chunk.done;
      if (chunk.value !== undefined) text += decoder.decode(chunk.value, { stream: !done });
    }
  } finally {
    if (!done) reader.cancel().catch(() => undefined);
  }
  return text.slice(0, limit);
}

async function readBody(response: Response, read: FetchBodyReader): Promise<unknown> {
  switch (read) {
    case 'text':
      return response.text();
    case 'json':
      return response.json();
    case 'bytes':
      return new Uint8Array(await response.arrayBuffer());
    case 'none':
      await response.body?.cancel();
      return undefined;
  }
}

/** Errors of our own (HTTP status) and aborts pass as they are; wire failures become `NetworkError`. */
function toError(err: unknown, phase: 'request' | 'body', url: string, signal: AbortSignal): unknown {
  if (err instanceof HttpStatusError || signal.aborted) return err;
  if (err instanceof SyntaxError) return err;
  if (err instanceof TypeError) return new NetworkError({ code: codeOf(err), phase, url, cause: err });
  return err;
}

/** The first `code` along the `cause` chain (undici puts the socket's error in `cause`). */
function codeOf(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** `Retry-After` as ms: delay-seconds, or an HTTP date relative to now; `undefined` when absent or bad. */
function parseRetryAfter(value: string | null): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - Date.now());
}
