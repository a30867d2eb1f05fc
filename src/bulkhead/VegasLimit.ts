import { log10Root, MIN_RTT, type LimitAlgorithm } from './LimitAlgorithm';

/** What {@link VegasLimit} needs, defaults applied. @internal */
export interface VegasParams {
  readonly initial: number;
  readonly min: number;
  readonly max: number;
  readonly smoothing: number;
  /** A fixed alpha, or `undefined` for Netflix's `3 * log10Root(limit)`. */
  readonly alpha: number | undefined;
  /** A fixed beta, or `undefined` for Netflix's `6 * log10Root(limit)`. */
  readonly beta: number | undefined;
  readonly probeMultiplier: number;
  readonly random: () => number;
}

/**
 * Netflix's `VegasLimit._update` (TCP Vegas): the queue at the dependency is estimated from the least
 * latency seen (`rttNoLoad`) and the latest one, and the limit moves by steps of `log10Root(limit)`.
 *
 * ```text
 * queue = ceil(limit * (1 - rttNoLoad / rtt))
 * a drop:                      limit - log10Root(limit)
 * inflight * 2 < limit:        unchanged                      (app-limited)
 * queue <= log10Root(limit):   limit + beta                   (no queue: grow fast)
 * queue < alpha:               limit + log10Root(limit)
 * queue > beta:                limit - log10Root(limit)
 * else                         unchanged
 * limit = clamp((1 - smoothing) * limit + smoothing * clamp(new, min, max))
 * ```
 *
 * `rttNoLoad` is the least latency seen, re-probed every `jitter * probeMultiplier * limit` samples
 * (jitter drawn from `random` in [0.5, 1)): that sample becomes the new baseline, so a dependency that got
 * slower for good is not measured against a baseline it will never see again.
 *
 * Guarded where its users found it wrong: a drop never sets the baseline (Netflix reads a drop's latency
 * first, so one fast rejection makes `rttNoLoad` near zero and every later sample a "queue"; issue #176);
 * it only takes the decrease step. A success faster than {@link MIN_RTT} carries no latency and teaches
 * nothing (Netflix throws on a latency of zero). The estimate is a real number; the limit is its floor.
 * @internal
 */
export class VegasLimit implements LimitAlgorithm {
  limit: number;
  readonly timed = true;
  private estimate: number;
  private rttNoLoad = 0;
  private probeCount = 0;
  private probeJitter: number;

  constructor(private readonly params: VegasParams) {
    this.limit = params.initial;
    this.estimate = params.initial;
    this.probeJitter = this.jitter();
  }

  update(rtt: number, inflight: number, drop: boolean): number {
    const estimate = this.estimate;
    const step = log10Root(estimate);
    if (drop) return this.set(estimate - step);
    if (!(rtt >= MIN_RTT)) return this.limit;
    this.probeCount++;
    if (this.probeJitter * this.params.probeMultiplier * estimate <= this.probeCount) {
      this.probeJitter = this.jitter();
      this.probeCount = 0;
      this.rttNoLoad = rtt;
      return this.limit;
    }
    if (this.rttNoLoad === 0 || rtt < this.rttNoLoad) {
      this.rttNoLoad = rtt;
      return this.limit;
    }
    if (inflight * 2 < estimate) return this.limit;
    const queue = Math.ceil(estimate * (1 - this.rttNoLoad / rtt));
    const { alpha = 3 * step, beta = 6 * step } = this.params;
    if (queue <= step) return this.set(estimate + beta);
    if (queue < alpha) return this.set(estimate + step);
    if (queue > beta) return this.set(estimate - step);
    return this.limit;
  }

  private set(target: number): number {
    const { min, max, smoothing } = this.params;
    const clamped = target < min ? min : target > max ? max : target;
    this.estimate = (1 - smoothing) * this.estimate + smoothing * clamped;
    this.limit = Math.floor(this.estimate);
    return this.limit;
  }

  private jitter(): number {
    return 0.5 + this.params.random() * 0.5;
  }
}
