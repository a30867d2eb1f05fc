import {
  metrics,
  ProxyTracerProvider,
  trace,
  type Attributes,
  type BatchObservableCallback,
  type BatchObservableResult,
  type MeterProvider,
  type Observable,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { Subscription } from 'rxjs';
import type { GaugeSink, GaugeSource, ObservableSpec } from './GaugeSource';
import type { InstrumentSpec } from './instruments';
import { Meters } from './Meters';
import { watchGlobalProvider } from './watchGlobalProvider';

/** What the global tracer provider delegates to while no SDK is registered (the API's no-op). */
const NO_TRACER_PROVIDER = new ProxyTracerProvider().getDelegate();

/** The instrumentation scope of every meter and tracer: the package's name. @internal */
export const SCOPE = 'rxjs-resilience';

/** Where telemetry goes: explicit providers, or the global ones as they are at each record. @internal */
export interface TelemetryProviders {
  readonly meterProvider?: MeterProvider | undefined;
  readonly tracerProvider?: TracerProvider | undefined;
}

/** A counter kept here, reported cumulatively at each collection. */
type CounterSpec = InstrumentSpec<'observableCounter'>;

/** One series of a counter: its attributes and its total since `instrument`. @internal */
export interface Count {
  readonly attributes: Attributes;
  value: number;
}

/** The series of one counter: found by the attribute object a recorder holds, or by content. */
interface Counts {
  readonly byObject: WeakMap<Attributes, Count>;
  readonly byContent: Map<string, Count>;
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

/**
 * The meters and tracer of one `instrument` call, resolved lazily.
 *
 * OpenTelemetry's JS metrics API has no delegating provider (opentelemetry-js #3622): an instrument made
 * from the global provider before an SDK registers stays a no-op forever. So every record first asks for
 * the provider in force (the explicit one, or `metrics.getMeterProvider()`, a property read) and, when it
 * changed, makes its instruments anew on the new provider and moves its observable callback there. With
 * the global provider, an unref'd timer asks too, twice a second, for recordings whose policies have no
 * event to notice a new provider by (a pool, read only when the SDK collects).
 *
 * Counts are kept here, not in the SDK: `add` is an increment on a plain object, and ONE batch callback
 * reports every count (cumulative since `instrument`, as observable counters) and every gauge (breaker
 * state, pool occupancy, read from the policies) when the SDK collects. The SDK's synchronous `add`
 * hashes its attributes on every call (about as long as a whole breaker call), so counting here keeps
 * recording off the calls' path; and an SDK registered after `instrument` receives the counts from
 * `instrument` on. Counts are keyed by attribute content and outlive the policy that made them (a
 * registry evicting a pool must not make a counter go down); gauges of policies sharing a name are summed
 * (ten breakers named `per-host` report how many of them are open). Only durations are recorded at once,
 * as histograms: the metrics API has no observable histogram.
 * @internal
 */
export class Telemetry {
  private provider: MeterProvider | undefined;
  private current: Meters | undefined;
  private readonly counts = new Map<CounterSpec, Counts>();
  private readonly sources = new Set<GaugeSource>();
  /** How many sources fill each instrument: the callback is re-registered only when the set of observable
   * instruments changes, so a registry adding its ten thousandth pool costs O(1). */
  private readonly sourceSpecs = new Map<ObservableSpec, number>();
  /** The meter and observables the batch callback is registered with, if it is. */
  private registered: { readonly meters: Meters; readonly observables: Observable[] } | undefined;
  private readonly callback: BatchObservableCallback = (result) => this.collect(result);
  /** Where the last totals of a source that went are kept, as counts (its gauges are dropped). */
  private readonly retired: GaugeSink = {
    observe: (spec, value, attributes) => {
      if (spec.kind === 'observableCounter' && value !== 0) this.add(spec as CounterSpec, attributes, value);
    },
  };

  private tracerProvider: TracerProvider | undefined;
  private currentTracer: Tracer | undefined;
  private closed = false;

  /** Stops the poll for a new global provider (none with an explicit `meterProvider`). */
  private readonly unwatch: () => void;

  constructor(private readonly providers: TelemetryProviders) {
    this.unwatch =
      providers.meterProvider === undefined ? watchGlobalProvider(() => this.meters()) : () => undefined;
  }

  /** The instruments of the meter provider in force now (moving the callback there if it changed). */
  meters(): Meters {
    const provider = this.providers.meterProvider ?? metrics.getMeterProvider();
    if (provider !== this.provider) this.switchTo(provider);
    return this.current!;
  }

  /**
   * The tracer of the tracer provider in force now, or `undefined` while the global provider has no SDK
   * behind it (every span would be a no-op: not worth starting one per call).
   */
  tracer(): Tracer | undefined {
    const provider = this.providers.tracerProvider ?? trace.getTracerProvider();
    if (provider instanceof ProxyTracerProvider && provider.getDelegate() === NO_TRACER_PROVIDER)
      return undefined;
    if (provider !== this.tracerProvider) {
      this.tracerProvider = provider;
      this.currentTracer = provider.getTracer(SCOPE);
    }
    return this.currentTracer;
  }

  /**
   * The count of the counter `spec` at `attributes`, made on first use: increment its `value` (after
   * {@link Telemetry.meters}, so a new provider is noticed). Hold on to it, or to `attributes` (an
   * `AttributeSets` entry): it is then found by identity, without hashing.
   */
  count(spec: CounterSpec, attributes: Attributes): Count {
    let counts = this.counts.get(spec);
    if (counts === undefined) {
      counts = { byObject: new WeakMap(), byContent: new Map() };
      this.counts.set(spec, counts);
      if (!this.closed) this.register(this.meters());
    }
    let count = counts.byObject.get(attributes);
    if (count === undefined) {
      const key = JSON.stringify(attributes);
      count = counts.byContent.get(key);
      if (count === undefined) {
        count = { attributes, value: 0 };
        counts.byContent.set(key, count);
      }
      counts.byObject.set(attributes, count);
    }
    return count;
  }

  /** Adds `n` to the counter `spec` at `attributes`. */
  add(spec: CounterSpec, attributes: Attributes, n = 1): void {
    if (this.closed) return;
    this.meters();
    this.count(spec, attributes).value += n;
  }

  /** Records `value` in the histogram `spec` at `attributes`, in the SDK at once. */
  record(spec: InstrumentSpec<'histogram'>, value: number, attributes: Attributes): void {
    if (this.closed) return;
    this.meters().get(spec).record(value, attributes);
  }

  /**
   * Reads `source` at every collection until the returned subscription is unsubscribed. Its gauges are
   * values as they are, dropped when the source goes; its counters are totals since the source started,
   * read once more when it goes and kept, so a counter shared by policies of one name never goes down
   * when a registry evicts one of them.
   */
  observe(source: GaugeSource): Subscription {
    if (this.closed || this.sources.has(source)) return Subscription.EMPTY;
    this.sources.add(source);
    let changed = false;
    for (const spec of source.instruments) {
      const count = this.sourceSpecs.get(spec) ?? 0;
      this.sourceSpecs.set(spec, count + 1);
      if (count === 0) changed = true;
    }
    const meters = this.meters();
    if (changed || this.registered === undefined) this.register(meters);
    return new Subscription(() => {
      if (this.closed || !this.sources.delete(source)) return;
      source.read(this.retired);
      let changed = false;
      for (const spec of source.instruments) {
        const count = this.sourceSpecs.get(spec)! - 1;
        if (count === 0) {
          this.sourceSpecs.delete(spec);
          changed = true;
        } else this.sourceSpecs.set(spec, count);
      }
      if (changed) this.register(this.meters());
    });
  }

  /** Removes the observable callback and forgets every source and count. */
  close(): void {
    this.closed = true;
    this.unwatch();
    this.sources.clear();
    this.sourceSpecs.clear();
    this.counts.clear();
    this.unregister();
  }

  private switchTo(provider: MeterProvider): void {
    this.provider = provider;
    this.current = new Meters(provider.getMeter(SCOPE));
    if (this.registered !== undefined) this.register(this.current);
  }

  /** (Re)registers the batch callback on `meters` for every counter and gauge there is. */
  private register(meters: Meters): void {
    this.unregister();
    if (this.counts.size === 0 && this.sourceSpecs.size === 0) return;
    const specs = new Set<ObservableSpec>([...this.counts.keys(), ...this.sourceSpecs.keys()]);
    const observables = Array.from(specs, (spec) => meters.get(spec));
    meters.meter.addBatchObservableCallback(this.callback, observables);
    this.registered = { meters, observables };
  }

  private unregister(): void {
    const registered = this.registered;
    if (registered === undefined) return;
    this.registered = undefined;
    registered.meters.meter.removeBatchObservableCallback(this.callback, registered.observables);
  }

  private collect(result: BatchObservableResult): void {
    const meters = this.registered?.meters;
    if (meters === undefined) return;
    const sums = new Sums();
    for (const [spec, counts] of this.counts) {
      for (const { attributes, value } of counts.byContent.values()) sums.observe(spec, value, attributes);
    }
    for (const source of this.sources) source.read(sums);
    for (const [spec, bySet] of sums.values) {
      const observable = meters.get(spec);
      for (const { attributes, value } of bySet.values()) result.observe(observable, value, attributes);
    }
  }
}
