import { expect } from 'chai';
import { Gradient2Limit, type Gradient2Params } from '../../src/bulkhead/Gradient2Limit';

const gradient2 = (params: Partial<Gradient2Params> = {}): Gradient2Limit =>
  new Gradient2Limit({
    initial: 20,
    min: 20,
    max: 200,
    smoothing: 0.2,
    queueSize: 4,
    longWindow: 600,
    rttTolerance: 1.5,
    ...params,
  });

/** Feeds `count` samples of `rtt` ms with `inflight` calls; returns the limits after each. */
function feed(limit: Gradient2Limit, count: number, rtt: number, inflight: number): number[] {
  return Array.from({ length: count }, () => limit.update(rtt, inflight, false));
}

describe('Gradient2Limit', () => {
  it('should grow by smoothing * queueSize per sample while latency holds (gradient 1)', () => {
    const limit = gradient2();
    // estimate: 20 -> 20.8 -> 21.6 -> 22.4 -> 23.2 -> 24: the limit is its floor.
    expect(feed(limit, 5, 10, 20)).to.deep.equal([20, 21, 22, 23, 24]);
  });

  it('should not grow while fewer than half the estimate ran (app-limited)', () => {
    const limit = gradient2();
    expect(feed(limit, 3, 10, 9)).to.deep.equal([20, 20, 20]);
  });

  it('should shrink with a gradient clamped at 0.5 when latency jumps', () => {
    const limit = gradient2({ initial: 100 });
    feed(limit, 10, 10, 100); // warm-up: a plain average, the estimate grows to 108
    // longRtt = (10 * 600 + 40 * 2) / 601 after the jump ~ 10.1: 1.5 * 10.1 / 40 < 0.5, so 0.5:
    // 108 * 0.8 + (108 * 0.5 + 4) * 0.2 = 98
    expect(limit.update(40, 100, false)).to.equal(98);
  });

  it('should keep the limit where latency is within rttTolerance of the long-term average', () => {
    const limit = gradient2({ initial: 100, max: 100 });
    feed(limit, 10, 10, 100);
    expect(limit.update(15, 100, false)).to.equal(100); // 1.5 * ~10 / 15 ~ 1: no queue
  });

  it('should take a drop as a gradient of 0.5, leaving the averages alone (Netflix PR #134, issue #176)', () => {
    const limit = gradient2({ initial: 100 });
    expect(limit.update(0, 100, true)).to.equal(90); // 100 * 0.8 + (50 + 4) * 0.2 = 90.8
    // The drop's zero latency never entered the average: the first timed sample sets it, no queue seen.
    expect(limit.update(10, 100, false)).to.equal(91);
  });

  it('should shrink after a drop even while app-limited', () => {
    expect(gradient2({ initial: 100 }).update(5, 1, true)).to.equal(90);
  });

  it('should learn nothing from a success faster than 0.1 ms (issue #176)', () => {
    const limit = gradient2({ initial: 100, max: 100 });
    expect(feed(limit, 3, 0, 100)).to.deep.equal([100, 100, 100]);
    feed(limit, 10, 10, 100);
    expect(limit.update(40, 100, false)).to.be.below(100); // the average is 10, not pulled to 0
  });

  it('should pull the long-term average down when latency falls under half of it', () => {
    const limit = gradient2({ initial: 100, max: 100 });
    feed(limit, 10, 100, 100); // long-term 100 ms
    feed(limit, 30, 10, 100); // each sample: 100/10 > 2, the average also decays by 0.95
    // Without the decay the average would still be ~91 ms; with it, back under 2x of 10 ms soon.
    const longRtt = (limit as unknown as { longRtt: number }).longRtt;
    expect(longRtt).to.be.below(25);
  });

  it('should stay within [min, max]', () => {
    const limit = gradient2({ initial: 20, max: 21 });
    expect(feed(limit, 5, 10, 20)).to.deep.equal([20, 21, 21, 21, 21]);
    const low = gradient2({ initial: 20 });
    expect(low.update(0, 20, true)).to.equal(20);
  });
});
