import { expect } from 'chai';
import { exponentialDelay } from '../../src/backoff/exponentialDelay';

describe('exponentialDelay', () => {
  it('should grow from initialDelay by multiplier per retry', () => {
    const options = { initialDelay: 100, multiplier: 3, maxDelay: Infinity };
    expect([1, 2, 3, 4].map((n) => exponentialDelay(n, options))).to.deep.equal([100, 300, 900, 2700]);
  });

  it('should cap every delay at maxDelay', () => {
    const options = { initialDelay: 100, multiplier: 2, maxDelay: 300 };
    expect([1, 2, 3, 4].map((n) => exponentialDelay(n, options))).to.deep.equal([100, 200, 300, 300]);
  });

  it('should stay at maxDelay when the power overflows to Infinity', () => {
    expect(exponentialDelay(2000, { initialDelay: 1, multiplier: 2, maxDelay: 5000 })).to.equal(5000);
  });

  it('should give 0, never NaN, for an initialDelay of 0 however high the retry (multiplier^1024 overflows)', () => {
    const options = { initialDelay: 0, multiplier: 2, maxDelay: 1000 };
    expect([1, 1025, 5000].map((n) => exponentialDelay(n, options))).to.deep.equal([0, 0, 0]);
  });

  it('should be constant with multiplier 1', () => {
    const options = { initialDelay: 50, multiplier: 1, maxDelay: Infinity };
    expect([1, 5, 50].map((n) => exponentialDelay(n, options))).to.deep.equal([50, 50, 50]);
  });
});
