import { expect } from 'chai';
import { AimdLimit, type AimdParams } from '../../src/bulkhead/AimdLimit';

const aimd = (params: Partial<AimdParams> & { initial: number }): AimdLimit =>
  new AimdLimit({ min: 1, max: 200, backoffRatio: 0.9, slowCallDuration: Infinity, ...params });

// Netflix concurrency-limits AIMDLimitTest (rtt in ms here, in ns there), then this library's rules.
describe('AimdLimit', () => {
  it('should start at the initial limit (Netflix testDefault)', () => {
    expect(aimd({ initial: 10 }).limit).to.equal(10);
  });

  it('should add one after a success while at least half the limit ran (Netflix increaseOnSuccess)', () => {
    const limit = aimd({ initial: 20 });
    expect(limit.update(1, 10, false)).to.equal(21);
  });

  it('should multiply by 0.9, floored, after a drop (Netflix decreaseOnDrops)', () => {
    const limit = aimd({ initial: 30 });
    expect(limit.update(0, 0, true)).to.equal(27);
    expect(limit.update(0, 0, true)).to.equal(24); // floor(24.3)
  });

  it('should stay at max after a success at max (Netflix successOverflow)', () => {
    const limit = aimd({ initial: 21, max: 21 });
    expect(limit.update(1, 10, false)).to.equal(21);
  });

  it('should not grow while fewer than half the limit ran (app-limited)', () => {
    const limit = aimd({ initial: 20 });
    expect(limit.update(1, 9, false)).to.equal(20);
    expect(limit.update(1, 10, false)).to.equal(21);
  });

  it('should not fall below min', () => {
    const limit = aimd({ initial: 2, min: 2 });
    expect(limit.update(0, 1, true)).to.equal(2);
    const one = aimd({ initial: 1 });
    expect(one.update(0, 1, true)).to.equal(1); // floor(0.9) = 0, held at min 1
  });

  it('should take a success slower than slowCallDuration as a drop (Netflix timeout)', () => {
    const limit = aimd({ initial: 10, slowCallDuration: 150 });
    expect(limit.timed).to.equal(true);
    expect(limit.update(150, 10, false)).to.equal(11);
    expect(limit.update(151, 10, false)).to.equal(9);
  });

  it('should read no clock unless slowCallDuration is set', () => {
    expect(aimd({ initial: 10 }).timed).to.equal(false);
  });

  it('should back off by backoffRatio', () => {
    const limit = aimd({ initial: 10, backoffRatio: 0.5 });
    expect(limit.update(0, 1, true)).to.equal(5);
    expect(limit.update(0, 1, true)).to.equal(2); // floor(2.5)
  });
});
