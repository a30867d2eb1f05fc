/**
 * What `instrument` (rxjs-resilience/otel) adds to a call, in one process, side by side. Every
 * "instrumented" case records into the OpenTelemetry SDK as a service would: a MeterProvider whose reader
 * exports to the SDK's in-memory exporter once per round (so work deferred to collection is counted), and
 * where said, a TracerProvider exporting every span to memory.
 *
 * 1. A pipeline call over HTTP: `pipeline.execute((signal) => fetch(url, { signal }))` against a server
 *    on 127.0.0.1, calls awaited one after another (the noisiest rows: a loaded machine moves them by 20%). This is the call the target is about: recording
 *    adds at most 20% to it.
 * 2. A pipeline call that never leaves memory: `of(1).pipe(resilient(pipeline))` inside mergeMap, the
 *    library's own overhead with nothing to hide it. Rows separate what the policies spend building
 *    the events `instrument` observes (a no-op observer on each `events$`) from what recording adds.
 * 3. The hand-stacked operators `of(1).pipe(circuitBreaker(b), bulkhead(p))`, the same way.
 *
 * In each, policies instrumented then unsubscribed cost what policies never instrumented cost. Counts
 * and gauges are read when the SDK collects, once per export interval whatever the number of calls: the
 * SDK is flushed after each round outside the timing, and one collection is timed on its own (4).
 * Rounds alternate between the cases; between rounds only the young generation is collected.
 *
 * Run: npm run bench -- otel
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  AlwaysOffSampler,
  BatchSpanProcessor,
  InMemorySpanExporter,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { mergeMap, of, range, type Observable, type Observer, type Subscription } from 'rxjs';
import { CircuitBreaker } from '../src/breaker/CircuitBreaker';
import { Bulkhead } from '../src/bulkhead/Bulkhead';
import { bulkhead } from '../src/operators/bulkhead';
import { circuitBreaker } from '../src/operators/circuitBreaker';
import { instrument } from '../src/otel/index';
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

/** Times each case for `ops` operations, `rounds` times in alternation after one warm-up round. */
async function alternate(cases: ReadonlyArray<FlushedCase>, ops: number, rounds: number): Promise<Row[]> {
  const samples = cases.map(() => [] as number[]);
  for (let round = -1; round < rounds; round++) {
    for (let i = 0; i < cases.length; i++) {
      minorGc();
      const start = process.hrtime.bigint();
      await cases[i]!.run(ops);
      const ns = Number(process.hrtime.bigint() - start) / ops;
      await cases[i]!.after?.();
      if (round >= 0) samples[i]!.push(ns);
    }
  }
  return cases.map((c, i) => ({ name: c.name, nsPerOp: median(samples[i]!), rounds: samples[i]! }));
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

  /** One collection and export of the metrics, the spans queued exported; both exporters emptied. */
  async flush(): Promise<void> {
    await this.reader.forceFlush();
    await this.tracerProvider.forceFlush();
    this.metricExporter.reset();
    this.spanExporter.reset();
  }

  async shutdown(): Promise<void> {
    await this.meterProvider.shutdown();
    await this.tracerProvider.shutdown();
    await this.unsampledTracerProvider.shutdown();
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

/** Prints the rows with the ratio to the first, the time each adds, and checks the target. */
function reportRows(report: Report, title: string, rows: Row[], targets: ReadonlyArray<number>): void {
  const base = rows[0]!;
  report.timings(title, rows, base.name);
  report.table(
    `${title}: added per call`,
    rows.slice(1).map((row) => ({ case: row.name, 'added per call': formatNs(row.nsPerOp - base.nsPerOp) })),
  );
  for (const target of targets) {
    const ratio = rows[target]!.nsPerOp / base.nsPerOp;
    report.check(`${title}: "${rows[target]!.name}" / "${base.name}" <= 1.2`, ratio, ratio <= 1.2);
  }
  // Row 1 is always the policies instrumented then unsubscribed, timed right after the baseline.
  const left = rows[1]!.nsPerOp / base.nsPerOp;
  report.check(`${title}: "${rows[1]!.name}" / "${base.name}" <= 1.05`, left, left <= 1.05);
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
  const httpTraced = newPipeline('httpTraced');
  instrument(httpTraced, { meterProvider: sdk.meterProvider, tracerProvider: sdk.tracerProvider });
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
      { name: '... instrumented: SDK metrics and every span recorded', run: get(httpTraced), after },
    ],
    500,
    11,
  );
  server.close();
  reportRows(report, 'a pipeline call over HTTP to 127.0.0.1, 500 calls in turn', http, [2, 3]);

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
  const unsampled = newPipeline('unsampled');
  instrument(unsampled, { meterProvider: sdk.meterProvider, tracerProvider: sdk.unsampledTracerProvider });
  const traced = newPipeline('traced');
  instrument(traced, { meterProvider: sdk.meterProvider, tracerProvider: sdk.tracerProvider });
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
        name: '... instrumented: SDK metrics, SDK tracer sampling nothing',
        run: (n) => viaMergeMap(call$(unsampled), n),
        after,
      },
      {
        name: '... instrumented: SDK metrics and every span recorded',
        run: (n) => viaMergeMap(call$(traced), n),
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
  report.save();
}
