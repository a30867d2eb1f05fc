import { expect } from 'chai';
import { Subject, from, lastValueFrom, toArray } from 'rxjs';
import {
  describeOutcome,
  handleRequests,
  usersPipeline,
  type Outcome,
  type Request,
} from '../../examples/requestStream';
import { CircuitBreaker, ResiliencePipeline, isTimeoutExceededError } from '../../src/index';
import { startFaultServer, type FaultServer } from '../../src/testing/index';

describe('examples/requestStream', function () {
  // Real sockets on 127.0.0.1 and real timers: a hung request takes three 300 ms attempts.
  this.timeout(10_000);

  let server: FaultServer;
  before(async () => {
    server = await startFaultServer({ seed: 5 });
  });
  after(() => server.close());
  beforeEach(() => server.reset());

  const request = (id: string, url: string): Request => ({ id, path: url.slice(server.url.length) });
  const run = (requests: Request[], pipeline = usersPipeline(), options = {}) =>
    lastValueFrom(handleRequests(from(requests), server.url, pipeline, options).pipe(toArray()));
  const byId = (outcomes: Outcome[]) => new Map(outcomes.map((o) => [o.id, o]));

  it('should end every request as an answer or a typed failure with its attempts, and leave nothing running', async () => {
    const outcomes = await run([
      request('ok', server.urlOf('/ok')),
      request('flaky', server.urlOf('/burst', { n: 2, retryAfter: 0 })),
      request('missing', server.urlOf('/status', { code: 404 })),
      request('reset', server.urlOf('/reset')),
      request('hung', server.urlOf('/hang')),
    ]);
    expect(outcomes).to.have.length(5);
    const lines = new Map(
      [...byId(outcomes)].map(([id, o]) => [id, describeOutcome(o).replace(/, \d+ ms$/, '')]),
    );
    expect(Object.fromEntries(lines)).to.deep.equal({
      ok: 'ok: answered "ok" after 1 attempt(s)',
      flaky: 'flaky: answered "ok" after 3 attempt(s)',
      missing: 'missing: failed (HTTP 404) after 1 attempt(s)',
      reset: 'reset: failed (network ECONNRESET) after 3 attempt(s)',
      hung: 'hung: failed (timeout) after 3 attempt(s)',
    });
    const hung = byId(outcomes).get('hung')!;
    expect(hung.kind === 'failed' && isTimeoutExceededError(hung.error) && hung.error.info).to.deep.equal({
      limit: 'total',
      after: 300,
      seen: 0,
      meta: 'hung',
    });
    expect(server.stats('/status').requests).to.equal(1);
    expect(server.stats('/hang').requests).to.equal(3);
    await server.whenSettled();
    expect(server.stats('/hang').aborted).to.equal(3);
  });

  it('should absorb a burst in its bounded buffer and report every request it drops', async () => {
    const burst = Array.from({ length: 12 }, (_, i) =>
      request(`slow-${i}`, server.urlOf('/latency', { ms: 50 })),
    );
    const outcomes = await run(burst, usersPipeline(), { capacity: 4, concurrency: 4 });
    expect(outcomes).to.have.length(12);
    const kinds = Object.fromEntries(outcomes.map((o) => [o.id, o.kind]));
    expect(kinds).to.deep.equal({
      ...Object.fromEntries([0, 1, 2, 3, 8, 9, 10, 11].map((i) => [`slow-${i}`, 'answered'])),
      ...Object.fromEntries([4, 5, 6, 7].map((i) => [`slow-${i}`, 'dropped'])),
    });
    // Dropped requests were never sent.
    expect(server.stats('/latency').requests).to.equal(8);
  });

  it('should keep going through a dead dependency: the breaker opens, later requests fail fast, unsent', async () => {
    const pipeline = new ResiliencePipeline({
      name: 'users',
      retry: { maxRetries: 1, initialDelay: 10 },
      breaker: new CircuitBreaker({
        minimumCalls: 4,
        window: { type: 'count', size: 4 },
        openDuration: 60_000,
      }),
      attemptTimeout: 300,
    });
    const requests$ = new Subject<Request>();
    const outcomes: Outcome[] = [];
    const done = new Promise<void>((resolve) =>
      handleRequests(requests$, server.url, pipeline, { concurrency: 1 }).subscribe({
        next: (o) => outcomes.push(o),
        complete: resolve,
      }),
    );
    // One request at a time, each arriving as an event once the previous one has ended.
    for (let i = 0; i < 4; i++) {
      requests$.next(request(`down-${i}`, server.urlOf('/reset')));
      while (outcomes.length <= i) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    requests$.complete();
    await done;
    expect(outcomes.map(describeOutcome).map((line) => line.replace(/, \d+ ms$/, ''))).to.deep.equal([
      'down-0: failed (network ECONNRESET) after 2 attempt(s)',
      'down-1: failed (network ECONNRESET) after 2 attempt(s)',
      'down-2: failed (breaker open) after 0 attempt(s)',
      'down-3: failed (breaker open) after 0 attempt(s)',
    ]);
    expect(server.stats('/reset').requests).to.equal(4);
  });
});
