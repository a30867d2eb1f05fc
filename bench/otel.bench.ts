/**
 * What `instrument` (rxjs-resilience/otel) adds to a call, in one process, side by side:
 *
 * 1. A synchronous call through the hand-stacked operators `of(1).pipe(circuitBreaker(b), bulkhead(p))`
 *    inside mergeMap: policies never instrumented (the baseline), instrumented into the OpenTelemetry
 *    SDK's MeterProvider (a reader exporting to the in-memory exporter; each round ends with one
 *    collection, so work deferred to collection is counted), instrumented with no SDK registered (the
 *    API's no-op provider), and instrumented then unsubscribed (what is left: nothing).
 *
 * Target: recording adds at most 20% to a call when instrumented, and nothing once unsubscribed.
 * Rounds alternate between the cases; between rounds only the young generation is collected.
 *
 * Run: npm run bench -- otel
 */
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { mergeMap, of, range, type Observable, type Observer } from 'rxjs';
import { CircuitBreaker } from '../src/breaker/CircuitBreaker';
import { Bulkhead } from '../src/bulkhead/Bulkhead';
import { bulkhead } from '../src/operators/bulkhead';
import { circuitBreaker } from '../src/operators/circuitBreaker';
import { instrument } from '../src/otel/index';
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

/** Times each case for `ops` operations, `rounds` times in alternation after one warm-up round. */
async function alternate(cases: ReadonlyArray<Case>, ops: number, rounds: number): Promise<Row[]> {
  const samples = cases.map(() => [] as number[]);
  for (let round = -1; round < rounds; round++) {
    for (let i = 0; i < cases.length; i++) {
      minorGc();
      const start = process.hrtime.bigint();
      await cases[i]!.run(ops);
      const ns = Number(process.hrtime.bigint() - start) / ops;
      if (round >= 0) samples[i]!.push(ns);
    }
  }
  return cases.map((c, i) => ({ name: c.name, nsPerOp: median(samples[i]!), rounds: samples[i]! }));
}

/** An SDK MeterProvider whose reader exports to memory when asked. */
function sdkMeters(): { provider: MeterProvider; collect: () => Promise<void> } {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 2 ** 31 - 1 });
  const provider = new MeterProvider({ readers: [reader] });
  return {
    provider,
    collect: async () => {
      await reader.forceFlush();
      exporter.reset();
    },
  };
}

/** A breaker and a pool, and a synchronous call through both. */
function stack(name: string): { policies: [CircuitBreaker, Bulkhead]; call$: Observable<number> } {
  const breaker = new CircuitBreaker({ name });
  const pool = new Bulkhead({ name, maxConcurrent: 10 });
  return { policies: [breaker, pool], call$: of(1).pipe(circuitBreaker(breaker), bulkhead(pool)) };
}

export default async function run(): Promise<void> {
  const report = new Report('otel', 'instrument: what recording adds to a call');
  const ops = 200_000;
  const sdk = sdkMeters();

  const bare = stack('bare');
  const recorded = stack('recorded');
  instrument(recorded.policies, { meterProvider: sdk.provider });
  const noSdk = stack('noSdk');
  instrument(noSdk.policies); // no global provider registered: the API's no-op
  const unsubscribed = stack('unsubscribed');
  instrument(unsubscribed.policies, { meterProvider: sdk.provider }).unsubscribe();

  const baseline = 'circuitBreaker + bulkhead, never instrumented';
  const rows = await alternate(
    [
      { name: baseline, run: (n) => viaMergeMap(bare.call$, n) },
      {
        name: '... instrumented, OpenTelemetry SDK (one collection per round)',
        run: async (n) => {
          viaMergeMap(recorded.call$, n);
          await sdk.collect();
        },
      },
      { name: '... instrumented, no SDK registered', run: (n) => viaMergeMap(noSdk.call$, n) },
      { name: '... instrumented, then unsubscribed', run: (n) => viaMergeMap(unsubscribed.call$, n) },
    ],
    ops,
    9,
  );
  report.timings(`hand-stacked operators, a synchronous call inside mergeMap, ${ops} calls`, rows, baseline);
  const base = rows[0]!.nsPerOp;
  report.table(
    'added per call',
    rows.slice(1).map((row) => ({ case: row.name, 'added per call': formatNs(row.nsPerOp - base) })),
  );
  report.check(
    'instrumented (SDK) / never instrumented <= 1.2',
    rows[1]!.nsPerOp / base,
    rows[1]!.nsPerOp / base <= 1.2,
  );
  report.check(
    'unsubscribed / never instrumented <= 1.05',
    rows[3]!.nsPerOp / base,
    rows[3]!.nsPerOp / base <= 1.05,
  );

  await sdk.provider.shutdown();
  report.save();
}
