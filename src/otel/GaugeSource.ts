import type { Attributes } from '@opentelemetry/api';
import type { InstrumentSpec } from './instruments';

/** An instrument whose value is read when the SDK collects, never recorded. @internal */
export type ObservableSpec = InstrumentSpec<
  'observableCounter' | 'observableUpDownCounter' | 'observableGauge'
>;

/** Where a {@link GaugeSource} puts what it reads. Values of equal attribute sets add up. @internal */
export interface GaugeSink {
  observe(spec: ObservableSpec, value: number, attributes: Attributes): void;
}

/**
 * Something read at collection time (a breaker's state, a pool's occupancy, a pool's refusals so far):
 * the instruments it fills and how it reads them. Reading at collection time costs the calls nothing, is
 * exact whatever happened between two collections, and needs no event: a breaker that turned halfOpen
 * with nobody calling still reads halfOpen.
 * @internal
 */
export interface GaugeSource {
  readonly instruments: ReadonlyArray<ObservableSpec>;
  read(sink: GaugeSink): void;
}
