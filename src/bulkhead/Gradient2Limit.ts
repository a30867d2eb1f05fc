import { MIN_RTT, type LimitAlgorithm } from './LimitAlgorithm';

/** What {@link Gradient2Limit} needs, defaults applied. @internal */
export interface Gradient2Params {
  readonly initial: number;
  readonly min: number;
  readonly max: number;
  readonly smoothing: number;
  readonly queueSize: number;
  readonly longWindow: number;
  readonly rttTolerance: number;
}

/** Samples averaged plainly before the long-term average turns exponential (`ExpAvgMeasurement`'s 10). */
const WARMUP = 10;

/**
 * Netflix's `Gradient2Limit._update`: the limit follows the ratio of a long-term exponential average of
 * latency to the latest latency.
 *
 * ```text
 * longRtt  = exponential average of rtt over `longWindow` samples (a plain average of the first 10)
 * if longRtt / rtt > 2:      longRtt *= 0.95                (latency is back to normal: catch up)
 * if inflight < limit / 2:   keep the limit                 (app-limited: no evidence, no growth)
 * gradient = clamp(rttTolerance * longRtt / rtt, 0.5, 1)
 * limit    = clamp((1 - smoothing) * limit + smoothing * (limit * gradient + queueSize), min, max)
 * ```
 *
 * Guarded where its users found it wrong: Netflix feeds a drop's latency as any other and ignores the
 * drop itself, so a stream of fast rejections reads as "no queue" and steady timeouts read as a stable
 * latency, and the limit climbs to its maximum (Netflix issues #176 and #137). Here a drop never enters
 * the averages; it counts as a gradient of 0.5 (the fix proposed in Netflix PR #134: "drop translates to
 * back-pressure"). A success faster than {@link MIN_RTT} carries no latency and teaches nothing. The
 * estimate is a real number; the pool's limit is its floor.
 * @internal
 */
export class Gradient2Limit implements LimitAlgorithm {
  limit: number;
  readonly timed = true;
  private estimate: number;
  private longRtt = 0;
  private samples = 0;
  private sum = 0;

  constructor(private readonly params: Gradient2Params) {
    this.limit = params.initial;
    this.estimate = params.initial;
  }

  update(rtt: number, inflight: number, drop: boolean): number {
    const { smoothing, queueSize } = this.params;
    const estimate = this.estimate;
    if (drop) return this.set(estimate * (1 - smoothing) + (estimate * 0.5 + queueSize) * smoothing);
    if (!(rtt >= MIN_RTT)) return this.limit;
    const longRtt = this.average(rtt);
    if (longRtt / rtt > 2) this.longRtt = longRtt * 0.95;
    if (inflight < estimate / 2) return this.limit;
    const ratio = (this.params.rttTolerance * longRtt) / rtt;
    const gradient = ratio < 0.5 ? 0.5 : ratio > 1 ? 1 : ratio;
    return this.set(estimate * (1 - smoothing) + (estimate * gradient + queueSize) * smoothing);
  }

  /** Adds `rtt` to the long-term average (`ExpAvgMeasurement.add`) and returns the average. */
  private average(rtt: number): number {
    if (this.samples < WARMUP) {
      this.samples++;
      this.sum += rtt;
      this.longRtt = this.sum / this.samples;
    } else {
      const factor = 2 / (this.params.longWindow + 1);
      this.longRtt = this.longRtt * (1 - factor) + rtt * factor;
    }
    return this.longRtt;
  }

  private set(estimate: number): number {
    const { min, max } = this.params;
    this.estimate = estimate < min ? min : estimate > max ? max : estimate;
    this.limit = Math.floor(this.estimate);
    return this.limit;
  }
}
