import { Subscription } from 'rxjs';
import { Bulkhead } from '../bulkhead/Bulkhead';
import type { BulkheadEvent } from '../bulkhead/BulkheadEvent';
import { BULKHEAD_REASON, POLICY_NAME } from './attributes';
import { AttributeSets } from './AttributeSets';
import type { GaugeSink, GaugeSource } from './GaugeSource';
import { INSTRUMENTS } from './instruments';
import type { PolicyRecorder } from './PolicyRecorder';
import type { Recording } from './Recording';
import type { Telemetry } from './Telemetry';

const { bulkheadActive, bulkheadQueued, bulkheadLimit, bulkheadRefusals, bulkheadQueueDuration } =
  INSTRUMENTS;

/** One pool's recording: its attribute sets, its event handler and its occupancy gauges. */
class BulkheadRecording implements GaugeSource {
  readonly instruments = [bulkheadActive, bulkheadQueued, bulkheadLimit];
  private readonly sets: AttributeSets;

  constructor(
    private readonly pool: Bulkhead,
    private readonly telemetry: Telemetry,
  ) {
    this.sets = new AttributeSets({ [POLICY_NAME]: pool.name });
  }

  read(sink: GaugeSink): void {
    const { base } = this.sets;
    sink.observe(bulkheadActive, this.pool.active, base);
    sink.observe(bulkheadQueued, this.pool.queued, base);
    sink.observe(bulkheadLimit, this.pool.maxConcurrent, base);
  }

  readonly onEvent = (event: BulkheadEvent): void => {
    if (event.type === 'rejected') {
      this.telemetry.meters().get(bulkheadRefusals).add(1, this.sets.with(BULKHEAD_REASON, event.reason));
    } else if (event.type === 'started') {
      this.telemetry
        .meters()
        .get(bulkheadQueueDuration)
        .record(event.waited / 1000, this.sets.base);
    }
  };
}

/**
 * Records a `Bulkhead`: `rxjs_resilience.bulkhead.refusals` (by reason) and `.queue.duration` (the wait
 * of each queued call that took a slot) from `events$`, and `.active`, `.queued` and `.limit` read at
 * collection time.
 * @internal
 */
export const bulkheadRecorder: PolicyRecorder<Bulkhead> = {
  kind: 'Bulkhead',
  accepts: (policy): policy is Bulkhead => policy instanceof Bulkhead,
  record(pool: Bulkhead, recording: Recording): Subscription {
    const recorder = new BulkheadRecording(pool, recording.telemetry);
    const subscription = new Subscription();
    subscription.add(pool.events$.subscribe(recorder.onEvent));
    subscription.add(recording.telemetry.observe(recorder));
    return subscription;
  },
};
