import {
  metrics,
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
import { Meters } from './Meters';

/** The instrumentation scope of every meter and tracer: the package's name. @internal */
export const SCOPE = 'rxjs-resilience';

/** Where telemetry goes: explicit providers, or the global ones as they are at each record. @internal */
export interface TelemetryProviders {
  readonly meterProvider?: MeterProvider | undefined;
  readonly tracerProvider?: TracerProvider | undefined;
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
 * The meters and tracer of one `instrument` call, resolved lazily. OpenTelemetry's JS metrics API has no
 * delegating provider (opentelemetry-js #3622): an instrument created from the global provider before an
 * SDK registers stays a no-op forever. So every record asks for the provider first (the explicit one, or
 * `metrics.getMeterProvider()`, a property read) and, when it changed, builds its instruments anew on
 * the new provider and moves the observable callback there. An SDK registered after `instrument` thereby
 * receives every later record, and its first collection reads the gauges.
 *
 * Gauges (breaker state, pool occupancy) are read at collection time through ONE batch callback, which
 * sums the values of policies sharing a name (ten breakers named `per-host` report how many of them are
 * open). It is registered while at least one gauge source exists and removed by `close`.
 * @internal
 */
export class Telemetry {
  private provider: MeterProvider | undefined;
  private current: Meters | undefined;
  private readonly gauges = new Set<GaugeSource>();
  /** How many sources fill each observable instrument: the callback is re-registered only when this
   * set of instruments changes, so a registry adding its ten thousandth pool costs O(1). */
  private readonly specCounts = new Map<ObservableSpec, number>();
  /** The meter and observables the batch callback is registered with, if it is. */
  private registered: { readonly meters: Meters; readonly observables: Observable[] } | undefined;
  private readonly callback: BatchObservableCallback = (result) => this.collect(result);

  private tracerProvider: TracerProvider | undefined;
  private currentTracer: Tracer | undefined;
  private closed = false;

  constructor(private readonly providers: TelemetryProviders) {}

  /** The instruments of the meter provider in force now. */
  meters(): Meters {
    const provider = this.providers.meterProvider ?? metrics.getMeterProvider();
    if (provider !== this.provider) this.switchTo(provider);
    return this.current!;
  }

  /** The tracer of the tracer provider in force now. */
  tracer(): Tracer {
    const provider = this.providers.tracerProvider ?? trace.getTracerProvider();
    if (provider !== this.tracerProvider) {
      this.tracerProvider = provider;
      this.currentTracer = provider.getTracer(SCOPE);
    }
    return this.currentTracer!;
  }

  /** Reads `source` at every collection until the returned subscription is unsubscribed. */
  observe(source: GaugeSource): Subscription {
    if (this.closed) return Subscription.EMPTY;
    if (this.gauges.has(source)) return Subscription.EMPTY;
    this.gauges.add(source);
    let changed = false;
    for (const spec of source.instruments) {
      const count = this.specCounts.get(spec) ?? 0;
      this.specCounts.set(spec, count + 1);
      if (count === 0) changed = true;
    }
    const meters = this.meters();
    if (changed || this.registered === undefined) this.register(meters);
    return new Subscription(() => {
      if (this.closed || !this.gauges.delete(source)) return;
      let changed = false;
      for (const spec of source.instruments) {
        const count = this.specCounts.get(spec)! - 1;
        if (count === 0) {
          this.specCounts.delete(spec);
          changed = true;
        } else this.specCounts.set(spec, count);
      }
      if (changed) this.register(this.meters());
    });
  }

  /** Removes the observable callback and forgets every source. */
  close(): void {
    this.closed = true;
    this.gauges.clear();
    this.specCounts.clear();
    this.unregister();
  }

  private switchTo(provider: MeterProvider): void {
    this.provider = provider;
    this.current = new Meters(provider.getMeter(SCOPE));
    if (this.registered !== undefined) this.register(this.current);
  }

  /** (Re)registers the batch callback on `meters` for the instruments the current sources fill. */
  private register(meters: Meters): void {
    this.unregister();
    if (this.specCounts.size === 0) return;
    const observables = Array.from(this.specCounts.keys(), (spec) => meters.get(spec));
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
    for (const source of this.gauges) source.read(sums);
    for (const [spec, bySet] of sums.values) {
      const observable = meters.get(spec);
      for (const { attributes, value } of bySet.values()) result.observe(observable, value, attributes);
    }
  }
}
