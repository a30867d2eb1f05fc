import {
  createNoopMeter,
  type Histogram,
  type Meter,
  type ObservableCounter,
  type ObservableGauge,
  type ObservableUpDownCounter,
} from '@opentelemetry/api';
import { DURATION_BUCKETS, type InstrumentKind, type InstrumentSpec } from './instruments';
import { providerFailure } from './providerFailure';

/** Where an instrument comes from when a meter throws instead of making it. @internal */
export const NOOP_METER: Meter = createNoopMeter();

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
 * provider changes (an SDK registered after `instrument`), `Telemetry` moves to another `Meters`. A meter
 * that throws instead of making an instrument gives the API's no-op one (reported once through `diag`).
 * @internal
 */
export class Meters {
  private readonly made = new Map<InstrumentSpec, unknown>();

  constructor(readonly meter: Meter) {}

  get<K extends InstrumentKind>(spec: InstrumentSpec<K>): InstrumentOf<K> {
    let instrument = this.made.get(spec);
    if (instrument === undefined) {
      try {
        instrument = this.create(this.meter, spec);
      } catch (error) {
        providerFailure(`Meter.create ${spec.kind}`, error);
        instrument = this.create(NOOP_METER, spec);
      }
      this.made.set(spec, instrument);
    }
    return instrument as InstrumentOf<K>;
  }

  private create(meter: Meter, spec: InstrumentSpec): unknown {
    const options = { unit: spec.unit, description: spec.description };
    switch (spec.kind) {
      case 'observableCounter':
        return meter.createObservableCounter(spec.name, options);
      case 'histogram':
        return meter.createHistogram(spec.name, {
          ...options,
          advice: { explicitBucketBoundaries: [...DURATION_BUCKETS] },
        });
      case 'observableUpDownCounter':
        return meter.createObservableUpDownCounter(spec.name, options);
      case 'observableGauge':
        return meter.createObservableGauge(spec.name, options);
    }
  }
}
