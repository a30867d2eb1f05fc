/**
 * What `instrument` (rxjs-resilience/otel) adds to a call, in one process, side by side. Every
 * "instrumented" case records into the OpenTelemetry SDK as a service would: a MeterProvider whose reader
 * exports to the SDK's in-memory exporter once per round (so work deferred to collection is counted), and
 * where said, a TracerProvider with a BatchSpanProcessor (the production default) exporting to memory
 * every span, or the spans of one call in ten (a ratio sampler, as a service that samples its traces).
 *
 * 1. A pipeline call over HTTP: `pipeline.execute((signal) => fetch(url, { signal }))` against a server
 *    on 127.0.0.1, calls awaited one after another (the noisiest rows: a loaded machine moves their wall
 *    time by 20% and more). This is the call the target is about: recording adds at most 20% to it.
 * 2. A pipeline call that never leaves memory: `of(1).pipe(resilient(pipeline))` inside mergeMap, the
 *    library's own overhead with nothing to hide it. Rows separate what the policies spend building
 *    the events `instrument` observes (a no-op observer on each `events$`) from what recording adds.
 * 3. The hand-stacked operators `of(1).pipe(circuitBreaker(b), bulkhead(p))`, the same way.
 * 4. One collection, timed on its own.
 * 5. What one call asks of the SDK, counted from what the SDK exported.
 *
 * In 1 and 2, beside each instrumented row, the same histogram records (and spans) made by hand from
 * `events$`, straight into the SDK: what any recording of those points and spans asks of the SDK, so the
 * difference between the two rows is what `instrument` itself adds (its breaker metrics included).
 *
 * In each, policies instrumented then unsubscribed cost what policies never instrumented cost. Counts
 * and gauges are read when the SDK collects, once per export interval whatever the number of calls: the
 * SDK is flushed after each round outside the timing, and one collection is timed on its own (4).
 * Rounds alternate between the cases, each starting one case further on (so the old garbage a case
 * leaves, spans held until exported, does not always slow the same next case); between rounds only the
 * young generation is collected. Each case is timed twice over: wall time, and the CPU time of the
 * process (user and system, all threads; the HTTP server runs in this process too), which a loaded
 * machine moves much less than wall time.
 *
 * Run: npm run bench -- otel
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { type Attributes, type Meter, type Span, type Tracer } from '@opentelemetry/api';
import {
  AlwaysOffSampler,
  BatchSpanProcessor,
  InMemorySpanExporter,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { mergeMap, of, range, type Observable, type Observer, type Subscription } from 'rxjs';
import { CircuitBreaker } from '../src/breaker/CircuitBreaker';
import { Bulkhead } from '../src/bulkhead/Bulkhead';
import { bulkhead } from '../src/operators/bulkhead';
import { circuitBreaker } from '../src/operators/circuitBreaker';
import { instrument } from '../src/otel/index';
import { hrTime } from '../src/otel/hrTime';
import { DURATION_BUCKETS } from '../src/otel/instruments';
import { ResiliencePipeline } from '../src/pipeline/ResiliencePipeline';
import { resilient } from '../src/pipeline/resilient';
import { formatNs, median, Report, type Case, type Row } from './harness';

const observer: Partial<Observer<number>> = { next: () => undefined, error: () => undefined };

/** `n` synchronous calls of `call$` (a fresh subscription each) inside mergeMap. */
function viaMergeMap(call$: Observable<number>, n: number): void {
  range(0, n)
    .pipe(mergeMap(() => call$))
    .subscribe(observer);
}

/** Collects the young generation only (a full collection slows the next ~20 000 rxjs calls). */
function minorGc(): void {
  (globalThis as { gc?: (options?: { type: string }) => void }).gc?.({ type: 'minor' });
}

/** A case, and what to do after each of its rounds, untimed (flush the SDK). */
interface FlushedCase extends Case {
  readonly after?: () => Promise<void>;
}

/** A row timed both ways: wall time, and the process's CPU time (all its threads). */
interface TimedRow extends Row {
  /** Median CPU nanoseconds (user and system) per operation over the rounds. */
  readonly cpuNsPerOp: number;
}

/**
 * Times each case for `ops` operations, `rounds` times in rotation after one warm-up round: wall time,
 * and the process's CPU time, which a loaded machine moves much less (time spent descheduled is not in it).
 */
