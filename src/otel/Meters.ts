import type {
  Histogram,
  Meter,
  ObservableCounter,
  ObservableGauge,
  ObservableUpDownCounter,
} from '@opentelemetry/api';
import { DURATION_BUCKETS, type InstrumentKind, type InstrumentSpec } from './instruments';

/** The API instrument of each kind. @internal */
export type InstrumentOf<K extends InstrumentKind> = K extends 'observableCounter'
  ? ObservableCounter
  : K extends 'histogram'
    ? Histogram
    : K extends 'observableUpDownCounter'
      ? ObservableUpDownCounter
      : ObservableGauge;

/**
 * The instruments of one `Meter`, each created on its first use and kept: an application that only has
 * breakers exports no empty bulkhead metric. Bound to one meter, so to one `MeterProvider`: when the
 * provider changes (an SDK registered after `instrument`), `Telemetry` builds a new `Meters`.
 * @internal
 */
export class Meters {
  private readonly made = new Map<InstrumentSpec, unknown>();

  constructor(readonly meter: Meter) {}

  get<K extends InstrumentKind>(spec: InstrumentSpec<K>): InstrumentOf<K> {
    let instrument = this.made.get(spec);
    if (instrument === undefined) {
      instrument = this.create(spec);
      this.made.set(spec, instrument);
    }
    return instrument as InstrumentOf<K>;
  }

  private create(spec: InstrumentSpec): unknown {
    const options = { unit: spec.unit, description: spec.description };
    switch (spec.kind) {
      case 'observableCounter':
        return this.meter.createObservableCounter(spec.name, options);
      case 'histogram':
        return this.meter.createHistogram(spec.name, {
          ...options,
          advice: { explicitBucketBoundaries: [...DURATION_BUCKETS] },
        });
      case 'observableUpDownCounter':
        return this.meter.createObservableUpDownCounter(spec.name, options);
      case 'observableGauge':
        return this.meter.createObservableGauge(spec.name, options);
    }
  }
}
