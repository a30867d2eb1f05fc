import { MIN_RTT, type LimitAlgorithm } from './LimitAlgorithm';

/**
 * Netflix's `WindowedLimit` with its `AverageSampleWindow`: samples are gathered for `window` ms and the
 * inner limit sees one per window, the window's average latency, its most calls in flight and whether
 * any call in it dropped; a window with fewer than `minSamples` samples is dropped whole. A window ends
 * with the first sample that ends after it (no timer), and the next starts there.
 *
 * One update per window instead of one per call is what keeps a limit from overshooting: per call, a
 * limit grows by one for every success during the round trip it takes a congestion signal to come back,
 * so it doubles while blind, and then every call started meanwhile drops. Netflix's README and
 * `Gradient2Limit`'s doc describe the limits per window ("every sampling window (ex. 1 second)").
 *
 * Guarded as the limits are: drops count (as drops, never as latency), and a success faster than
 * {@link MIN_RTT} counts in the window but adds no latency (Netflix drops it: `minRttThreshold`).
 * Netflix sizes a window as `clamp(2 * minRtt, minWindowTime, maxWindowTime)`, both 1 s by default; here
 * it is `window` ms.
 * @internal
 */
export class WindowedLimit implements LimitAlgorithm {
  readonly timed = true;
  /** Scheduler time the current window ends (`NaN` before the first sample). */
  private endsAt = NaN;
  private samples = 0;
  private timedSamples = 0;
  private rttSum = 0;
  private maxInflight = 0;
  private dropped = false;

  constructor(
    private readonly inner: LimitAlgorithm,
    private readonly window: number,
    private readonly minSamples: number,
  ) {}

  get limit(): number {
    return this.inner.limit;
  }

  update(rtt: number, inflight: number, drop: boolean, now: number): number {
    if (this.endsAt !== this.endsAt) this.endsAt = now + this.window;
    this.samples++;
    if (inflight > this.maxInflight) this.maxInflight = inflight;
    if (drop) this.dropped = true;
    else if (rtt >= MIN_RTT) {
      this.timedSamples++;
      this.rttSum += rtt;
    }
    if (!(now > this.endsAt)) return this.inner.limit;
    const ready = this.samples >= this.minSamples;
    const average = this.timedSamples > 0 ? this.rttSum / this.timedSamples : NaN;
    const { maxInflight, dropped } = this;
    this.endsAt = now + this.window;
    this.samples = 0;
    this.timedSamples = 0;
    this.rttSum = 0;
    this.maxInflight = 0;
    this.dropped = false;
    return ready ? this.inner.update(average, maxInflight, dropped, now) : this.inner.limit;
  }
}
