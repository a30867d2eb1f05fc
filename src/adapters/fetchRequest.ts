import { Observable } from 'rxjs';
import { config, fn, oneOf } from '../internal/codecs';
import { decodeConfig } from '../internal/decodeConfig';
import { HttpStatusError } from '../errors/HttpStatusError';
import { NetworkError } from '../errors/NetworkError';
import { RequestError, type RequestErrorReason } from '../errors/RequestError';

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
 * failure on the wire errors with `NetworkError` (`code`: `ECONNREFUSED`, `ECONNRESET`, ...); a request
 * that is wrong in itself (a URL that does not parse, a `file:` or `ftp:` URL, a `RequestInit` no
 * `fetch` accepts such as a GET with a body, a blocked port, a redirect loop or a redirect to `file:`)
 * errors with `RequestError`, which is not transient; a throw from `okStatus` errors with what it threw;
 * an abort through `init.signal` errors with the signal's reason (the call listens to `init.signal` only
 * while it runs, so a long-lived signal costs nothing per call).
 *
 * ```text
 * subscribe  ^-------!          unsubscribed early: request aborted, nothing emitted
 * subscribe  ^-----------(r|)   r: FetchResult after the body was read
 * subscribe  ^----#             # HttpStatusError (status not 2xx), NetworkError (refused, reset) or RequestError (bad URL)
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
    // Our own controller, fed by the caller's signal through one listener that is removed when the call
    // ends: `AbortSignal.any` would tie every call to a long-lived caller signal for good.
    const controller = new AbortController();
    const { signal } = controller;
    const caller = init?.signal ?? undefined;
    const forward = (): void => controller.abort(caller!.reason);
    if (caller?.aborted) forward();
    else caller?.addEventListener('abort', forward);
    let settled = false;
    const settle = (): void => {
      settled = true;
      caller?.removeEventListener('abort', forward);
    };

    const run = async (): Promise<FetchResult<B>> => {
      let response: Response;
      try {
        response = await fetchFn(input, { ...init, signal });
      } catch (err) {
        throw fetchFailure(err, 'request', url, signal, init);
      }
      let ok: boolean;
      try {
        ok = okStatus(response.status);
      } catch (err) {
        // A throw from the caller's own callback is theirs: it errors the call as it is.
        response.body?.cancel().catch(() => undefined);
        throw err;
      }
      let body: unknown;
      try {
        body = await (ok ? readBody(response, read) : readPrefix(response, ERROR_BODY_LIMIT));
      } catch (err) {
        throw fetchFailure(err, 'body', url, signal);
      }
      if (!ok) {
        throw new HttpStatusError({
          status: response.status,
          statusText: response.statusText,
          url: response.url || url,
          retryAfter: parseRetryAfter(response.headers.get('retry-after')),
          body: (body as string).slice(0, ERROR_BODY_LIMIT),
        });
      }
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
        settle();
        subscriber.next(result);
        subscriber.complete();
      },
      (err: unknown) => {
        settle();
        subscriber.error(err);
      },
    );

    return () => {
      if (settled) return;
      settle();
      controller.abort();
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

/**
 * What a failure of `fetch` (or of reading the body) becomes: an abort passes as it is (the signal's
 * reason); a `TypeError` is a `RequestError` when the request itself was wrong, else a `NetworkError`;
 * anything else (a `SyntaxError` from `read: 'json'`) passes as it is.
 */
function fetchFailure(
  err: unknown,
  phase: 'request' | 'body',
  url: string,
  signal: AbortSignal,
  init?: RequestInit,
): unknown {
  if (signal.aborted || !(err instanceof TypeError)) return err;
  const reason = requestErrorReason(err, url) ?? (phase === 'request' ? refusedInit(url, init) : undefined);
  if (reason !== undefined) return new RequestError({ reason, url, cause: err });
  return new NetworkError({ code: codeOf(err), phase, url, cause: err });
}

/**
 * `'invalidRequest'` when `fetch` would refuse to build the request at all (a GET with a body, a header
 * value with a newline, a bad or forbidden method, credentials in the URL, a stream body without
 * `duplex`): the `Request` constructor checks what every `fetch` checks first, in any runtime. Run only
 * once a call failed, so a call that succeeds builds nothing more.
 */
function refusedInit(url: string, init: RequestInit | undefined): RequestErrorReason | undefined {
  try {
    // Without the signal and with the body's stream untouched: only the request's shape is checked.
    new Request(url, { ...init, signal: null });
    return undefined;
  } catch (err) {
    return err instanceof TypeError ? 'invalidRequest' : undefined;
  }
}

/** undici's messages (Node's `fetch`) for requests it refuses, in the `cause` of its `TypeError`. */
const refusals: ReadonlyArray<[message: string, reason: RequestErrorReason]> = [
  ['redirect count exceeded', 'redirectLoop'],
  ['URL scheme must be a HTTP(S) scheme', 'unsupportedRedirect'],
  ['bad port', 'blockedPort'],
];

/**
 * Why the request itself was wrong, or `undefined` for a failure on the wire. The URL is checked here
 * (it does not parse, even against the page's address in a browser; its scheme is not HTTP(S)); redirect
 * loops, redirects to `file:` and blocked ports only show in undici's messages, so a browser, whose
 * `fetch` says only "Failed to fetch", reports them as `NetworkError`.
 */
function requestErrorReason(err: TypeError, url: string): RequestErrorReason | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url, (globalThis as { location?: { href?: string } }).location?.href);
  } catch {
    return 'invalidUrl';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'unsupportedScheme';
  const cause = (err as { cause?: unknown }).cause;
  const message = cause instanceof Error ? cause.message : undefined;
  return refusals.find(([text]) => text === message)?.[1];
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
