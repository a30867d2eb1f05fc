/**
 * The OpenTelemetry SDK as the specs use it: a MeterProvider exporting to the SDK's
 * InMemoryMetricExporter on demand, a TracerProvider exporting to its InMemorySpanExporter, and both
 * rendered as plain data that `deep.equal` can pin exactly.
 */
import type { Attributes, HrTime } from '@opentelemetry/api';
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

/** A histogram point, as pinned: how many, their sum, smallest and largest. */
export interface HistogramPoint {
  readonly count: number;
  readonly sum: number;
  readonly min: number | undefined;
  readonly max: number | undefined;
}

/** Metric name -> rendered attribute set -> value (a number, or a histogram's summary). */
export type Points = Record<string, Record<string, number | HistogramPoint>>;

/** `key=value` pairs, the `rxjs_resilience.` prefix dropped from keys, sorted. */
export function renderAttributes(attributes: Attributes): string {
  return Object.keys(attributes)
    .map((key) => `${key.replace(/^rxjs_resilience\./, '')}=${String(attributes[key])}`)
    .sort()
    .join(' ');
}

function render(metric: MetricData): Record<string, number | HistogramPoint> {
  const out: Record<string, number | HistogramPoint> = {};
  for (const point of metric.dataPoints) {
    const key = renderAttributes(point.attributes);
    if (metric.dataPointType === DataPointType.HISTOGRAM) {
      const { count, sum, min, max } = point.value as {
        count: number;
        sum?: number;
        min?: number;
        max?: number;
      };
      out[key] = { count, sum: sum ?? NaN, min, max };
    } else {
      out[key] = point.value as number;
    }
  }
  return out;
}

/** A MeterProvider whose metrics are exported to an InMemoryMetricExporter when `points()` asks. */
export class InMemoryMetrics {
  readonly exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  private readonly reader = new PeriodicExportingMetricReader({
    exporter: this.exporter,
    exportIntervalMillis: 2 ** 31 - 1,
  });
  readonly provider = new MeterProvider({ readers: [this.reader] });

  /** Collects now; every metric of the last export, rendered (metrics without points left out). */
  async points(): Promise<Points> {
    this.exporter.reset();
    await this.reader.forceFlush();
    const out: Points = {};
    for (const resourceMetrics of this.exporter.getMetrics()) {
      for (const scope of resourceMetrics.scopeMetrics) {
        for (const metric of scope.metrics) {
          if (metric.dataPoints.length > 0) out[metric.descriptor.name] = render(metric);
        }
      }
    }
    return out;
  }

  /** The descriptors exported (unit, description), by name. */
  async descriptors(): Promise<Record<string, { unit: string; description: string; type: string }>> {
    this.exporter.reset();
    await this.reader.forceFlush();
    const out: Record<string, { unit: string; description: string; type: string }> = {};
    for (const resourceMetrics of this.exporter.getMetrics()) {
      for (const scope of resourceMetrics.scopeMetrics) {
        for (const metric of scope.metrics) {
          out[metric.descriptor.name] = {
            unit: metric.descriptor.unit,
            description: metric.descriptor.description,
            type: DataPointType[metric.dataPointType],
          };
        }
      }
    }
    return out;
  }

  shutdown(): Promise<void> {
    return this.provider.shutdown();
  }
}

/** Milliseconds of an HrTime (virtual-time instants come back as the scheduler's numbers). */
export function ms(time: HrTime): number {
  return time[0] * 1000 + time[1] / 1e6;
}

/** A finished span, as pinned. */
export interface SpanRecord {
  readonly name: string;
  readonly parent: string | undefined;
  readonly start: number;
  readonly end: number;
  readonly status: string;
  readonly attributes: string;
  readonly events: ReadonlyArray<string>;
}

/** A TracerProvider exporting every ended span to an InMemorySpanExporter at once. */
export class InMemoryTraces {
  readonly exporter = new InMemorySpanExporter();
  readonly provider = new TracerProvider({
    spanProcessors: [new SimpleSpanProcessor({ exporter: this.exporter })],
  });

  /** Finished spans in end order, rendered; `parent` is the parent's span id. */
  spans(): SpanRecord[] {
    return this.exporter.getFinishedSpans().map((span) => ({
      name: span.name,
      parent: span.parentSpanContext?.spanId,
      start: ms(span.startTime),
      end: ms(span.endTime),
      status:
        span.status.message === undefined
          ? `${span.status.code}`
          : `${span.status.code} ${span.status.message}`,
      attributes: renderAttributes(span.attributes),
      events: span.events.map(
        (event) => `${ms(event.time)} ${event.name} ${renderAttributes(event.attributes ?? {})}`,
      ),
    }));
  }

  shutdown(): Promise<void> {
    return this.provider.shutdown();
  }
}
