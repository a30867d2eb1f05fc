import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lastValueFrom } from 'rxjs';
import { resilientCall } from '../../examples/resilientCall';
import {
  Bulkhead,
  CircuitBreaker,
  ResiliencePipeline,
  isBulkheadRejectedError,
  isCircuitOpenError,
  isHttpStatusError,
  isTimeoutExceededError,
  type ResiliencePipelineConfig,
} from '../../src/index';
import { startFaultServer, type FaultServer } from '../../src/testing/index';

/** What the call ended with: its body, or the error it failed with. */
const outcome = (call: ReturnType<typeof resilientCall>): Promise<unknown> =>
  lastValueFrom(call).then(
    (res) => res.body,
    (error: unknown) => error,
  );

describe('examples/resilientCall', function () {
  // Real sockets on 127.0.0.1 and real timers: the hung dependency takes the whole 2 s deadline.
  this.timeout(10_000);

  let server: FaultServer;
  // Fresh policies per test, with the example's settings, so the tests do not share a breaker.
  let breaker: CircuitBreaker;
  let pool: Bulkhead;
  let pipeline: ResiliencePipeline;
  const withExampleSettings = (stages: Partial<ResiliencePipelineConfig> = {}) =>
    new ResiliencePipeline({
      name: 'users',
      deadline: 2000,
      retry: { maxRetries: 3, initialDelay: 100, maxDelay: 1000 },
      breaker,
      bulkhead: pool,
      attemptTimeout: 500,
      ...stages,
    });

  before(async () => {
    server = await startFaultServer({ seed: 11 });
  });
  after(() => server.close());
  beforeEach(() => {
    server.reset();
    breaker = new CircuitBreaker({ name: 'users', minimumCalls: 5, openDuration: 5000 });
    pool = new Bulkhead({ name: 'users', maxConcurrent: 4, maxQueued: 8, queueTimeout: 1000 });
    pipeline = withExampleSettings();
  });

  it('should be the code the README shows under "A resilient call in one pipeline"', () => {
    const root = join(__dirname, '..', '..');
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### A resilient call in one pipeline'));
    const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    const source = readFileSync(join(root, 'examples', 'resilientCall.ts'), 'utf8');
    const code = source.slice(source.indexOf('import {')).replace("'../src/index'", "'rxjs-resilience'");
    expect(block?.startsWith(code), 'README block starts with the example').to.equal(true);
  });

  it('should answer a healthy call with one request', async () => {
    expect(await outcome(resilientCall(server.urlOf('/ok'), pipeline))).to.equal('ok');
    expect(server.stats('/ok').requests).to.equal(1);
  });

  it('should ride out a burst of 503s with retries', async () => {
    const url = server.urlOf('/burst', { n: 2, retryAfter: 0 });
    expect(await outcome(resilientCall(url, pipeline))).to.equal('ok');
    expect(server.stats('/burst').requests).to.equal(3);
  });

  it('should not retry a 404', async () => {
    const error = await outcome(resilientCall(server.urlOf('/status', { code: 404 }), pipeline));
    expect(isHttpStatusError(error) && error.info.status).to.equal(404);
    expect(server.stats('/status').requests).to.equal(1);
  });

  it('should bound a hung dependency by the whole-call deadline, and leave no request running', async () => {
    const started = performance.now();
    const error = await outcome(resilientCall(server.urlOf('/hang'), pipeline));
    const took = performance.now() - started;
    expect(isTimeoutExceededError(error)).to.equal(true);
    expect(took).to.be.at.least(1900).and.below(4000);
    // Every attempt timed out at 500 ms and was aborted, not left running.
    expect(server.stats('/hang').requests).to.be.within(3, 4);
    await server.whenSettled({ route: '/hang' });
    expect(server.stats('/hang').aborted).to.equal(server.stats('/hang').requests);
  });

  it('should open the breaker on a failing dependency, then refuse without sending', async () => {
    const url = server.urlOf('/status', { code: 503 });
    // Call 1: 4 attempts, 4 failures (the breaker needs 5 outcomes).
    const first = await outcome(resilientCall(url, pipeline));
    expect(isHttpStatusError(first)).to.equal(true);
    expect(server.stats('/status').requests).to.equal(4);
    // Call 2: its first attempt is the 5th failure and opens the breaker; its retry is refused, and a
    // refusal is not retried.
    const second = await outcome(resilientCall(url, pipeline));
    expect(isCircuitOpenError(second)).to.equal(true);
    expect(server.stats('/status').requests).to.equal(5);
    // Call 3: refused at once, never sent.
    const third = await outcome(resilientCall(url, pipeline));
    expect(isCircuitOpenError(third) && third.info.state).to.equal('open');
    expect(server.stats('/status').requests).to.equal(5);
  });

  it('should refuse a call when the pool is full, without retrying it or counting it as a failure', async () => {
    const tight = withExampleSettings({ bulkhead: new Bulkhead({ name: 'users', maxConcurrent: 1 }) });
    const slow = outcome(resilientCall(server.urlOf('/latency', { ms: 200 }), tight));
    const refused = await outcome(resilientCall(server.urlOf('/ok'), tight));
    expect(isBulkheadRejectedError(refused) && refused.info.reason).to.equal('full');
    expect(server.stats('/ok').requests).to.equal(0);
    expect(breaker.metrics().failures).to.equal(0);
    expect(await slow).to.equal('ok');
  });

  it('should refuse at an open breaker before asking the pool for a slot', async () => {
    breaker.isolate();
    const refused = await outcome(resilientCall(server.urlOf('/ok'), pipeline));
    expect(isCircuitOpenError(refused) && refused.info.state).to.equal('isolated');
    expect(pool.metrics().calls).to.equal(0);
    expect(server.stats('/ok').requests).to.equal(0);
  });
});
