import { expect } from 'chai';
import type { LimitAlgorithm } from '../../src/bulkhead/LimitAlgorithm';
import { WindowedLimit } from '../../src/bulkhead/WindowedLimit';

/** A limit that records what it is fed. */
function recorder(): LimitAlgorithm & { seen: Array<[number, number, boolean, number]> } {
  const seen: Array<[number, number, boolean, number]> = [];
  return {
    limit: 7,
    timed: true,
    seen,
    update(rtt, inflight, drop, now) {
      seen.push([rtt, inflight, drop, now]);
      return 7;
    },
  };
}

describe('WindowedLimit', () => {
  it('should feed one sample per window: average latency, most in flight, any drop', () => {
    const inner = recorder();
    const limit = new WindowedLimit(inner, 100, 3);
    limit.update(10, 2, false, 0); // the window is [0, 100]
    limit.update(30, 5, false, 50);
    limit.update(0, 1, true, 100); // a drop: counted, not timed
    expect(inner.seen).to.deep.equal([]);
    expect(limit.update(20, 3, false, 101)).to.equal(7); // ends after the window: it closes
    expect(inner.seen).to.deep.equal([[20, 5, true, 101]]); // (10 + 30 + 20) / 3
  });

  it('should drop a window with fewer than minSamples samples, and start the next where it closed', () => {
    const inner = recorder();
    const limit = new WindowedLimit(inner, 100, 3);
    limit.update(10, 1, false, 0);
    limit.update(10, 1, false, 150); // closes [0, 100] with 2 samples: dropped; next ends at 250
    limit.update(10, 1, false, 200);
    limit.update(10, 1, false, 250);
    expect(inner.seen).to.deep.equal([]);
    limit.update(40, 2, false, 251);
    expect(inner.seen).to.deep.equal([[20, 2, false, 251]]); // (10 + 10 + 40) / 3
  });

  it('should count successes faster than 0.1 ms without timing them', () => {
    const inner = recorder();
    const limit = new WindowedLimit(inner, 10, 2);
    limit.update(0, 4, false, 0);
    limit.update(0, 4, false, 11);
    expect(inner.seen).to.deep.equal([[NaN, 4, false, 11]]);
  });

  it('should read the inner limit', () => {
    expect(new WindowedLimit(recorder(), 10, 2).limit).to.equal(7);
  });
});
