import { expect } from 'chai';
import { getEventListeners } from 'events';
import * as http from 'http';
import type { AddressInfo } from 'net';
import { firstValueFrom, lastValueFrom, toArray, type Observable } from 'rxjs';
import {
  HttpStatusError,
  NetworkError,
  RequestError,
  fetchRequest,
  isHttpStatusError,
  isInvalidConfigError,
  isNetworkError,
  isRequestError,
  isResilienceError,
  isTransient,
  type FetchResult,
  type RequestErrorReason,
} from '../../src/index';
import { startFaultServer, type FaultServer } from '../../src/testing/index';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function errorOf(source: Observable<unknown>): Promise<unknown> {
  try {
    await lastValueFrom(source);
  } catch (err) {
    return err;
  }
  throw new Error('expected the observable to error');
}

/** A loopback server that redirects `/loop` to itself and `/file` to a `file:` URL. */
async function startRedirector(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const to = req.url === '/loop' ? '/loop' : req.url === '/file' ? 'file:///etc/passwd' : undefined;
    if (to === undefined) res.writeHead(404).end();
    else res.writeHead(302, { location: to }).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('fetchRequest', function () {
  this.timeout(10_000);
  let server: FaultServer;

  beforeEach(async () => {
    server = await startFaultServer();
  });

  afterEach(async () => {
    await server.close();
  });

  it('should emit one result with the body read as text, then complete', async () => {
    const results = await lastValueFrom(fetchRequest(server.urlOf('/ok')).pipe(toArray()));
    expect(results).to.have.length(1);
    const [result] = results as [FetchResult];
    expect([result.status, result.body, result.url]).to.deep.equal([200, 'ok', server.urlOf('/ok')]);
    expect(result.headers.get('content-type')).to.equal('text/plain');
  });

  it('should read json, bytes or nothing as asked', async () => {
    const json = await firstValueFrom(
      fetchRequest<number>(server.urlOf('/ok', { size: 0 }), undefined, { read: 'none' }),
    );
    expect(json.body).to.equal(undefined);
    const bytes = await firstValueFrom(
      fetchRequest<Uint8Array>(server.urlOf('/ok', { size: 3 }), undefined, { read: 'bytes' }),
    );
    expect(Array.from(bytes.body)).to.deep.equal([120, 120, 120]);
    const parsed = await firstValueFrom(
      fetchRequest<string>(server.urlOf('/status', { code: 200 }), undefined, { read: 'json' }),
    ).catch((e: unknown) => e);
    expect(parsed).to.be.instanceOf(SyntaxError);
  });

  it('should not send anything until subscribed, and send once per subscription', async () => {
    const request = fetchRequest(server.urlOf('/ok'));
    await sleep(20);
    expect(server.stats().requests).to.equal(0);
    const [a, b] = await Promise.all([firstValueFrom(request), firstValueFrom(request)]);
    expect([a.body, b.body]).to.deep.equal(['ok', 'ok']);
    expect(server.stats('/ok').requests).to.equal(2);
  });

  it('should error with HttpStatusError carrying status, Retry-After in ms and the body', async () => {
    const error = await errorOf(fetchRequest(server.urlOf('/burst', { n: 1, retryAfter: 2 })));
    expect(error).to.be.instanceOf(HttpStatusError);
    expect(isHttpStatusError(error) && isResilienceError(error)).to.equal(true);
    const { info, message } = error as HttpStatusError;
    expect(info).to.deep.equal({
      status: 503,
      statusText: 'Service Unavailable',
      url: server.urlOf('/burst', { n: 1, retryAfter: 2 }),
      retryAfter: 2000,
      body: 'burst 1/1',
    });
    expect(message).to.equal(`HTTP 503 Service Unavailable from ${info.url} (retry after 2000ms)`);
  });

  it('should keep only the first 1024 characters of an error body and cancel the rest of it', async () => {
    let pulled = 0;
    let cancelled = false;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new TextEncoder().encode('x'.repeat(100)));
      },
      cancel() {
        cancelled = true;
      },
    });
    const fetch = async () => new Response(endless, { status: 503 });
    const error = await errorOf(fetchRequest('http://127.0.0.1:1/endless', undefined, { fetch }));
    expect(isHttpStatusError(error) && error.info.status).to.equal(503);
    expect((error as HttpStatusError).info.body).to.equal('x'.repeat(1024));
    expect(cancelled).to.equal(true);
    expect(pulled).to.be.below(20);
  });

  it('should accept the statuses okStatus allows', async () => {
    const notFound = await firstValueFrom(
      fetchRequest(server.urlOf('/status', { code: 404 }), undefined, { okStatus: (s) => s === 404 }),
    );
    expect([notFound.status, notFound.body]).to.deep.equal([404, 'status 404']);
    const created = await errorOf(
      fetchRequest(server.urlOf('/status', { code: 201 }), undefined, { okStatus: (s) => s === 200 }),
    );
    expect((created as HttpStatusError).info.retryAfter).to.equal(undefined);
  });

  it('should parse Retry-After given as an HTTP date', async () => {
    const inFiveSeconds = new Date(Date.now() + 5000).toUTCString();
    const stub: typeof fetch = async () =>
      new Response('busy', { status: 503, headers: { 'retry-after': inFiveSeconds } });
    const error = (await errorOf(
      fetchRequest('http://127.0.0.1:1/x', undefined, { fetch: stub }),
    )) as HttpStatusError;
    expect(error.info.retryAfter).to.be.within(3000, 5000);
    const garbage: typeof fetch = async () =>
      new Response('', { status: 503, headers: { 'retry-after': 'soon' } });
    const other = (await errorOf(
      fetchRequest('http://127.0.0.1:1/x', undefined, { fetch: garbage }),
    )) as HttpStatusError;
    expect(other.info.retryAfter).to.equal(undefined);
  });

  it('should error with NetworkError on refused, reset and closed connections', async () => {
    // A reset once the response has begun may reach undici as a close ("other side closed"): both are
    // what a client sees of a cut-off body, so either code is right there.
    const cut = ['ECONNRESET', 'UND_ERR_SOCKET'];
    const cases: Array<[string, string[], 'request' | 'body']> = [
      [server.refusedUrl, ['ECONNREFUSED'], 'request'],
      [server.urlOf('/reset'), ['ECONNRESET'], 'request'],
      [server.urlOf('/close'), ['UND_ERR_SOCKET'], 'request'],
      [server.urlOf('/reset-mid-body'), cut, 'body'],
    ];
    for (const [url, codes, phase] of cases) {
      const error = await errorOf(fetchRequest(url));
      expect(isNetworkError(error), url).to.equal(true);
      const { info } = error as NetworkError;
      expect(info, url).to.include({ phase, url });
      expect(codes, url).to.include(info.code);
      const code = info.code!;
      expect((error as NetworkError).message).to.equal(
        `Network error ${code} ${phase === 'body' ? 'while reading the body of' : 'requesting'} ${url}`,
      );
    }
  });

  it('should error with RequestError, not NetworkError, when the request itself is wrong', async () => {
    const redirector = await startRedirector();
    try {
      const cases: Array<[string, RequestErrorReason, string]> = [
        ['http://[bad/', 'invalidUrl', 'Request error: "http://[bad/" is not a valid URL'],
        ['/relative', 'invalidUrl', 'Request error: "/relative" is not a valid URL'],
        [
          'file:///etc/passwd',
          'unsupportedScheme',
          'Request error: fetch cannot request file:///etc/passwd: only http: and https: URLs are supported',
        ],
        [
          'ftp://127.0.0.1/x',
          'unsupportedScheme',
          'Request error: fetch cannot request ftp://127.0.0.1/x: only http: and https: URLs are supported',
        ],
        [
          'http://127.0.0.1:1/',
          'blockedPort',
          'Request error: fetch refuses the port of http://127.0.0.1:1/',
        ],
        [
          `${redirector.url}/loop`,
          'redirectLoop',
          `Request error: too many redirects from ${redirector.url}/loop`,
        ],
        [
          `${redirector.url}/file`,
          'unsupportedRedirect',
          `Request error: ${redirector.url}/file redirected to a URL that is not http: or https:`,
        ],
      ];
      for (const [url, reason, message] of cases) {
        const error = await errorOf(fetchRequest(url));
        expect(error, url).to.be.instanceOf(RequestError);
        expect([isRequestError(error), isNetworkError(error), isTransient(error)], url).to.deep.equal([
          true,
          false,
          false,
        ]);
        const { info } = error as RequestError;
        expect([info.reason, info.url, (error as Error).message], url).to.deep.equal([reason, url, message]);
        expect(info.cause, url).to.be.instanceOf(TypeError);
      }
    } finally {
      await redirector.close();
    }
  });

  it('should error with RequestError invalidRequest, not a transient NetworkError, for a RequestInit fetch refuses', async () => {
    const url = server.urlOf('/ok');
    const cases: Array<[string, RequestInit]> = [
      ['a GET with a body', { method: 'GET', body: 'x' }],
      ['a header value with a newline', { headers: { 'x-id': 'a\nb' } }],
      ['a method that is no token', { method: 'GE T' }],
      ['a forbidden method', { method: 'CONNECT' }],
      ['a redirect mode of no kind', { redirect: 'sideways' as never }],
      ['a stream body without duplex', { method: 'POST', body: new ReadableStream() }],
    ];
    for (const [what, init] of cases) {
      const error = await errorOf(fetchRequest(url, init));
      // Each used to be NetworkError (code undefined): transient, so retried and counted by breakers.
      expect([isRequestError(error), isTransient(error)], what).to.deep.equal([true, false]);
      const { info } = error as RequestError;
      expect([info.reason, info.url, (error as Error).message], what).to.deep.equal([
        'invalidRequest',
        url,
        `Request error: fetch refuses the request to ${url} as written (its method, headers or body)`,
      ]);
      expect(info.cause, what).to.be.instanceOf(TypeError);
    }
    expect(server.stats('/ok').requests, 'none was sent').to.equal(0);
    const credentials = url.replace('http://', 'http://user:secret@');
    expect(((await errorOf(fetchRequest(credentials))) as RequestError).info.reason).to.equal(
      'invalidRequest',
    );
  });

  it('should error with what okStatus threw, as it threw it', async () => {
    const thrown = new TypeError('okStatus has a bug');
    const error = await errorOf(
      fetchRequest(server.urlOf('/ok'), undefined, {
        okStatus: () => {
          throw thrown;
        },
      }),
    );
    expect(error).to.equal(thrown);
    const odd = await errorOf(
      fetchRequest(server.urlOf('/ok'), undefined, {
        okStatus: () => {
          throw 'not an error';
        },
      }),
    );
    expect(odd).to.equal('not an error');
  });

  it('should stop listening to a long-lived init.signal when each call ends, without AbortSignal.any', async () => {
    const caller = new AbortController();
    const { signal } = caller;
    const any = AbortSignal.any;
    let anyCalls = 0;
    AbortSignal.any = (signals) => {
      anyCalls++;
      return any.call(AbortSignal, signals);
    };
    const listeners = () => getEventListeners(signal, 'abort').length;
    try {
      const hanging = fetchRequest(server.urlOf('/hang'), { signal }).subscribe({ error: () => undefined });
      await sleep(20);
      // A call in flight listens once, so the caller's abort reaches it...
      expect(listeners()).to.equal(1);
      hanging.unsubscribe();
      // ...and stops listening when it ends: unsubscribed, completed or errored.
      expect(listeners()).to.equal(0);
      for (let i = 0; i < 20; i++) await firstValueFrom(fetchRequest(server.urlOf('/ok'), { signal }));
      await errorOf(fetchRequest(server.urlOf('/status', { code: 500 }), { signal }));
      await errorOf(fetchRequest(server.refusedUrl, { signal }));
      expect([listeners(), anyCalls]).to.deep.equal([0, 0]);
    } finally {
      AbortSignal.any = any;
    }
    // The signal still works for the next call.
    const pending = errorOf(fetchRequest(server.urlOf('/hang'), { signal }));
    await sleep(20);
    caller.abort(new Error('done'));
    expect(((await pending) as Error).message).to.equal('done');
    expect(listeners()).to.equal(0);
  });

  it('should error at once with the reason of an init.signal that is already aborted', async () => {
    const reason = new Error('too late');
    const error = await errorOf(fetchRequest(server.urlOf('/ok'), { signal: AbortSignal.abort(reason) }));
    expect(error).to.equal(reason);
    expect(server.stats('/ok').requests).to.equal(0);
  });

  it('should abort the request when unsubscribed before the response: the server sees the socket close', async () => {
    const subscription = fetchRequest(server.urlOf('/hang')).subscribe();
    await sleep(50);
    expect(server.stats('/hang').active).to.equal(1);
    subscription.unsubscribe();
    await server.whenSettled({ route: '/hang', timeout: 500 });
    expect(server.stats('/hang')).to.include({ aborted: 1, active: 0 });
  });

  it('should abort the body when unsubscribed while it is read', async () => {
    const seen: unknown[] = [];
    const subscription = fetchRequest(server.urlOf('/drip', { chunks: Infinity, every: 10 })).subscribe({
      next: (v) => seen.push(v),
      error: (e) => seen.push(e),
    });
    // Unsubscribe once the body is being read: the server has the request and has sent chunks. A fixed
    // sleep was not enough on a loaded machine, where the request can reach the server later than that.
    for (let waited = 0; server.stats('/drip').active === 0 && waited < 3000; waited += 10) await sleep(10);
    await sleep(40);
    subscription.unsubscribe();
    await server.whenSettled({ route: '/drip', timeout: 3000 });
    expect(server.stats('/drip')).to.include({ aborted: 1, active: 0 });
    await sleep(10);
    expect(seen).to.deep.equal([]);
  });

  it('should not abort a request that already completed', async () => {
    let aborted = false;
    const spy: typeof fetch = async (input, init) => {
      init?.signal?.addEventListener('abort', () => (aborted = true));
      return fetch(input, init);
    };
    await firstValueFrom(fetchRequest(server.urlOf('/ok'), undefined, { fetch: spy }));
    expect(aborted).to.equal(false);
  });

  it("should error with the caller's abort reason when init.signal aborts", async () => {
    const controller = new AbortController();
    const pending = errorOf(fetchRequest(server.urlOf('/hang'), { signal: controller.signal }));
    await sleep(20);
    const reason = new Error('caller gave up');
    controller.abort(reason);
    expect(await pending).to.equal(reason);
    await server.whenSettled({ route: '/hang', timeout: 500 });
  });

  it('should pass request options through', async () => {
    const seen: RequestInit[] = [];
    const spy: typeof fetch = async (input, init) => {
      seen.push(init!);
      return fetch(input, init);
    };
    await firstValueFrom(fetchRequest(server.urlOf('/ok'), { method: 'POST', body: 'hi' }, { fetch: spy }));
    expect([seen[0]!.method, seen[0]!.body]).to.deep.equal(['POST', 'hi']);
    expect(server.requests[0]!.method).to.equal('POST');
  });

  it('should tell its two errors apart by _tag, across copies of the package', () => {
    const status = new HttpStatusError({
      status: 502,
      statusText: '',
      url: 'u',
      retryAfter: undefined,
      body: '',
    });
    const wire = new NetworkError({ code: undefined, phase: 'request', url: 'u', cause: undefined });
    expect([status.name, status._tag, wire.name, wire._tag]).to.deep.equal([
      'HttpStatusError',
      'HttpStatusError',
      'NetworkError',
      'NetworkError',
    ]);
    expect([status.message, wire.message]).to.deep.equal(['HTTP 502 from u', 'Network error requesting u']);
    expect([
      isHttpStatusError(status),
      isNetworkError(status),
      isNetworkError(wire),
      isHttpStatusError(wire),
    ]).to.deep.equal([true, false, true, false]);
    expect(
      isHttpStatusError({ _tag: 'HttpStatusError' }) && isNetworkError({ _tag: 'NetworkError' }),
    ).to.equal(true);
    expect(isResilienceError(wire) && isResilienceError(status)).to.equal(true);
    expect(isNetworkError(new TypeError('fetch failed'))).to.equal(false);
  });

  it('should throw InvalidConfigError for bad options, naming each field', () => {
    let thrown: unknown;
    try {
      fetchRequest('http://127.0.0.1:1/', undefined, {
        read: 'blob' as 'text',
        okStatus: 200 as never,
        retries: 1,
      } as never);
    } catch (e) {
      thrown = e;
    }
    expect(isInvalidConfigError(thrown)).to.equal(true);
    expect((thrown as Error).message).to.equal(
      "fetchRequest: invalid config: `read` must be 'text' | 'json' | 'bytes' | 'none', got \"blob\" (string); `okStatus` must be a function, got 200 (number); unknown option `retries`: expected one of the known options (`read`, `okStatus`, `fetch`), got 1 (number)",
    );
  });
});
