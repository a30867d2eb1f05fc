import { expect } from 'chai';
import { performance } from 'perf_hooks';
import {
  Observable,
  defer,
  firstValueFrom,
  lastValueFrom,
  map,
  mergeMap,
  take,
  tap,
  toArray,
  type Subscription,
} from 'rxjs';
import WebSocket from 'ws';
import { fetchRequest } from '../../src/adapters/fetchRequest';
import { CircuitBreaker } from '../../src/breaker/CircuitBreaker';
import type { CircuitState } from '../../src/breaker/CircuitState';
import { Bulkhead } from '../../src/bulkhead/Bulkhead';
import { isBulkheadRejectedError, type BulkheadRejectedError } from '../../src/errors/BulkheadRejectedError';
import { isCircuitOpenError } from '../../src/errors/CircuitOpenError';
import { isHttpStatusError, type HttpStatusError } from '../../src/errors/HttpStatusError';
import { isNetworkError, type NetworkError } from '../../src/errors/NetworkError';
import { isResilienceError } from '../../src/errors/ResilienceError';
import { isTimeoutExceededError, type TimeoutExceededError } from '../../src/errors/TimeoutExceededError';
import { boundedMergeMap } from '../../src/operators/boundedMergeMap';
import { bulkhead } from '../../src/operators/bulkhead';
import { circuitBreaker } from '../../src/operators/circuitBreaker';
import { retryBackoff } from '../../src/operators/retryBackoff';
import { timeoutAfter } from '../../src/operators/timeoutAfter';
import {
  startFaultProxy,
  startFaultServer,
  type FaultProxy,
  type FaultServer,
} from '../../src/testing/index';

// Real sockets on 127.0.0.1, real fetch, real timers. Budgets are small (timeouts of 100-200 ms) and
// assertions keep wide margins (an upper bound of 1 s), so a loaded 2-core machine does not flake them.

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `source` to its end and returns what the user sees: values or the error, and how long it took. */
async function outcome<T>(source: Observable<T>): Promise<{ values: T[]; error: unknown; ms: number }> {
  const started = performance.now();
  try {
    const values = await lastValueFrom(source.pipe(toArray()));
    return { values, error: undefined, ms: performance.now() - started };
  } catch (error) {
    return { values: [], error, ms: performance.now() - started };
  }
}

/** Server-sent events as an Observable; unsubscribing aborts the request. */
function sseEvents(url: string, lastEventId?: string): Observable<{ id: string; data: string }> {
  return new Observable((subscriber) => {
    const controller = new AbortController();
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
    (async () => {
      const res = await fetch(url, { signal: controller.signal, headers });
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let buffered = '';
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffered += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffered.indexOf('\n\n')) >= 0) {
          const block = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          const fields = new Map(
            block
              .split('\n')
              .filter((line) => line !== '' && !line.startsWith(':'))
              .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)] as const),
          );
          if (fields.has('data')) subscriber.next({ id: fields.get('id') ?? '', data: fields.get('data')! });
        }
      }
      subscriber.complete();
    })().catch((err: unknown) => subscriber.error(err));
    return () => controller.abort();
  });
}

/** WebSocket text messages as an Observable; a close other than 1000 is an error carrying its code. */
function webSocketMessages(url: string): Observable<string> {
  return new Observable((subscriber) => {
    const ws = new WebSocket(url);
    ws.on('message', (data) => subscriber.next(String(data)));
    ws.on('error', () => undefined);
    ws.on('close', (code) => {
      if (code === 1000) subscriber.complete();
      else subscriber.error(Object.assign(new Error(`WebSocket closed with ${code}`), { code }));
    });
    return () => ws.terminate();
  });
}

/** Resource kinds that a test suite can leak: sockets, servers, timers. */
function openResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) {
    if (/TCP|Timeout|Immediate/.test(kind)) counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}

