import type { OutcomeWindow, OutcomeWindowSnapshot } from './OutcomeWindow';

/**
 * The outcomes of the last `duration` ms, in a fixed ring of `buckets` buckets of `duration / buckets` ms
 * each, with running sums. Buckets are rotated by the `now` given to `record` and `advance` (no timer): an
 * outcome leaves the window when its bucket does, so up to one bucket before `duration` has passed.
 * Recording is O(1) amortised (a rotation clears at most `buckets` buckets) and memory is three numbers
 * per bucket, whatever the call rate.
 *
 * If the clock goes backwards (a wall clock adjusted), outcomes go to the newest bucket.
 */
export class TimeWindow implements OutcomeWindow {
  readonly duration: number;
  readonly bucketCount: number;
  readonly bucketDuration: number;
  calls = 0;
  failures = 0;
  slowCalls = 0;
  private readonly bucketCalls: Float64Array;
  private readonly bucketFailures: Float64Array;
  private readonly bucketSlowCalls: Float64Array;
  /** `floor(now / bucketDuration)` of the newest bucket. */
  private latest = -Infinity;

  constructor(duration: number, buckets = 10) {
    this.duration = duration;
    this.bucketCount = buckets;
    this.bucketDuration = duration / buckets;
    this.bucketCalls = new Float64Array(buckets);
    this.bucketFailures = new Float64Array(buckets);
    this.bucketSlowCalls = new Float64Array(buckets);
  }

  record(failed: boolean, slow: boolean, now: number): void {
    this.advance(now);
    const i = this.indexOf(this.latest);
    this.bucketCalls[i]!++;
    this.calls++;
    if (failed) {
      this.bucketFailures[i]!++;
      this.failures++;
    }
    if (slow) {
      this.bucketSlowCalls[i]!++;
      this.slowCalls++;
    }
  }

  advance(now: number): void {
    const epoch = Math.floor(now / this.bucketDuration);
    if (!(epoch > this.latest)) return;
    const steps = epoch - this.latest;
    if (steps >= this.bucketCount) {
      this.clear();
    } else {
      // Walk the ring by index, not by epoch: near 2^53 an epoch + 1 rounds back to itself.
      let i = this.indexOf(this.latest);
      for (let k = 0; k < steps; k++) {
        i = i + 1 === this.bucketCount ? 0 : i + 1;
        this.drop(i);
      }
    }
    this.latest = epoch;
  }

  clear(): void {
    this.bucketCalls.fill(0);
    this.bucketFailures.fill(0);
    this.bucketSlowCalls.fill(0);
    this.calls = 0;
    this.failures = 0;
    this.slowCalls = 0;
  }

  toJSON(): OutcomeWindowSnapshot {
    const buckets: Array<{ epoch: number; calls: number; failures: number; slowCalls: number }> = [];
    if (this.latest !== -Infinity) {
      // Oldest first, walking the ring by index: near 2^53 an epoch + 1 rounds back to itself.
      const newest = this.indexOf(this.latest);
      for (let age = this.bucketCount - 1; age >= 0; age--) {
        const i = newest >= age ? newest - age : newest - age + this.bucketCount;
        const calls = this.bucketCalls[i]!;
        if (calls > 0) {
          buckets.push({
            epoch: this.latest - age,
            calls,
            failures: this.bucketFailures[i]!,
            slowCalls: this.bucketSlowCalls[i]!,
          });
        }
      }
    }
    return { type: 'time', bucketDuration: this.bucketDuration, buckets };
  }

  /**
   * Restores buckets saved with the same bucket duration; the ones older than this window's reach behind
   * the newest saved bucket are dropped. A snapshot of another window shape leaves the window empty.
   */
  restore(snapshot: OutcomeWindowSnapshot): void {
    this.clear();
    this.latest = -Infinity;
    if (snapshot.type !== 'time' || snapshot.bucketDuration !== this.bucketDuration) return;
    if (snapshot.buckets.length === 0) return;
    const newest = snapshot.buckets.reduce((max, b) => Math.max(max, b.epoch), -Infinity);
    this.latest = newest;
    for (const bucket of snapshot.buckets) {
      // By the difference, which is exact: near 2^53 `newest - bucketCount` rounds back to `newest`.
      if (newest - bucket.epoch >= this.bucketCount) continue;
      const i = this.indexOf(bucket.epoch);
      this.bucketCalls[i]! += bucket.calls;
      this.bucketFailures[i]! += bucket.failures;
      this.bucketSlowCalls[i]! += bucket.slowCalls;
      this.calls += bucket.calls;
      this.failures += bucket.failures;
      this.slowCalls += bucket.slowCalls;
    }
  }

  private drop(i: number): void {
    this.calls -= this.bucketCalls[i]!;
    this.failures -= this.bucketFailures[i]!;
    this.slowCalls -= this.bucketSlowCalls[i]!;
    this.bucketCalls[i] = 0;
    this.bucketFailures[i] = 0;
    this.bucketSlowCalls[i] = 0;
  }

  private indexOf(epoch: number): number {
    const i = epoch % this.bucketCount;
    return i < 0 ? i + this.bucketCount : i;
  }
}
