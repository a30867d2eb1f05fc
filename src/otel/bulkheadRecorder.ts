import type { Subscription } from 'rxjs';
import type { Bulkhead, BulkheadMetrics } from '../bulkhead/Bulkhead';
import { isBulkhead } from '../internal/brand';
import { BULKHEAD_REASON, POLICY_NAME } from './attributes';
import { AttributeSets } from './AttributeSets';
import type { GaugeSink, GaugeSource } from './GaugeSource';
import { INSTRUMENTS } from './instruments';
import type { PolicyRecorder } from './PolicyRecorder';
import type { Recording } from './Recording';

const { bulkheadActive, bulkheadQueued, bulkheadLimit, bulkheadRefusals } = INSTRUMENTS;

/** One pool's recording: everything read from the pool when the SDK collects. */
class BulkheadRecording implements GaugeSource {
  readonly instruments = [bulkheadActive, bulkheadQueued, bulkheadLimit, bulkheadRefusals];
  private readonly sets: AttributeSets;
  /** The pool's counters when recording began: totals are reported from there. */
  private readonly start: BulkheadMetrics;

  constructor(
    private readonly pool: Bulkhead,
    name: string,
  ) {
    this.sets = new AttributeSets({ [POLICY_NAME]: name });
    this.start = pool.metrics();
  }

  read(sink: GaugeSink): void {
    const { pool, sets, start } = this;
    const now = pool.metrics();
    sink.observe(bulkheadActive, now.active, sets.base);
    sink.observe(bulkheadQueued, now.queued, sets.base);
    sink.observe(bulkheadLimit, now.limit, sets.base);
    sink.observe(bulkheadRefusals, now.rejectedFull - start.rejectedFull, sets.with(BULKHEAD_REASON, 'full'));
    sink.observe(
      bulkheadRefusals,
      now.rejectedQueueTimeout - start.rejectedQueueTimeout,
      sets.with(BULKHEAD_REASON, 'queueTimeout'),
    );
  }
}

/**
 * Records a `Bulkhead` without observing its calls: `rxjs_resilience.bulkhead.active`, `.queued`,
 * `.limit` and `.refusals` (by reason, since recording began) are all read from `metrics()` when the SDK
 * collects, so an instrumented pool's calls cost what they cost without it.
 * @internal
 */
export const bulkheadRecorder: PolicyRecorder<Bulkhead> = {
  kind: 'Bulkhead',
  accepts: isBulkhead,
  record: (pool: Bulkhead, recording: Recording): Subscription =>
    recording.telemetry.observe(new BulkheadRecording(pool, recording.telemetry.policyName(pool.name))),
};