describe('integration: a client built from the operators, against real faults on loopback', function () {
  this.timeout(10_000);
  let server: FaultServer;
  let proxy: FaultProxy;
  let baseline: Record<string, number>;

  before(() => {
    baseline = openResources();
  });

  beforeEach(async () => {
    server = await startFaultServer({ seed: 11 });
    proxy = await startFaultProxy({ upstream: { port: server.port }, seed: 11 });
  });

  afterEach(async () => {
    await proxy.close();
    await server.close();
  });

  after(async function () {
    this.timeout(5000);
    // Pooled keep-alive sockets of fetch close once the servers have closed theirs: give them a moment.
    // Only growth counts: a resource another spec left open before this suite may close meanwhile.
    const leaked = (): Record<string, number> => {
      const grown: Record<string, number> = {};
      for (const [kind, count] of Object.entries(openResources())) {
        if (count > (baseline[kind] ?? 0)) grown[kind] = count - (baseline[kind] ?? 0);
      }
      return grown;
    };
    for (let i = 0; i < 40 && Object.keys(leaked()).length > 0; i++) await sleep(25);
    expect(leaked(), 'sockets, servers and timers left open by the suite').to.deep.equal({});
  });

  describe('fail fast: bounded latency and typed errors', () => {
    it('should time out a request that is accepted and never answered, and abort it on the server', async () => {
      const { error, ms } = await outcome(fetchRequest(server.urlOf('/hang')).pipe(timeoutAfter(150)));
      expect(isTimeoutExceededError(error)).to.equal(true);
      expect((error as TimeoutExceededError).info).to.include({ limit: 'total', after: 150 });
      expect(ms).to.be.within(145, 1000);
      await server.whenSettled({ route: '/hang', timeout: 500 });
      expect(server.stats('/hang')).to.include({ aborted: 1, active: 0 });
    });

    it('should time out a slow drip whose body never ends', async () => {
      const request = fetchRequest(server.urlOf('/drip', { chunks: Infinity, every: 20 }));
      const { error, ms } = await outcome(request.pipe(timeoutAfter(200)));
      expect(isTimeoutExceededError(error)).to.equal(true);
      expect(ms).to.be.within(195, 1000);
      await server.whenSettled({ route: '/drip', timeout: 500 });
      expect(server.stats('/drip').aborted).to.equal(1);
    });

    it('should time out added latency (toxiproxy latency + jitter) and pass a fast answer', async () => {
      proxy.setToxics([{ type: 'latency', latency: 400, jitter: 50 }]);
      const slow = await outcome(fetchRequest(`${proxy.url}/ok`).pipe(timeoutAfter({ first: 150 })));
      expect(isTimeoutExceededError(slow.error)).to.equal(true);
      expect(slow.ms).to.be.within(145, 1000);
      proxy.setToxics([{ type: 'latency', latency: 20, jitter: 10 }]);
      const fast = await outcome(fetchRequest(`${proxy.url}/ok`).pipe(timeoutAfter({ first: 500 })));
      expect(fast.values.map((r) => r.body)).to.deep.equal(['ok']);
    });

    it('should time out a blackholed connection (toxiproxy timeout 0)', async () => {
      proxy.setToxics([{ type: 'timeout', timeout: 0 }]);
      const { error, ms } = await outcome(fetchRequest(`${proxy.url}/ok`).pipe(timeoutAfter(150)));
      expect(isTimeoutExceededError(error)).to.equal(true);
      expect(ms).to.be.within(145, 1000);
    });

    it('should fail fast with a typed NetworkError on refused, reset, closed and cut-off connections', async () => {
      // A reset after the response began may reach undici as a close: either code means "cut off".
      const cut = ['ECONNRESET', 'UND_ERR_SOCKET'];
      const cases: Array<[string, string[], 'request' | 'body']> = [
        [server.refusedUrl, ['ECONNREFUSED'], 'request'],
        [server.urlOf('/reset'), ['ECONNRESET'], 'request'],
        [server.urlOf('/close'), ['UND_ERR_SOCKET'], 'request'],
        [server.urlOf('/reset-mid-body'), cut, 'body'],
        [server.urlOf('/script', { s: 'hd-d-#', frame: 10 }), cut, 'body'],
      ];
      for (const [url, codes, phase] of cases) {
        const { error, ms } = await outcome(fetchRequest(url).pipe(timeoutAfter(1000)));
        expect(isNetworkError(error), url).to.equal(true);
        expect((error as NetworkError).info.phase, url).to.equal(phase);
        expect(codes, url).to.include((error as NetworkError).info.code);
        expect(ms, url).to.be.below(1000);
      }
    });

    it('should fail fast through the proxy on reset_peer, limit_data and down', async () => {
      const call = () =>
        outcome(
          fetchRequest(`${proxy.url}/ok`, { headers: { connection: 'close' } }).pipe(timeoutAfter(1000)),
        );
      proxy.setToxics([{ type: 'reset_peer' }]);
      const reset = await call();
      expect((reset.error as NetworkError).info.code).to.equal('ECONNRESET');
      proxy.setToxics([{ type: 'limit_data', bytes: 40 }]);
      const cut = await call();
      expect(isNetworkError(cut.error)).to.equal(true);
      proxy.setToxics([]);
      await proxy.disable();
      const down = await call();
      expect((down.error as NetworkError).info.code).to.equal('ECONNREFUSED');
      for (const { ms } of [reset, cut, down]) expect(ms).to.be.below(1000);
    });
  });

  describe('retry: riding out a 503 burst', () => {
    const retry503 = (maxRetries: number) =>
      retryBackoff<unknown>({
        maxRetries,
        initialDelay: 20,
        jitter: 'none',
        shouldRetry: (e) => isHttpStatusError(e) && e.info.status === 503,
      });

    it('should succeed after the burst, one request per attempt', async () => {
      const request = fetchRequest(server.urlOf('/burst', { n: 3, retryAfter: 0 }));
      const { values, error, ms } = await outcome(request.pipe(timeoutAfter({ each: 500 }), retry503(4)));
      expect(error).to.equal(undefined);
      expect(values.map((r) => (r as { body: string }).body)).to.deep.equal(['ok']);
      expect(server.stats('/burst').requests).to.equal(4);
      // Delays 20 + 40 + 80 ms between the attempts.
      expect(ms).to.be.within(135, 1000);
    });

    it('should give up with the last HttpStatusError when the burst outlasts the retries', async () => {
      const request = fetchRequest(server.urlOf('/burst', { n: 10, retryAfter: 1 }));
      const { error } = await outcome(request.pipe(retry503(2)));
      expect((error as HttpStatusError).info).to.include({ status: 503, retryAfter: 1000 });
      expect(server.stats('/burst').requests).to.equal(3);
    });

    it('should not retry what shouldRetry refuses (a reset is not a 503)', async () => {
      const { error } = await outcome(fetchRequest(server.urlOf('/reset')).pipe(retry503(3)));
      expect(isNetworkError(error)).to.equal(true);
      expect(server.stats('/reset').requests).to.equal(1);
    });
  });

  describe('circuit breaker: a dead upstream', () => {
    it('should open after the failures, refuse without calling, then recover after openDuration', async () => {
      const breaker = new CircuitBreaker({
        name: 'api',
        window: { type: 'count', size: 4 },
        minimumCalls: 4,
        failureRateThreshold: 0.5,
        openDuration: 150,
      });
      const states: CircuitState[] = [];
      const watching = breaker.state$.subscribe((s) => states.push(s));
      let sent = 0;
      const countingFetch: typeof fetch = (input, init) => {
        sent++;
        return fetch(input, init);
      };
      const call = () =>
        outcome(
          fetchRequest(`${proxy.url}/ok`, undefined, { fetch: countingFetch }).pipe(
            timeoutAfter(500),
            circuitBreaker(breaker),
          ),
        );
      try {
        await proxy.disable();
        for (let i = 0; i < 4; i++) expect(isNetworkError((await call()).error)).to.equal(true);
        expect(breaker.state).to.equal('open');

        const refused = await call();
        expect(isCircuitOpenError(refused.error)).to.equal(true);
        expect(refused.ms).to.be.below(100);
        expect(sent).to.equal(4);

        await proxy.enable();
        await sleep(170);
        expect(breaker.state).to.equal('halfOpen');
        const probe = await call();
        expect(probe.values.map((r) => r.body)).to.deep.equal(['ok']);
        expect(breaker.state).to.equal('closed');
        expect(states).to.deep.equal(['closed', 'open', 'halfOpen', 'closed']);
      } finally {
        watching.unsubscribe();
      }
    });

    it('should open on timeouts from a hanging upstream, and cancel the hung requests', async () => {
      const breaker = new CircuitBreaker({
        window: { type: 'count', size: 2 },
        minimumCalls: 2,
        openDuration: 10_000,
      });
      const call = () =>
        outcome(fetchRequest(server.urlOf('/hang')).pipe(timeoutAfter(100), circuitBreaker(breaker)));
      const results = await Promise.all([call(), call()]);
      for (const r of results) expect(isTimeoutExceededError(r.error)).to.equal(true);
      expect(breaker.state).to.equal('open');
      expect(isCircuitOpenError((await call()).error)).to.equal(true);
      await server.whenSettled({ route: '/hang', timeout: 500 });
      expect(server.stats('/hang')).to.include({ requests: 2, aborted: 2 });
    });
  });

  describe('bulkhead: a slow upstream', () => {
    it('should run at most maxConcurrent, queue maxQueued, and refuse the rest at once', async () => {
      const pool = new Bulkhead({ name: 'api', maxConcurrent: 2, maxQueued: 1 });
      const call = () =>
        outcome(fetchRequest(server.urlOf('/latency', { ms: 300 })).pipe(timeoutAfter(2000), bulkhead(pool)));
      const results = await Promise.all([call(), call(), call(), call(), call()]);
      const refused = results.filter((r) => isBulkheadRejectedError(r.error));
      const served = results.filter((r) => r.error === undefined);
      expect([served.length, refused.length]).to.deep.equal([3, 2]);
      for (const r of refused) {
        expect((r.error as BulkheadRejectedError).info).to.include({ reason: 'full', active: 2, queued: 1 });
        expect(r.ms).to.be.below(150);
      }
      // The server never saw more than two requests at once.
      const spans = server.requests.map((r) => [r.startedAt, r.endedAt!] as const);
      const overlapping = (at: number) => spans.filter(([s, e]) => s <= at && at < e).length;
      expect(Math.max(...spans.map(([s]) => overlapping(s)))).to.equal(2);
      expect(server.stats('/latency').requests).to.equal(3);
      expect([pool.active, pool.queued]).to.deep.equal([0, 0]);
    });

    it('should refuse a call that waited queueTimeout ms, and never send it', async () => {
      const pool = new Bulkhead({ maxConcurrent: 1, maxQueued: 1, queueTimeout: 60 });
      const call = () => outcome(fetchRequest(server.urlOf('/latency', { ms: 200 })).pipe(bulkhead(pool)));
      const [first, waiting] = await Promise.all([call(), call()]);
      expect(first.error).to.equal(undefined);
      expect((waiting.error as BulkheadRejectedError).info.reason).to.equal('queueTimeout');
      expect(waiting.ms).to.be.within(55, 1000);
      expect(server.stats('/latency').requests).to.equal(1);
    });
  });

  describe('streams: SSE and WebSocket that drop', () => {
    it('should process an SSE stream with boundedMergeMap: every event handled or reported dropped', async () => {
      const dropped: string[] = [];
      const handled = await lastValueFrom(
        sseEvents(server.urlOf('/sse', { events: 12, every: 5, then: 'end' })).pipe(
          boundedMergeMap(
            (event) => fetchRequest(server.urlOf('/latency', { ms: 30 })).pipe(map(() => event.id)),
            {
              capacity: 2,
              concurrency: 1,
              overflow: 'dropOldest',
              onOverflow: (event) => dropped.push(event.id),
            },
          ),
          toArray(),
        ),
      );
      expect(dropped.length).to.be.greaterThan(0);
      expect([...handled, ...dropped].map(Number).sort((a, b) => a - b)).to.deep.equal(
        Array.from({ length: 12 }, (_, i) => i + 1),
      );
      // The last events are never the dropped ones under dropOldest.
      expect(handled).to.include('12');
      expect(server.stats('/latency').requests).to.equal(handled.length);
    });

    it('should resume an SSE stream that drops, with retryBackoff and Last-Event-ID', async () => {
      let lastId: string | undefined;
      const events = await lastValueFrom(
        defer(() => sseEvents(server.urlOf('/sse', { events: 2, every: 5 }), lastId)).pipe(
          tap((event) => (lastId = event.id)),
          retryBackoff({ maxRetries: 5, initialDelay: 10, jitter: 'none', resetOnSuccess: true }),
          take(5),
          toArray(),
        ),
      );
      expect(events.map((e) => e.data)).to.deep.equal([1, 2, 3, 4, 5].map((i) => `event ${i}`));
      expect(server.stats('/sse').requests).to.equal(3);
      await server.whenSettled({ route: '/sse', timeout: 500 });
    });

    it('should reconnect a WebSocket that drops (1006) and keep receiving', async () => {
      const messages = await firstValueFrom(
        webSocketMessages(server.wsUrlOf({ messages: 2, every: 5 })).pipe(
          retryBackoff({
            maxRetries: 3,
            initialDelay: 10,
            jitter: 'none',
            shouldRetry: (e) => (e as { code?: number }).code === 1006,
          }),
          take(5),
          toArray(),
        ),
      );
      expect(messages).to.deep.equal(['message 1', 'message 2', 'message 1', 'message 2', 'message 1']);
      expect(server.stats('/ws').requests).to.equal(3);
      await server.whenSettled({ route: '/ws', timeout: 500 });
    });
  });

  describe('cancellation: nothing left running', () => {
    it('should abort in-flight requests through every operator when the caller unsubscribes', async () => {
      const breaker = new CircuitBreaker({ name: 'cancel' });
      const pool = new Bulkhead({ maxConcurrent: 2, maxQueued: 2 });
      const client = fetchRequest(server.urlOf('/hang')).pipe(
        timeoutAfter(5000),
        retryBackoff({ maxRetries: 2, initialDelay: 10 }),
        circuitBreaker(breaker),
        bulkhead(pool),
      );
      const subscriptions: Subscription[] = [1, 2, 3, 4].map(() =>
        client.subscribe({ error: () => undefined }),
      );
      await sleep(60);
      expect(server.stats('/hang').active).to.equal(2);
      expect([pool.active, pool.queued]).to.deep.equal([2, 2]);
      for (const s of subscriptions) s.unsubscribe();
      await server.whenSettled({ route: '/hang', timeout: 500 });
      expect(server.stats('/hang')).to.include({ requests: 2, aborted: 2, active: 0 });
      expect([pool.active, pool.queued]).to.deep.equal([0, 0]);
      expect(breaker.state).to.equal('closed');
    });
  });

  describe('all together: a seeded flaky upstream', () => {
    it('should end every call with a value or a typed error, within its deadline', async () => {
      const breaker = new CircuitBreaker({
        name: 'flaky',
        minimumCalls: 10,
        failureRateThreshold: 0.9,
        openDuration: 100,
      });
      const pool = new Bulkhead({ name: 'flaky', maxConcurrent: 4, maxQueued: 4 });
      const call = (i: number) =>
        fetchRequest(server.urlOf('/flaky', { rate: 0.4, faults: '503,reset,hang,slow', ms: 300 })).pipe(
          timeoutAfter(100),
          retryBackoff({ maxRetries: 1, initialDelay: 5, jitter: 'none' }),
          circuitBreaker(breaker),
          bulkhead(pool),
          timeoutAfter(600),
          map(() => ({ i, ok: true as boolean, error: undefined as unknown })),
        );
      const started = performance.now();
      const results = await lastValueFrom(
        defer(() => [...Array(24).keys()]).pipe(
          mergeMap(
            (i) => outcome(call(i)).then(({ values, error }) => values[0] ?? { i, ok: false, error }),
            8,
          ),
          toArray(),
        ),
      );
      expect(results).to.have.length(24);
      const failed = results.filter((r) => !r.ok);
      expect(results.length - failed.length).to.be.greaterThan(0);
      // Faults were met (so retries were sent), and every call that still failed says why, typed.
      expect(server.stats('/flaky').requests).to.be.greaterThan(24);
      for (const r of failed) expect(isResilienceError(r.error), String(r.error)).to.equal(true);
      expect(performance.now() - started).to.be.below(3000);
      await server.whenSettled({ timeout: 1000 });
      expect([pool.active, pool.queued]).to.deep.equal([0, 0]);
    });
  });
});
