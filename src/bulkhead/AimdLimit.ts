import type { LimitAlgorithm } from './LimitAlgorithm';

/** What {@link AimdLimit} needs, defaults applied. @internal */
export interface AimdParams {
  readonly initial: number;
  readonly min: number;
  readonly max: number;
  readonly backoffRatio: number;
  readonly slowCallDuration: number;
}

/**
 * Additive increase, multiplicative decrease, exactly as Netflix's `AIMDLimit._update` (DESIGN 2.11):
 * after a drop, or a success slower than `slowCallDuration` (Netflix's `timeout`), the limit becomes
 * `max(min, floor(limit * backoffRatio))`; after a success while at least half the limit ran
 * (`inflight * 2 >= limit`, counted when the call took its slot, itself included), `min(max, limit + 1)`;
 * else it stays. The half-limit rule is the app-limited guard: a pool its callers never fill has not
 * shown that the dependency could take more, so it does not grow.
 * @internal
 */
export class AimdLimit implements LimitAlgorithm {
  limit: number;
  readonly timed: boolean;

  constructor(private readonly params: AimdParams) {
    this.limit = params.initial;
    this.timed = params.slowCallDuration !== Infinity;
  }

  update(rtt: number, inflight: number, drop: boolean): number {
    const { min, max, backoffRatio, slowCallDuration } = this.params;
    const limit = this.limit;
    if (drop || rtt > slowCallDuration) {
      const next = Math.floor(limit * backoffRatio);
      this.limit = next > min ? next : min;
    } else if (inflight * 2 >= limit && limit < max) {
      this.limit = limit + 1;
    }
    return this.limit;
  }
}