async function alternate(
  cases: ReadonlyArray<FlushedCase>,
  ops: number,
  rounds: number,
): Promise<TimedRow[]> {
  const samples = cases.map(() => [] as number[]);
  const cpuSamples = cases.map(() => [] as number[]);
  for (let round = -1; round < rounds; round++) {
    // Each round starts one case further on, so each case follows each other equally often: a case that
    // leaves old garbage (spans held until exported) does not always slow the same next one.
    for (let k = 0; k < cases.length; k++) {
      const i = (k + Math.max(round, 0)) % cases.length;
      minorGc();
      const cpu = process.cpuUsage();
      const start = process.hrtime.bigint();
      await cases[i]!.run(ops);
      const ns = Number(process.hrtime.bigint() - start) / ops;
      const { user, system } = process.cpuUsage(cpu);
      await cases[i]!.after?.();
      if (round >= 0) {
        samples[i]!.push(ns);
        cpuSamples[i]!.push(((user + system) * 1000) / ops);
      }
    }
  }
  return cases.map((c, i) => ({
    name: c.name,
    nsPerOp: median(samples[i]!),
    rounds: samples[i]!,
    cpuNsPerOp: median(cpuSamples[i]!),
  }));
}

/**
 * The OpenTelemetry SDK as a service runs it (a periodic metric reader, a batch span processor), both
 * exporting to memory, and only when `flush` is called: a collection reads every count and gauge once,
 * whatever the number of calls since the last one, so it is timed on its own, not spread over calls.
 */
class Sdk {
  private readonly metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  private readonly reader = new PeriodicExportingMetricReader({
    exporter: this.metricExporter,
    exportIntervalMillis: 2 ** 31 - 1,
  });
  private readonly spanExporter = new InMemorySpanExporter();
  readonly meterProvider = new MeterProvider({ readers: [this.reader] });
  readonly tracerProvider = new TracerProvider({
    spanProcessors: [new BatchSpanProcessor({ exporter: this.spanExporter, maxQueueSize: 1_000_000 })],
  });
  readonly unsampledTracerProvider = new TracerProvider({ sampler: new AlwaysOffSampler() });
  /** Records one root span in ten, as a service that samples its traces (the parent decides for children). */
  readonly tenthTracerProvider = new TracerProvider({
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.1) }),
    spanProcessors: [new BatchSpanProcessor({ exporter: this.spanExporter, maxQueueSize: 1_000_000 })],
  });
  /** Where the records and spans made by hand go (a scope of their own, in the same providers). */
  readonly byHandMeter = this.meterProvider.getMeter('by-hand');
  readonly byHandTracer = this.tracerProvider.getTracer('by-hand');

  /** One collection and export of the metrics, the spans queued exported; both exporters emptied. */
  async flush(): Promise<void> {
    await this.reader.forceFlush();
    await this.tracerProvider.forceFlush();
    await this.tenthTracerProvider.forceFlush();
    this.metricExporter.reset();
    this.spanExporter.reset();
  }

  async shutdown(): Promise<void> {
    await this.meterProvider.shutdown();
    await this.tracerProvider.shutdown();
    await this.unsampledTracerProvider.shutdown();
    await this.tenthTracerProvider.shutdown();
  }
}

/** A pipeline as the README's quick start has it. */
function newPipeline(name: string): ResiliencePipeline {
  return new ResiliencePipeline({
    name,
    deadline: 2000,
    retry: { maxRetries: 3, initialDelay: 100, maxDelay: 1000 },
    breaker: new CircuitBreaker({ name }),
    bulkhead: new Bulkhead({ name, maxConcurrent: 10 }),
    attemptTimeout: 500,
  });
}

/** A no-op observer on the events$ of a pipeline and of its breaker: what building the events costs. */
function observeEvents(p: ResiliencePipeline): Subscription {
  const subscription = p.events$.subscribe(() => undefined);
  subscription.add(p.breaker!.events$.subscribe(() => undefined));
  return subscription;
}

/** An attribute set per outcome, as `instrument` has them (every call here succeeds: no `error.type`). */
function outcomeSets(name: string): Record<string, Attributes> {
  const sets: Record<string, Attributes> = {};
  for (const outcome of ['success', 'failure', 'cancelled']) {
    sets[outcome] = { 'rxjs_resilience.policy.name': name, 'rxjs_resilience.outcome': outcome };
  }
  return sets;
}

/**
 * The pipeline's call and attempt histograms, and given a tracer its span per call with an event per
 * attempt, recorded by hand from `events$` straight into the SDK: the least any recording of the same
 * points and spans asks of the SDK. Nothing of `instrument`: no breaker metrics, no provider checks, no
 * error types, no guard against a throwing provider.
 */
