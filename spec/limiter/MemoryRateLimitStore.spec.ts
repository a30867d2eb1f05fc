import { expect } from 'chai';
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
