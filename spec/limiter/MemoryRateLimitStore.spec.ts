import { expect } from 'chai';
import * as fc from 'fast-check';
import { MemoryRateLimitStore } from '../../src/limiter/MemoryRateLimitStore';
import type { RateLimitRule } from '../../src/limiter/RateLimitStore';
import { captureThrow } from '../helpers/captureError';

const rule = (r: Partial<RateLimitRule> = {}): RateLimitRule => ({
  name: 'test',
  limit: 1,
  interval: 10,
  burst: 2,
  maxWait: 10,
  ...r,
});

describe('MemoryRateLimitStore', () => {
  it('should answer 0 (admitted), the wait (reserved) or minus the retryAfter (refused), by GCRA', () => {
    const store = new MemoryRateLimitStore();
    const r = rule();
    // T = 10, burst 2, maxWait 10.
    expect([0, 0, 0, 0].map(() => store.acquire('k', 1, r, 0))).to.deep.equal([0, 0, 10, -20]);
    expect(store.acquire('k', 1, r, 5)).to.equal(-15);
    expect(store.acquire('k', 1, r, 10)).to.equal(10);
    expect(store.acquire('k', 2, r, 40)).to.equal(0);
  });

  it('should decide on units of 1 / limit ms, so sums of T stay exact', () => {
    const store = new MemoryRateLimitStore();
    const r = rule({ limit: 3, interval: 1000, burst: 1, maxWait: 0 });
    expect(store.acquire('k', 1, r, 0)).to.equal(0);
    expect(store.acquire('k', 1, r, 333)).to.equal(-1 / 3);
    expect(store.acquire('k', 1, r, 1000)).to.equal(0);
    expect(store.acquire('k', 1, r, 1333)).to.equal(-1 / 3);
    expect(store.acquire('k', 1, r, 1334)).to.equal(0);
    // Three at once with a burst of 3: the third is due at 3 * 1000/3 = 1000 exactly, not 1000.0000000000001.
    const burst3 = new MemoryRateLimitStore();
    const r3 = rule({ limit: 3, interval: 1000, burst: 3, maxWait: 0 });
    expect([0, 0, 0, 0].map(() => burst3.acquire('k', 1, r3, 0))).to.deep.equal([0, 0, 0, -1000 / 3]);
    const burst7 = new MemoryRateLimitStore();
    const r7 = rule({ limit: 7, interval: 100, burst: 7, maxWait: 0 });
    expect(Array.from({ length: 7 }, () => burst7.acquire('k', 1, r7, 0))).to.deep.equal([
      0, 0, 0, 0, 0, 0, 0,
    ]);
  });

  it('should admit a whole burst at once whatever the interval, fractions of a ms included', () => {
    // In units of 1 / limit ms, T is `interval`: a fraction such as 0.1 adds up with rounding errors,
    // and fifteen times 0.1 came to more than 15 * 0.1, refusing the 15th call of a burst of 15.
    for (const interval of [0.1, 0.3, 33.3, 12345.678]) {
      for (const now of [0, 0.1, 1234.567, 1.7e12 + 0.5]) {
        const burst = new MemoryRateLimitStore();
        const r = rule({ limit: 15, interval, burst: 15, maxWait: 0 });
        const answers = Array.from({ length: 15 }, () => burst.acquire('k', 1, r, now));
        expect(answers, `interval ${interval} at ${now}`).to.deep.equal(new Array(15).fill(0));
        expect(burst.acquire('k', 1, r, now)).to.be.below(0);
        expect(new MemoryRateLimitStore().acquire('k', 15, r, now), 'cost 15 at once').to.equal(0);
      }
    }
  });

  it('should admit a call made retryAfter ms after its refusal, and one made when a penalty ends', () => {
    const store = new MemoryRateLimitStore();
    const r = rule({ limit: 3, interval: 1000, burst: 3, maxWait: 0 });
    for (let i = 0; i < 3; i++) store.acquire('k', 1, r, 934);
    const retryAfter = -store.acquire('k', 1, r, 934);
    expect(retryAfter).to.equal(1000 / 3);
    // 934 + 333.3333333333333 is 1267.3333333333333, a hair before the due instant in units (999.99...8).
    expect(store.acquire('k', 1, r, 934 + retryAfter)).to.equal(0);
    const penalized = new MemoryRateLimitStore();
    const p = rule({ limit: 7, interval: 100, burst: 7, maxWait: 0 });
    penalized.penalize('k', 0.7, p, 0.1);
    expect(penalized.acquire('k', 1, p, 0.1 + 0.7)).to.equal(0);
  });

  it('should keep a refusal honest: retryAfter ms later the call is admitted, and never a hair before (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.constantFrom(0.1, 0.3, 1, 7, 33.3, 100, 1000, 60_000),
        fc.integer({ min: 1, max: 60 }),
        fc.double({ min: 0, max: 2e12, noNaN: true }),
        fc.integer({ min: 0, max: 3 }),
        (limit, interval, burstOf, now, extra) => {
          const burst = Math.min(burstOf, limit);
          const store = new MemoryRateLimitStore();
          const r = rule({ limit, interval, burst, maxWait: 0 });
          for (let i = 0; i < burst; i++) expect(store.acquire('k', 1, r, now)).to.equal(0);
          for (let i = 0; i < extra; i++) store.acquire('k', 1, r, now);
          const answer = store.acquire('k', 1, r, now);
          expect(answer).to.be.below(0);
          const retryAfter = -answer;
          // Refused for the time it takes to earn one permit, T = interval / limit ms (at the clock's
          // resolution: a value of 2e12 ms is a multiple of 2^-12 ms).
          expect(retryAfter).to.be.closeTo(interval / limit, 1e-9 * (1 + interval / limit) + now * 2 ** -50);
          // Half-way there is too early, where the clock can tell the instants apart.
          if (retryAfter / 2 > now * 2 ** -48)
            expect(store.acquire('k', 1, r, now + retryAfter / 2)).to.be.below(0);
          expect(store.acquire('k', 1, r, now + retryAfter)).to.equal(0);
        },
      ),
      { seed: 20261213, numRuns: 500 },
    );
  });

  it('should hold a penalized key until now + ms, and never shorten a hold', () => {
    const store = new MemoryRateLimitStore();
    const r = rule({ maxWait: 0 });
    store.penalize('k', 25, r, 0);
    store.penalize('k', 5, r, 0);
    expect(store.acquire('k', 1, r, 24)).to.equal(-1);
    expect(store.acquire('k', 1, r, 25)).to.equal(0);
    expect(store.acquire('k', 1, r, 25)).to.equal(-10);
  });

  it('should forget quiet keys: swept as new keys arrive, and all at once when every key is quiet', () => {
    const store = new MemoryRateLimitStore();
    const r = rule({ burst: 1, maxWait: 0 });
    for (let i = 0; i < 10; i++) store.acquire(`k${i}`, 1, r, i);
    // k0..k3 are quiet at 13 (tat = i + 10 <= 13). Each new key sweeps two keys on: ten new keys sweep
    // every key at least once.
    expect(store.size).to.equal(10);
    for (let i = 0; i < 10; i++) store.acquire(`n${i}`, 1, r, 13);
    expect(store.size).to.equal(20 - 4);
    // An update of a known key sweeps nothing (the map does not grow).
    store.acquire('n0', 1, r, 20);
    expect(store.size).to.equal(16);
    // At 100 every key is quiet: the next call drops them all.
    store.acquire('c', 1, r, 100);
    expect(store.size).to.equal(1);
  });

  it('should serve one limiter: a second rule throws', () => {
    const store = new MemoryRateLimitStore();
    store.acquire('k', 1, rule({ name: 'first' }), 0);
    const error = captureThrow(() => store.acquire('k', 1, rule({ name: 'second' }), 0));
    expect((error as Error).message).to.equal(
      'MemoryRateLimitStore: this store already serves the limiter "first"; give the limiter "second" its own store',
    );
  });
});