function recordByHand(p: ResiliencePipeline, meter: Meter, tracer?: Tracer): Subscription {
  const options = { unit: 's', advice: { explicitBucketBoundaries: [...DURATION_BUCKETS] } };
  const calls = meter.createHistogram('rxjs_resilience.pipeline.call.duration', options);
  const attempts = meter.createHistogram('rxjs_resilience.pipeline.attempt.duration', options);
  const sets = outcomeSets(p.name);
  const base = { 'rxjs_resilience.policy.name': p.name };
  const spans = new Map<number, Span>();
  return p.events$.subscribe((event) => {
    switch (event.type) {
      case 'start':
        if (tracer !== undefined) {
          spans.set(
            event.call,
            tracer.startSpan(`pipeline ${p.name}`, { startTime: hrTime(event.at), attributes: base }),
          );
        }
        return;
      case 'attempt':
        attempts.record(event.duration / 1000, sets[event.outcome]);
        spans.get(event.call)?.addEvent(
          'rxjs_resilience.attempt',
          {
            'rxjs_resilience.attempt.number': event.attempt,
            'rxjs_resilience.outcome': event.outcome,
            'rxjs_resilience.attempt.duration': event.duration / 1000,
          },
          hrTime(event.at),
        );
        return;
      case 'call': {
        calls.record(event.duration / 1000, sets[event.outcome]);
        const span = spans.get(event.call);
        if (span === undefined) return;
        spans.delete(event.call);
        span.setAttribute('rxjs_resilience.outcome', event.outcome);
        span.setAttribute('rxjs_resilience.attempts', event.attempts);
        span.end(hrTime(event.at));
        return;
      }
    }
  });
}

/**
 * Prints the rows (wall and CPU time) with the ratio to the first and the time each adds, and checks the
 * targets on both.
 */
function reportRows(report: Report, title: string, rows: TimedRow[], targets: ReadonlyArray<number>): void {
  const base = rows[0]!;
  const ratio = (row: TimedRow) => row.nsPerOp / base.nsPerOp;
  const cpuRatio = (row: TimedRow) => row.cpuNsPerOp / base.cpuNsPerOp;
  report.table(
    title,
    rows.map((row) => ({
      case: row.name,
      'per op': formatNs(row.nsPerOp),
      ns: Number(row.nsPerOp.toFixed(1)),
      'x baseline': Number(ratio(row).toFixed(2)),
      'CPU per op': formatNs(row.cpuNsPerOp),
      'CPU x baseline': Number(cpuRatio(row).toFixed(2)),
    })),
  );
  report.table(
    `${title}: added per call`,
    rows.slice(1).map((row) => ({
      case: row.name,
      'added per call': formatNs(row.nsPerOp - base.nsPerOp),
      'CPU added per call': formatNs(row.cpuNsPerOp - base.cpuNsPerOp),
    })),
  );
  for (const target of targets) {
    const row = rows[target]!;
    report.check(`${title}: "${row.name}" / "${base.name}" <= 1.2`, ratio(row), ratio(row) <= 1.2);
    report.check(
      `${title}, CPU time: "${row.name}" / "${base.name}" <= 1.2`,
      cpuRatio(row),
      cpuRatio(row) <= 1.2,
    );
  }
  // Row 1 is always the policies instrumented then unsubscribed.
  const left = rows[1]!;
  report.check(`${title}: "${left.name}" / "${base.name}" <= 1.05`, ratio(left), ratio(left) <= 1.05);
}

async function startServer(): Promise<{ url: string; server: Server }> {
  const server = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}

