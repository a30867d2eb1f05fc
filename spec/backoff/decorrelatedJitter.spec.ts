import { expect } from 'chai';
import { decorrelatedJitter } from '../../src/backoff/decorrelatedJitter';
import { seededRandom } from '../../src/chaos/seededRandom';

describe('decorrelatedJitter', () => {
  const options = { initialDelay: 10, multiplier: 2, maxDelay: 500 };

  it('should give min(maxDelay, initialDelay + random() * (3 * previous - initialDelay))', () => {
    const delay = decorrelatedJitter(options);
    expect(delay(1, 10, () => 0)).to.equal(10);
    expect(delay(1, 10, () => 0.5)).to.equal(20);
    expect(delay(2, 20, () => 0.5)).to.equal(35);
    expect(delay(9, 400, () => 0.5)).to.equal(500);
  });

  it('should ignore the retry number and multiplier: only previous matters', () => {
    const delay = decorrelatedJitter({ ...options, multiplier: 7 });
    expect(delay(1, 40, () => 0.5)).to.equal(delay(6, 40, () => 0.5));
  });

  it('should stay in [initialDelay, min(maxDelay, 3 * previous)] along many seeded sequences', () => {
    const delay = decorrelatedJitter(options);
    const random = seededRandom(3);
    const outside: number[] = [];
    let reachedCap = 0;
    for (let run = 0; run < 500; run++) {
      let previous = options.initialDelay;
      for (let retry = 1; retry <= 12; retry++) {
        const x = delay(retry, previous, random);
        if (!(x >= options.initialDelay && x <= Math.min(options.maxDelay, 3 * previous))) outside.push(x);
        if (x === options.maxDelay) reachedCap++;
        previous = x;
      }
    }
    expect(outside).to.deep.equal([]);
    expect(reachedCap).to.be.greaterThan(0);
  });

  it('should give initialDelay, never NaN, for a draw of 0 when previous is Infinity', () => {
    const delay = decorrelatedJitter({ initialDelay: 5, multiplier: 2, maxDelay: Infinity });
    expect(delay(3, Infinity, () => 0)).to.equal(5);
  });

  it('should be deterministic under a seeded random', () => {
    const run = (seed: number): number[] => {
      const delay = decorrelatedJitter(options);
      const random = seededRandom(seed);
      const out: number[] = [];
      let previous = options.initialDelay;
      for (let retry = 1; retry <= 6; retry++) out.push((previous = delay(retry, previous, random)));
      return out;
    };
    expect(run(11)).to.deep.equal(run(11));
    expect(run(11)).to.not.deep.equal(run(12));
  });
});
