import { expect } from 'chai';
import { exponentialDelay } from '../../src/backoff/exponentialDelay';
import { fullJitter } from '../../src/backoff/fullJitter';
import { seededRandom } from '../../src/chaos/seededRandom';

describe('fullJitter', () => {
  const options = { initialDelay: 10, multiplier: 2, maxDelay: 1000 };

  it('should give random() * d', () => {
    const delay = fullJitter(options);
    expect(delay(1, 10, () => 0)).to.equal(0);
    expect(delay(3, 10, () => 0.5)).to.equal(20);
    expect(delay(10, 10, () => 0.25)).to.equal(250);
  });

  it('should stay in [0, d) over many seeded draws, and use the whole range', () => {
    const delay = fullJitter(options);
    const random = seededRandom(1);
    for (let retry = 1; retry <= 10; retry++) {
      const d = exponentialDelay(retry, options);
      const outside: number[] = [];
      let low = Infinity;
      let high = -Infinity;
      for (let i = 0; i < 2000; i++) {
        const x = delay(retry, 0, random);
        if (!(x >= 0 && x < d)) outside.push(x);
        low = Math.min(low, x);
        high = Math.max(high, x);
      }
      expect(outside, `retry ${retry}`).to.deep.equal([]);
      expect(low, `retry ${retry}`).to.be.below(d * 0.01);
      expect(high, `retry ${retry}`).to.be.above(d * 0.99);
    }
  });

  it('should give 0, never NaN, for a draw of 0 when d has overflowed to Infinity', () => {
    const delay = fullJitter({ initialDelay: 1, multiplier: 2, maxDelay: Infinity });
    expect(delay(1100, 0, () => 0)).to.equal(0);
    expect(delay(1100, 0, () => 0.5)).to.equal(Infinity);
  });

  it('should be deterministic under a seeded random', () => {
    const run = (seed: number): number[] => {
      const delay = fullJitter(options);
      const random = seededRandom(seed);
      return [1, 2, 3, 4, 5].map((n) => delay(n, 0, random));
    };
    expect(run(42)).to.deep.equal(run(42));
    expect(run(42)).to.not.deep.equal(run(43));
  });
});
