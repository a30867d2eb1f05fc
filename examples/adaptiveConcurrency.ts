/**
 * Adaptive concurrency against a real dependency that slows down under load: the fault server's
 * `/congested` route answers in 50 ms while at most 10 requests are in flight, and slower past that, by
 * the square of the overload (20 in flight: 200 ms; 30: 450 ms). A steady overload of 250 calls per
 * second (more than the 200 it can serve at its knee) goes through one adaptive bulkhead, whose first
 * guess is 30. Each time the limit moves it prints a line, and once a second what the callers saw.
 *
 * AIMD, as Netflix recommends for clients, with a sampling window (one update per 250 ms) and calls
 * slower than 75 ms (1.5 times the healthy latency) counted as drops: the limit comes down to just
 * above the knee within about two seconds and stays there, and the callers' latency with it.
 *
 * In your project, import from 'rxjs-resilience'.
 *
 * Run it: npx ts-node --transpile-only examples/adaptiveConcurrency.ts (about 6 seconds of real time)
 */
import { catchError, interval, map, mergeMap, of, take, tap, lastValueFrom } from 'rxjs';
import { Bulkhead, bulkhead, fetchRequest, isBulkheadRejectedError, timeoutAfter } from '../src/index';
import { startFaultServer } from '../src/testing/index';

/** What the run saw, second by second: the limit, and the calls that ran and were refused. */
export interface SecondSummary {
  readonly second: number;
  readonly limit: number;
  readonly served: number;
  readonly refused: number;
  /** Latency of the calls that ran, ms. */
  readonly p50: number;
  readonly p99: number;
}

export interface AdaptiveRun {
  readonly seconds: SecondSummary[];
  /** Every move of the limit: ms since the start, from, to. */
  readonly moves: Array<{ readonly at: number; readonly from: number; readonly to: number }>;
}

const quantile = (sorted: number[], q: number): number =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;

/** Runs the overload for `seconds` against a fresh fault server, printing as it goes. */
export async function runAdaptiveConcurrency(
  seconds = 6,
  print: (line: string) => void = console.log,
): Promise<AdaptiveRun> {
  const server = await startFaultServer({ seed: 14 });
  const url = server.urlOf('/congested', { knee: 10, ms: 50, jitter: 5 });
  const pool = new Bulkhead({
    name: 'reports',
    maxConcurrent: 30,
    adaptive: { algorithm: 'aimd', window: 250, slowCallDuration: 75 },
  });

  const start = Date.now();
  const elapsed = () => Date.now() - start;
  const moves: AdaptiveRun['moves'] = [];
  const limitLines = pool.events$.subscribe((event) => {
    if (event.type !== 'limit') return;
    moves.push({ at: elapsed(), from: event.from, to: event.to });
    print(`t=${(elapsed() / 1000).toFixed(2)}s limit ${event.from} -> ${event.to} (${event.active} running)`);
  });

  let latencies: number[] = [];
  let refused = 0;
  const summaries: SecondSummary[] = [];
  const tick = setInterval(() => {
    latencies.sort((a, b) => a - b);
    const summary: SecondSummary = {
      second: summaries.length + 1,
      limit: pool.limit,
      served: latencies.length,
      refused,
      p50: quantile(latencies, 0.5),
      p99: quantile(latencies, 0.99),
    };
    summaries.push(summary);
    print(
      `  second ${summary.second}: limit ${summary.limit}, ${summary.served} served ` +
        `(p50 ${summary.p50.toFixed(0)} ms, p99 ${summary.p99.toFixed(0)} ms), ${summary.refused} refused at once`,
    );
    latencies = [];
    refused = 0;
  }, 1000);

  // The overload: a call every 4 ms. Each call is one request, bounded by a timeout inside the bulkhead
  // (a timeout is a drop the pool learns from); a refusal by the pool fails at once, without a request.
  const call = () => {
    const sent = Date.now();
    return fetchRequest(url).pipe(
      timeoutAfter(2000),
      bulkhead(pool),
      tap(() => latencies.push(Date.now() - sent)),
      map(() => 'ok'),
      catchError((error: unknown) => {
        if (isBulkheadRejectedError(error)) refused++;
        return of('failed');
      }),
    );
  };
  try {
    await lastValueFrom(interval(4).pipe(take((seconds * 1000) / 4), mergeMap(call)));
  } finally {
    clearInterval(tick);
    limitLines.unsubscribe();
    await server.close();
  }
  return { seconds: summaries, moves };
}

if (require.main === module) {
  runAdaptiveConcurrency().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
