import { expect } from 'chai';
import { VirtualTimeScheduler, of } from 'rxjs';
import { RateLimitedError } from '../../src/errors/RateLimitedError';
import { RateLimiter } from '../../src/limiter/RateLimiter';
import { rateLimit } from '../../src/operators/rateLimit';
import { instrument } from '../../src/otel/instrument';
import { marbles } from '../helpers/marbles';
import { InMemoryMetrics } from '../helpers/otelSdk';

const calls = (result: string, n: number) => ({
  [`policy.name=github rate_limiter.result=${result}`]: n,
});

describe('rateLimiterRecorder', () => {
  let sdk: InMemoryMetrics;
  beforeEach(() => (sdk = new InMemoryMetrics()));
  afterEach(() => sdk.shutdown());

  // prettier-ignore
  it('should count calls by result and penalties, read when the SDK collects, and never name a key', async () => {
    marbles((m) => {
      // T = 2 ms, burst 1, waits up to 4 ms: four calls to one key at 0.
      const limiter = new RateLimiter({ name: 'github', limit: 1, interval: 2, maxWait: 4, scheduler: m.scheduler });
      instrument(limiter, { meterProvider: sdk.provider });
      const call = (key: string) => m.cold('(a|)').pipe(rateLimit(limiter, { key }));
      m.expect(call('alice')).toBeObservable(  '(a|)');     // admitted at once
      m.expect(call('alice')).toBeObservable(  '--(a|)');   // waited 2 ms
      m.expect(call('alice')).toBeObservable(  '----(a|)'); // waited 4 ms
      m.expect(call('alice')).toBeObservable(  '#', undefined, new RateLimitedError({ limiter: 'github', key: 'alice', retryAfter: 6 }));
      m.expect(call('bob')).toBeObservable(    '(a|)');     // another key: admitted
      m.scheduler.schedule(() => limiter.penalize(10, 'bob'), 1);
    })();
    const points = await sdk.points();
    expect(points['rxjs_resilience.rate_limiter.calls']).to.deep.equal({
      ...calls('admitted', 2),
      ...calls('delayed', 2),
      ...calls('refused', 1),
      ...calls('failed', 0),
    });
    expect(points['rxjs_resilience.rate_limiter.waiting']).to.deep.equal({ 'policy.name=github': 0 });
    expect(points['rxjs_resilience.rate_limiter.penalties']).to.deep.equal({ 'policy.name=github': 1 });
    expect(Object.keys(points['rxjs_resilience.rate_limiter.keys']!)).to.deep.equal(['policy.name=github']);
    expect(JSON.stringify(points)).to.not.match(/alice|bob/);
  });

  it('should read the calls waiting for their turn, and the keys held, at collection time', async () => {
    const scheduler = new VirtualTimeScheduler(); // never flushed: the delayed calls keep waiting
    const limiter = new RateLimiter({ name: 'github', limit: 1, interval: 1000, maxWait: 5000, scheduler });
    instrument(limiter, { meterProvider: sdk.provider });
    for (const key of ['a', 'a', 'a', 'b']) of(1).pipe(rateLimit(limiter, { key })).subscribe();
    const points = await sdk.points();
    expect(points['rxjs_resilience.rate_limiter.waiting']).to.deep.equal({ 'policy.name=github': 2 });
    expect(points['rxjs_resilience.rate_limiter.keys']).to.deep.equal({ 'policy.name=github': 2 });
    expect(points['rxjs_resilience.rate_limiter.calls']).to.deep.include(calls('delayed', 2));
  });
});
