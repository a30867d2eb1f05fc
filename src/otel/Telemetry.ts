import {
  diag,
  metrics,
  ProxyTracerProvider,
  trace,
  type Attributes,
  type Meter,
  type MeterProvider,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { Subscription } from 'rxjs';
import type { GaugeSink, GaugeSource, ObservableSpec } from './GaugeSource';
import type { InstrumentSpec } from './instruments';
import { NOOP_METER, type Meters } from './Meters';
import { providerFailure } from './providerFailure';
import { SharedMeter, type MeterMember } from './SharedMeter';
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

/**
 * Distinct policy names one `instrument` call records; later ones are recorded as `_OTHER`. Policies made
 * per key and named after it (a registry of a million hosts) would otherwise make a series per key in the
 * backend and keep a count per name here for good (counts outlive their policy). 256 names keep a
 * breaker's four state series within the SDK's default cardinality limit (2000 per metric).
 * @internal
 */
export const MAX_POLICY_NAMES = 256;

/** The `rxjs_resilience.policy.name` of policies past {@link MAX_POLICY_NAMES}. @internal */
export const OTHER_POLICY_NAME = '_OTHER';

/**
 * The meters and tracer of one `instrument` call, resolved lazily.
 *
 * OpenTelemetry's JS metrics API has no delegating provider (opentelemetry-js #3622): an instrument made
 * from the global provider before an SDK registers stays a no-op forever. So every record first asks for
 * the provider in force (the explicit one, or `metrics.getMeterProvider()`, a property read) and, when it
 * changed, moves to the new provider's meter. With the global provider, an unref'd timer asks too, twice
 * a second, for recordings whose policies have no event to notice a new provider by (a pool, read only
 * when the SDK collects).
 *
 * Counts are kept here, not in the SDK: `add` is an increment on a plain object, and one batch callback
 * per meter ({@link SharedMeter}, shared by every `instrument` call) reports every count (cumulative
 * since `instrument`, as observable counters) and every gauge (breaker state, pool occupancy, read from
 * the policies) when the SDK collects. The SDK's synchronous `add` hashes its attributes on every call
 * (about as long as a whole breaker call), so counting here keeps recording off the calls' path; and an
 * SDK registered after `instrument` receives the counts from `instrument` on. Counts are keyed by
 * attribute content and outlive the policy that made them (a registry evicting a pool must not make a
 * counter go down); gauges of policies sharing a name are summed (ten breakers named `per-host` report
 * how many of them are open). Only durations are recorded at once, as histograms: the metrics API has no
 * observable histogram.
 *
 * A provider that throws (its `getMeter`, an instrument's `record`, the callback's registration, a
 * tracer) is reported once through OpenTelemetry's `diag` and never reaches the policies or their calls.
 * @internal
 */
export class Telemetry implements MeterMember {
  private provider: MeterProvider | undefined;
  /** The meter of the provider in force, and its one callback. */
  private shared: SharedMeter | undefined;
  private readonly counts = new Map<CounterSpec, Counts>();
  private readonly sources = new Set<GaugeSource>();
  /**
   * Why each observable instrument is reported: 1 for a counter with counts, plus 1 per source filling
   * it. The shared meter is told only when an instrument comes or goes.
   */
  private readonly held = new Map<ObservableSpec, number>();
  /** Where the last totals of a source that went are kept, as counts (its gauges are dropped). */
  private readonly retired: GaugeSink = {
    observe: (spec, value, attributes) => {
      if (spec.kind === 'observableCounter' && value !== 0) this.add(spec as CounterSpec, attributes, value);
    },
  };
  /** Policy names recorded so far, at most {@link MAX_POLICY_NAMES}. */
  private readonly names = new Set<string>();

  private tracerProvider: TracerProvider | undefined;
  private currentTracer: Tracer | undefined;
  private closed = false;

  /** Stops the poll for a new global provider (none with an explicit `meterProvider`). */
  private readonly unwatch: () => void;

  constructor(private readonly providers: TelemetryProviders) {
    this.unwatch =
      providers.meterProvider === undefined ? watchGlobalProvider(() => this.meters()) : () => undefined;
  }

  /** The instruments of the meter provider in force now (moving this recording there if it changed). */
  meters(): Meters {
    const provider = this.providers.meterProvider ?? metrics.getMeterProvider();
    if (provider !== this.provider) this.switchTo(provider);
    return this.shared!.meters;
  }

  /**
   * The name a policy is recorded under: its own, or `_OTHER` once {@link MAX_POLICY_NAMES} others were
   * seen (said once through `diag`).
   */
  policyName(name: string): string {
    if (this.names.has(name)) return name;
    if (this.names.size < MAX_POLICY_NAMES) {
      this.names.add(name);
      return name;
    }
    if (this.names.size === MAX_POLICY_NAMES) {
      this.names.add(OTHER_POLICY_NAME);
      diag.warn(
        `rxjs-resilience/otel: more than ${MAX_POLICY_NAMES} policy names; policies named otherwise are ` +
          `recorded as ${OTHER_POLICY_NAME}. Give policies made per key one name (docs/telemetry.md, Attributes)`,
      );
    }
    return OTHER_POLICY_NAME;
  }

  /**
   * The tracer of the tracer provider in force now, or `undefined` while the global provider has no SDK
   * behind it (every span would be a no-op: not worth starting one per call), or when it threw.
   */
  tracer(): Tracer | undefined {
    const provider = this.providers.tracerProvider ?? trace.getTracerProvider();
    if (provider instanceof ProxyTracerProvider && provider.getDelegate() === NO_TRACER_PROVIDER)
      return undefined;
    if (provider !== this.tracerProvider) {
      this.tracerProvider = provider;
      try {
        this.currentTracer = provider.getTracer(SCOPE);
      } catch (error) {
        providerFailure('TracerProvider.getTracer', error);
        this.currentTracer = undefined;
      }
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
      if (!this.closed) this.hold(spec);
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
    try {
      this.meters().get(spec).record(value, attributes);
    } catch (error) {
      providerFailure('Histogram.record', error);
    }
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
    for (const spec of source.instruments) this.hold(spec);
    return new Subscription(() => {
      if (this.closed || !this.sources.delete(source)) return;
      source.read(this.retired);
      for (const spec of source.instruments) this.drop(spec);
    });
  }

  /** Every count and every source's gauges, for the shared meter's callback. */
  collect(sink: GaugeSink): void {
    for (const [spec, counts] of this.counts) {
      for (const { attributes, value } of counts.byContent.values()) sink.observe(spec, value, attributes);
    }
    for (const source of this.sources) source.read(sink);
  }

  /** Leaves the shared meter and forgets every source and count. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unwatch();
    this.shared?.leave(this, this.held.keys());
    this.sources.clear();
    this.held.clear();
    this.counts.clear();
  }

  private switchTo(provider: MeterProvider): void {
    this.provider = provider;
    let meter: Meter;
    try {
      meter = provider.getMeter(SCOPE);
    } catch (error) {
      providerFailure('MeterProvider.getMeter', error);
      meter = NOOP_METER;
    }
    const next = SharedMeter.of(meter);
    const previous = this.shared;
    if (next === previous) return;
    this.shared = next;
    if (this.closed) return;
    previous?.leave(this, this.held.keys());
    next.join(this, this.held.keys());
  }

  /** One more reason to report `spec`. */
  private hold(spec: ObservableSpec): void {
    if (this.shared === undefined) this.meters(); // joins its meter with what is held so far
    const n = this.held.get(spec) ?? 0;
    this.held.set(spec, n + 1);
    if (n === 0) this.shared!.use(spec);
  }

  /** One reason fewer to report `spec`. */
  private drop(spec: ObservableSpec): void {
    const n = this.held.get(spec);
    if (n === undefined) return;
    if (n > 1) {
      this.held.set(spec, n - 1);
      return;
    }
    this.held.delete(spec);
    this.shared?.release(spec);
  }
}
