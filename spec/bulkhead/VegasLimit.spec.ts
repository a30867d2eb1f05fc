import { expect } from 'chai';
import { VegasLimit, type VegasParams } from '../../src/bulkhead/VegasLimit';

/** Netflix VegasLimitTest's `create()`: alpha 3, beta 6, smoothing 1, initial 10, max 20. */
const create = (params: Partial<VegasParams> = {}): VegasLimit =>
  new VegasLimit({
    initial: 10,
    min: 1,
    max: 20,
    smoothing: 1,
    alpha: 3,
    beta: 6,
    probeMultiplier: 30,
    random: () => 0.99,
    ...params,
  });

// Netflix concurrency-limits VegasLimitTest (rtt in ms here, in ns there), then this library's guards.
describe('VegasLimit', () => {
  it('should grow by 6 * log10 at a large limit when nothing queues (Netflix largeLimitIncrease)', () => {
    const limit = create({ initial: 10000, max: 20000, alpha: undefined, beta: undefined });
    expect(limit.update(10_000, 5000, false)).to.equal(10000); // first sample: the baseline
    expect(limit.update(10_000, 6000, false)).to.equal(10024);
  });

  it('should grow by beta when nothing queues (Netflix increaseLimit)', () => {
    const limit = create();
    expect(limit.update(10, 10, false)).to.equal(10);
    expect(limit.update(10, 11, false)).to.equal(16);
  });

  it('should shrink by log10 when the queue is above beta (Netflix decreaseLimit)', () => {
    const limit = create();
    expect(limit.update(10, 10, false)).to.equal(10);
    expect(limit.update(50, 11, false)).to.equal(9);
  });

  it('should hold between alpha and beta (Netflix noChangeIfWithinThresholds)', () => {
    const limit = create();
    expect(limit.update(10, 10, false)).to.equal(10);
    expect(limit.update(14, 14, false)).to.equal(10);
  });

  it('should smooth each move (Netflix decreaseSmoothing, with the default decrease)', () => {
    const limit = create({ initial: 100, max: 200, smoothing: 0.5, alpha: undefined, beta: undefined });
    expect(limit.update(10, 100, false)).to.equal(100);
    // queue = ceil(100 * (1 - 10/20)) = 50 > beta 12: target 100 - 2 = 98, halfway: 99.
    expect(limit.update(20, 100, false)).to.equal(99);
  });

  it('should not grow while fewer than half the limit ran (app-limited)', () => {
    const limit = create();
    limit.update(10, 10, false);
    expect(limit.update(10, 4, false)).to.equal(10);
  });

  it('should shrink by log10 on a drop without taking its latency as the baseline (issue #176)', () => {
    const limit = create();
    expect(limit.update(0, 10, true)).to.equal(9); // a fast rejection: a drop, no baseline
    expect(limit.update(10, 10, false)).to.equal(9); // the first timed success sets the baseline
    expect(limit.update(10, 10, false)).to.equal(15); // and nothing queues against it
  });

  it('should learn nothing from a success faster than 0.1 ms (Netflix throws on rtt 0)', () => {
    const limit = create();
    expect(limit.update(0, 10, false)).to.equal(10);
    expect(limit.update(10, 10, false)).to.equal(10); // still the first timed sample: the baseline
  });

  it('should re-probe the baseline after jitter * probeMultiplier * limit samples', () => {
    // random 0: jitter 0.5, so a probe every 0.5 * 2 * 10 = 10 samples.
    const limit = create({ probeMultiplier: 2, random: () => 0 });
    limit.update(10, 10, false); // baseline 10 ms
    for (let i = 0; i < 8; i++) limit.update(14, 10, false); // queue 3: hold
    expect(limit.update(30, 10, false)).to.equal(10); // the 10th: a probe, the new baseline is 30 ms
    expect(limit.update(30, 10, false)).to.equal(16); // nothing queues against 30 ms
  });

  it('should stay within [min, max]', () => {
    const limit = create({ initial: 18 });
    limit.update(10, 18, false);
    expect(limit.update(10, 18, false)).to.equal(20);
    const low = create({ initial: 2, min: 2 });
    expect(low.update(0, 2, true)).to.equal(2);
  });
});
