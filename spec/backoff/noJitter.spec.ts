import { expect } from 'chai';
import { noJitter } from '../../src/backoff/noJitter';

describe('noJitter', () => {
  it('should give the exponential delay and never draw', () => {
    const delay = noJitter({ initialDelay: 10, multiplier: 2, maxDelay: 50 });
    const random = (): number => {
      throw new Error('drawn');
    };
    expect([1, 2, 3, 4].map((n) => delay(n, 0, random))).to.deep.equal([10, 20, 40, 50]);
  });
});