export default async function run(): Promise<void> {
  const report = new Report('otel', 'instrument: what recording adds to a call');
  const sdk = new Sdk();
  const after = () => sdk.flush();

  // 1. A pipeline call over HTTP, on 127.0.0.1.
  const { url, server } = await startServer();
  const get = (p: ResiliencePipeline) => async (n: number) => {
    for (let i = 0; i < n; i++) await p.execute((signal) => fetch(url, { signal }).then((res) => res.text()));
  };
  const httpPlain = newPipeline('httpPlain');
  const httpMetrics = newPipeline('httpMetrics');
  instrument(httpMetrics, { meterProvider: sdk.meterProvider });
  const httpMetricsByHand = newPipeline('httpMetricsByHand');
  recordByHand(httpMetricsByHand, sdk.byHandMeter);
  const httpTenth = newPipeline('httpTenth');
  instrument(httpTenth, { meterProvider: sdk.meterProvider, tracerProvider: sdk.tenthTracerProvider });
  const httpTraced = newPipeline('httpTraced');
  instrument(httpTraced, { meterProvider: sdk.meterProvider, tracerProvider: sdk.tracerProvider });
  const httpTracedByHand = newPipeline('httpTracedByHand');
  recordByHand(httpTracedByHand, sdk.byHandMeter, sdk.byHandTracer);
  const httpLeft = newPipeline('httpLeft');
  instrument(httpLeft, {
    meterProvider: sdk.meterProvider,
    tracerProvider: sdk.tracerProvider,
  }).unsubscribe();
  const http = await alternate(
    [
      { name: 'execute(fetch), never instrumented', run: get(httpPlain) },
      { name: '... instrumented, then unsubscribed', run: get(httpLeft) },
      { name: '... instrumented: SDK metrics', run: get(httpMetrics), after },
      { name: '... the same histogram records by hand (the SDK alone)', run: get(httpMetricsByHand), after },
      {
        name: '... instrumented: SDK metrics, 1 call in 10 traced (ratio sampler)',
        run: get(httpTenth),
        after,
      },
      { name: '... instrumented: SDK metrics and every span recorded', run: get(httpTraced), after },
      {
        name: '... the same records and spans by hand (the SDK alone)',
        run: get(httpTracedByHand),
        after,
      },
    ],
    250,
    21,
  );
  server.close();
  reportRows(report, 'a pipeline call over HTTP to 127.0.0.1, 250 calls in turn', http, [2, 4, 5]);

  // 2. A pipeline call that never leaves memory.
  const ops = 100_000;
  const call$ = (p: ResiliencePipeline) => of(1).pipe(resilient(p));
  const plain = newPipeline('plain');
  const observed = newPipeline('observed');
  observeEvents(observed);
  const noSdk = newPipeline('noSdk');
  instrument(noSdk); // no global provider registered: the API's no-ops
  const metricsOnly = newPipeline('metricsOnly');
  instrument(metricsOnly, { meterProvider: sdk.meterProvider });
  const metricsByHand = newPipeline('metricsByHand');
  recordByHand(metricsByHand, sdk.byHandMeter);
  const unsampled = newPipeline('unsampled');
  instrument(unsampled, { meterProvider: sdk.meterProvider, tracerProvider: sdk.unsampledTracerProvider });
  const tenth = newPipeline('tenth');
  instrument(tenth, { meterProvider: sdk.meterProvider, tracerProvider: sdk.tenthTracerProvider });
  const traced = newPipeline('traced');
  instrument(traced, { meterProvider: sdk.meterProvider, tracerProvider: sdk.tracerProvider });
  const tracedByHand = newPipeline('tracedByHand');
  recordByHand(tracedByHand, sdk.byHandMeter, sdk.byHandTracer);
  const left = newPipeline('left');
  instrument(left, { meterProvider: sdk.meterProvider, tracerProvider: sdk.tracerProvider }).unsubscribe();
  const memory = await alternate(
    [
      { name: 'resilient(pipeline), never instrumented', run: (n) => viaMergeMap(call$(plain), n) },
      { name: '... instrumented, then unsubscribed', run: (n) => viaMergeMap(call$(left), n) },
      {
        name: "... its events$ and its breaker's observed by a no-op observer",
        run: (n) => viaMergeMap(call$(observed), n),
      },
      { name: '... instrumented: no SDK registered', run: (n) => viaMergeMap(call$(noSdk), n) },
      {
        name: '... instrumented: SDK metrics',
        run: (n) => viaMergeMap(call$(metricsOnly), n),
        after,
      },
      {
        name: '... the same histogram records by hand (the SDK alone)',
        run: (n) => viaMergeMap(call$(metricsByHand), n),
        after,
      },
      {
        name: '... instrumented: SDK metrics, SDK tracer sampling nothing',
        run: (n) => viaMergeMap(call$(unsampled), n),
        after,
      },
      {
        name: '... instrumented: SDK metrics, 1 call in 10 traced (ratio sampler)',
        run: (n) => viaMergeMap(call$(tenth), n),
        after,
      },
      {
        name: '... instrumented: SDK metrics and every span recorded',
        run: (n) => viaMergeMap(call$(traced), n),
        after,
      },
      {
        name: '... the same records and spans by hand (the SDK alone)',
        run: (n) => viaMergeMap(call$(tracedByHand), n),
        after,
      },
    ],
    ops,
    9,
  );
  reportRows(report, `a pipeline call that never leaves memory, ${ops} calls inside mergeMap`, memory, []);

  // 3. The hand-stacked operators.
  const stack = (name: string): { policies: [CircuitBreaker, Bulkhead]; call$: Observable<number> } => {
    const breaker = new CircuitBreaker({ name });
    const pool = new Bulkhead({ name, maxConcurrent: 10 });
    return { policies: [breaker, pool], call$: of(1).pipe(circuitBreaker(breaker), bulkhead(pool)) };
  };
  const bare = stack('bare');
  const watched = stack('watched');
  watched.policies[0].events$.subscribe(() => undefined);
  const recorded = stack('recorded');
  instrument(recorded.policies, { meterProvider: sdk.meterProvider });
  const unsubscribed = stack('unsubscribed');
  instrument(unsubscribed.policies, { meterProvider: sdk.meterProvider }).unsubscribe();
  const stacked = await alternate(
    [
      { name: 'circuitBreaker + bulkhead, never instrumented', run: (n) => viaMergeMap(bare.call$, n) },
      { name: '... instrumented, then unsubscribed', run: (n) => viaMergeMap(unsubscribed.call$, n) },
      {
        name: "... the breaker's events$ observed by a no-op observer",
        run: (n) => viaMergeMap(watched.call$, n),
      },
      { name: '... instrumented: SDK metrics', run: (n) => viaMergeMap(recorded.call$, n), after },
    ],
    2 * ops,
    9,
  );
  reportRows(report, `hand-stacked operators, ${2 * ops} calls inside mergeMap`, stacked, []);

  // 4. One collection, on its own: every count and gauge of every policy above read once, exported.
  const flushRows = await alternate(
    [{ name: 'one collection and export (every recording above)', run: after }],
    1,
    15,
  );
  report.timings('what the SDK spends per collection (every 60 s by default), not per call', flushRows);

  await sdk.shutdown();

  // 5. What one call asks of the SDK.
  report.table(
    'what one call that succeeds at once asks of the SDK (counted over 1000 calls)',
    await countPerCall(1000),
  );
  report.save();
}

