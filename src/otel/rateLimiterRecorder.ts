import type { Subscription } from 'rxjs';
import type { RateLimiter, RateLimiterMetrics } from '../limiter/RateLimiter';
import { isRateLimiter } from '../internal/brand';
import { POLICY_NAME, RATE_LIMITER_RESULT } from './attributes';
import { AttributeSets } from './AttributeSets';
import type { GaugeSink, GaugeSource } from './GaugeSource';
import { INSTRUMENTS } from './instruments';
import type { PolicyRecorder } from './PolicyRecorder';
import type { Recording } from './Recording';

const { rateLimiterCalls, rateLimiterWaiting, rateLimiterPenalties, rateLimiterKeys } = INSTRUMENTS;

/** The counters of `metrics()` reported as `rxjs_resilience.rate_limiter.calls`, by result. */
const RESULTS = [
  ['admitted', 'admitted'],
  ['delayed', 'delayed'],
  ['refused', 'rejected'],
  ['failed', 'failed'],
] as const;

/** One limiter's recording: everything read from the limiter when the SDK collects. */
class RateLimiterRecording implements GaugeSource {
  readonly instruments = [rateLimiterCalls, rateLimiterWaiting, rateLimiterPenalties, rateLimiterKeys];
  private readonly sets: AttributeSets;
  /** The limiter's counters when recording began: totals are reported from there. */
  private readonly start: RateLimiterMetrics;

  constructor(
    private readonly limiter: RateLimiter,
    name: string,
  ) {
    this.sets = new AttributeSets({ [POLICY_NAME]: name });
    this.start = limiter.metrics();
  }

  read(sink: GaugeSink): void {
    const { sets, start } = this;
    const now = this.limiter.metrics();
    for (const [result, field] of RESULTS) {
      sink.observe(rateLimiterCalls, now[field] - start[field], sets.with(RATE_LIMITER_RESULT, result));
    }
    sink.observe(rateLimiterWaiting, now.waiting, sets.base);
    sink.observe(rateLimiterPenalties, now.penalties - start.penalties, sets.base);
    if (now.keys !== undefined) sink.observe(rateLimiterKeys, now.keys, sets.base);
  }
}

/**
 * Records a `RateLimiter` without observing its calls: `rxjs_resilience.rate_limiter.calls` (by result,
 * since recording began), `.waiting`, `.penalties` and `.keys` (how many keys, never which) are read from
 * `metrics()` when the SDK collects, so a limited call costs what it costs without it. No attribute
 * carries a key.
 * @internal
 */
export const rateLimiterRecorder: PolicyRecorder<RateLimiter> = {
  kind: 'RateLimiter',
  accepts: isRateLimiter,
  record: (limiter: RateLimiter, recording: Recording): Subscription =>
    recording.telemetry.observe(
      new RateLimiterRecording(limiter, recording.telemetry.policyName(limiter.name)),
    ),
};
