import type { Attributes, BatchObservableCallback, Meter, Observable } from '@opentelemetry/api';
import type { GaugeSink, ObservableSpec } from './GaugeSource';
import { Meters } from './Meters';
import { providerFailure } from './providerFailure';

/** What reports into a meter's one callback: the recording of one `instrument` call. @internal */
export interface MeterMember {
  /** Puts every count and gauge it has into `sink` (values of equal attribute sets add up). */
  collect(sink: GaugeSink): void;
}

/** Sums of one collection: per instrument, per attribute set (by content). */
class Sums implements GaugeSink {
  readonly values = new Map<ObservableSpec, Map<string, { attributes: Attributes; value: number }>>();

  observe(spec: ObservableSpec, value: number, attributes: Attributes): void {
    let bySet = this.values.get(spec);
    if (bySet === undefined) {
      bySet = new Map();
      this.values.set(spec, bySet);
    }
    const key = JSON.stringify(attributes);
    const sum = bySet.get(key);
    if (sum === undefined) bySet.set(key, { attributes, value });
    else sum.value += value;
  }
}

/** One per meter, whichever `instrument` call reached it first. */
const byMeter = new WeakMap<Meter, SharedMeter>();

/**
 * The instruments of one `Meter` and the ONE batch observable callback that reports every count and gauge
 * recorded into it, by every `instrument` call of the process. The SDK keeps one series per instrument
 * and attribute set, and when two callbacks observe the same series in one collection the last one wins
 * (a gauge) or the two are taken for successive totals (a counter, which then grows with no call at all):
 * so two `instrument` calls whose policies share a name (`unnamed` breakers, `bulkhead` pools) must add
 * up in one callback, as policies of one call do.
 *
 * The callback is registered for the instruments some member uses, and registered again only when that
 * set changes, so a registry adding its ten thousandth pool costs O(1). A meter that throws while
 * (un)registering is reported once through `diag` and otherwise ignored.
 * @internal
 */
export class SharedMeter {
  readonly meters: Meters;
  private readonly members = new Set<MeterMember>();
  /** How many members use each observable instrument. */
  private readonly uses = new Map<ObservableSpec, number>();
  /** The observables the callback is registered with, if it is. */
  private registered: Observable[] | undefined;
  private readonly callback: BatchObservableCallback = (result) => {
    const sums = new Sums();
    for (const member of this.members) member.collect(sums);
    for (const [spec, bySet] of sums.values) {
      if (!this.uses.has(spec)) continue; // not registered: the SDK would refuse it
      const observable = this.meters.get(spec);
      for (const { attributes, value } of bySet.values()) result.observe(observable, value, attributes);
    }
  };

  private constructor(readonly meter: Meter) {
    this.meters = new Meters(meter);
  }

  /** The shared meter of `meter`, made on first use. */
  static of(meter: Meter): SharedMeter {
    let shared = byMeter.get(meter);
    if (shared === undefined) {
      shared = new SharedMeter(meter);
      byMeter.set(meter, shared);
    }
    return shared;
  }

  /** Adds `member`, which uses `specs` (each counted as by {@link SharedMeter.use}). */
  join(member: MeterMember, specs: Iterable<ObservableSpec>): void {
    this.members.add(member);
    for (const spec of specs) this.use(spec);
  }

  /** Removes `member`, giving back its `specs`. */
  leave(member: MeterMember, specs: Iterable<ObservableSpec>): void {
    if (!this.members.delete(member)) return;
    for (const spec of specs) this.release(spec);
  }

  /** One more member reports `spec`. */
  use(spec: ObservableSpec): void {
    const n = this.uses.get(spec) ?? 0;
    this.uses.set(spec, n + 1);
    if (n === 0) this.register();
  }

  /** One member fewer reports `spec`. */
  release(spec: ObservableSpec): void {
    const n = this.uses.get(spec);
    if (n === undefined) return;
    if (n > 1) {
      this.uses.set(spec, n - 1);
      return;
    }
    this.uses.delete(spec);
    this.register();
  }

  /** (Re)registers the callback for every instrument in use, or for none. */
  private register(): void {
    const previous = this.registered;
    this.registered = undefined;
    if (previous !== undefined) {
      try {
        this.meter.removeBatchObservableCallback(this.callback, previous);
      } catch (error) {
        providerFailure('Meter.removeBatchObservableCallback', error);
      }
    }
    if (this.uses.size === 0) return;
    const observables = Array.from(this.uses.keys(), (spec) => this.meters.get(spec));
    try {
      this.meter.addBatchObservableCallback(this.callback, observables);
      this.registered = observables;
    } catch (error) {
      providerFailure('Meter.addBatchObservableCallback', error);
    }
  }
}