/**
 * Runs `n` calls through an instrumented pipeline into an SDK of its own and counts, per call, the events
 * `instrument` observes and what the SDK exported: histogram records (the counts of the duration
 * histograms), spans, span events and span attributes. (No counter is added to in the SDK per call:
 * counts are kept by `instrument` and read at collection.)
 */
async function countPerCall(n: number): Promise<Array<Record<string, unknown>>> {
  const metricReader = new PeriodicExportingMetricReader({
    exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
    exportIntervalMillis: 2 ** 31 - 1,
  });
  const spanExporter = new InMemorySpanExporter();
  const meterProvider = new MeterProvider({ readers: [metricReader] });
  const tracerProvider = new TracerProvider({
    spanProcessors: [new BatchSpanProcessor({ exporter: spanExporter, maxQueueSize: 2 * n })],
  });
  const p = newPipeline('counted');
  let events = 0;
  const count = () => void events++;
  const counting = p.events$.subscribe(count);
  counting.add(p.breaker!.events$.subscribe(count));
  const recording = instrument(p, { meterProvider, tracerProvider });
  viaMergeMap(of(1).pipe(resilient(p)), n);
  recording.unsubscribe();
  counting.unsubscribe();
  const { resourceMetrics } = await metricReader.collect();
  let records = 0;
  for (const { metrics } of resourceMetrics.scopeMetrics) {
    for (const metric of metrics) {
      if (metric.dataPointType !== DataPointType.HISTOGRAM) continue;
      for (const point of metric.dataPoints) records += point.value.count;
    }
  }
  await tracerProvider.forceFlush();
  const spans = spanExporter.getFinishedSpans();
  const spanEvents = spans.reduce((sum, span) => sum + span.events.length, 0);
  const spanAttributes = spans.reduce((sum, span) => sum + Object.keys(span.attributes).length, 0);
  await meterProvider.shutdown();
  await tracerProvider.shutdown();
  return [
    {
      per: "events observed (the pipeline's start, attempt, call; the breaker's admit, success)",
      count: events / n,
    },
    { per: 'histogram records (call and attempt durations)', count: records / n },
    { per: 'spans', count: spans.length / n },
    { per: 'span events (one per attempt)', count: spanEvents / n },
    {
      per: 'span attributes (policy name at start; outcome, attempts at the end)',
      count: spanAttributes / n,
    },
  ];
}
