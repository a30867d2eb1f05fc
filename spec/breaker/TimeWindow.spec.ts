import { expect } from 'chai';
import { TimeWindow } from '../../src/breaker/TimeWindow';

function sums(w: TimeWindow) {
  return { calls: w.calls, failures: w.failures, slowCalls: w.slowCalls };
}

describe('TimeWindow', () => {
  it('should split its duration into 10 buckets by default', () => {
    const w = new TimeWindow(1000);
    expect(w.bucketCount).to.equal(10);
    expect(w.bucketDuration).to.equal(100);
  });

  it('should count outcomes of the last duration ms, each leaving with its bucket', () => {
    const w = new TimeWindow(100, 4); // buckets of 25 ms
    w.record(true, false, 0);
    w.record(false, true, 30);
    w.record(true, true, 99);
    expect(sums(w)).to.deep.equal({ calls: 3, failures: 2, slowCalls: 2 });
    w.advance(100); // bucket [0, 25) leaves
    expect(sums(w)).to.deep.equal({ calls: 2, failures: 1, slowCalls: 2 });
    w.advance(124);
    expect(w.calls).to.equal(2);
    w.advance(125); // bucket [25, 50) leaves
    expect(sums(w)).to.deep.equal({ calls: 1, failures: 1, slowCalls: 1 });
  });

  it('should keep an outcome at least duration minus one bucket, and at most duration', () => {
    for (let t = 0; t < 1000; t += 7) {
      const w = new TimeWindow(100, 4);
      w.record(true, false, t);
      w.advance(t + 74);
      expect(w.calls, `recorded at ${t}, read 74 ms later`).to.equal(1);
      w.advance(t + 100);
      expect(w.calls, `recorded at ${t}, read 100 ms later`).to.equal(0);
    }
  });

  it('should clear everything after a gap of a whole duration, in bounded work', () => {
    const w = new TimeWindow(100, 4);
    w.record(true, true, 10);
    w.record(true, true, 60);
    w.advance(1e12);
    expect(sums(w)).to.deep.equal({ calls: 0, failures: 0, slowCalls: 0 });
  });

  it('should keep advancing near 2^53 ms, where an epoch + 1 rounds back to itself', () => {
    const w = new TimeWindow(10, 10); // buckets of 1 ms
    const t = 2 ** 53; // from here on only even numbers are representable
    w.record(true, false, t);
    w.record(false, false, t + 2);
    w.advance(t + 8);
    expect(w.calls).to.equal(2);
    w.advance(t + 10); // the bucket of t leaves
    expect(sums(w)).to.deep.equal({ calls: 1, failures: 0, slowCalls: 0 });
    w.advance(t + 12);
    expect(w.calls).to.equal(0);
  });

  it('should save and restore a window whose epochs are past 2^53 (the shortest buckets on a wall clock)', () => {
    const w = new TimeWindow(1e-5, 10); // buckets of 1e-6 ms: Date.now() gives epochs near 1.7e18
    const now = 1_700_000_000_000;
    w.record(true, false, now);
    w.record(false, true, now);
    const saved = w.toJSON(); // looped for ever on epoch++, which rounds back to itself up there
    expect(saved).to.deep.equal({
      type: 'time',
      bucketDuration: w.bucketDuration,
      buckets: [{ epoch: Math.floor(now / w.bucketDuration), calls: 2, failures: 1, slowCalls: 1 }],
    });
    const restored = new TimeWindow(1e-5, 10);
    restored.restore(saved);
    expect(sums(restored)).to.deep.equal({ calls: 2, failures: 1, slowCalls: 1 });
  });

  it('should put outcomes in the newest bucket when the clock goes backwards', () => {
    const w = new TimeWindow(100, 4);
    w.record(false, false, 80);
    w.record(true, false, 10);
    expect(w.calls).to.equal(2);
    w.advance(175); // the bucket of 80 ([75, 100)) leaves, with the outcome recorded "at 10"
    expect(w.calls).to.equal(0);
  });

  it('should hold memory bounded by its buckets, whatever the call rate', () => {
    const w = new TimeWindow(1000, 10);
    for (let i = 0; i < 1e5; i++) w.record(i % 4 === 0, false, i / 100);
    expect(w.calls).to.equal(1e5);
    expect(w.toJSON()).to.have.nested.property('buckets.length', 10);
  });

  it('should save non-empty buckets oldest first and restore them, dropping those out of reach', () => {
    const w = new TimeWindow(100, 4);
    w.record(true, false, 5);
    w.record(false, true, 80);
    w.record(false, false, 81);
    const saved = w.toJSON();
    expect(saved).to.deep.equal({
      type: 'time',
      bucketDuration: 25,
      buckets: [
        { epoch: 0, calls: 1, failures: 1, slowCalls: 0 },
        { epoch: 3, calls: 2, failures: 0, slowCalls: 1 },
      ],
    });
    const same = new TimeWindow(100, 4);
    same.restore(saved);
    expect(same.toJSON()).to.deep.equal(saved);
    const shorter = new TimeWindow(50, 2);
    shorter.restore(saved); // same bucket duration, reach of 2 buckets: epoch 0 is out of reach of epoch 3
    expect(sums(shorter)).to.deep.equal({ calls: 2, failures: 0, slowCalls: 1 });
    const other = new TimeWindow(100, 10);
    other.restore(saved);
    expect(other.calls).to.equal(0);
  });
});
