/**
 * What `npm run demo:acts` runs: the moves of rxjs-resilience against real HTTP servers on 127.0.0.1 (free ports),
 * in four acts, one per file in examples/demo/:
 *
 * 1. Fail fast with timeouts and retries: seven scripted calls through a `ResiliencePipeline` (attempt
 *    timeout, retries, deadline).
 * 2. Fail fast with a shared `CircuitBreaker`: it opens on an outage, refuses calls without sending them,
 *    and a probe closes it once the service is back.
 * 3. Isolate failures with a `Bulkhead` per dependency: a slow service fills its own pool while a healthy
 *    one keeps answering fast through its own.
 * 4. Buffer loads with `boundedMergeMapNotices`: a burst overflows a small queue, and every dropped item
 *    is reported.
 *
 * Each act prints a line per event and a summary, and closes its servers. Takes about 3 seconds; the
 * process then exits by itself (nothing is left running).
 *
 * In your project, import from 'rxjs-resilience' and 'rxjs-resilience/testing'.
 *
 * Run it: npm run demo:acts (or npx ts-node --transpile-only examples/demo.ts)
 */
import type { ActOptions } from './demo/ActOptions';
import { bufferedBurst, type BufferedBurstResult } from './demo/bufferedBurst';
import { isolatedPools, type IsolatedPoolsResult } from './demo/isolatedPools';
import { retryingCalls, type RetryingCallsResult } from './demo/retryingCalls';
import { sharedBreaker, type SharedBreakerResult } from './demo/sharedBreaker';

export type DemoOptions = ActOptions;

export interface DemoResult {
  readonly retries: RetryingCallsResult;
  readonly breaker: SharedBreakerResult;
  readonly pools: IsolatedPoolsResult;
  readonly burst: BufferedBurstResult;
  /** Wall-clock duration of the whole demo, ms. */
  readonly ms: number;
}

/** The title line printed before each act. */
export const ACT_TITLES = [
  '== 1/4 Fail fast: timeoutAfter + retryBackoff ==',
  '== 2/4 Fail fast: a shared CircuitBreaker ==',
  '== 3/4 Isolate failures: a Bulkhead per dependency ==',
  '== 4/4 Buffer loads: boundedMergeMapNotices ==',
] as const;

/** Runs the four acts in turn; resolves once every act has ended and every server is closed. */
export async function main(options: DemoOptions = {}): Promise<DemoResult> {
  const { print = console.log } = options;
  const started = performance.now();
  print(ACT_TITLES[0]);
  const retries = await retryingCalls(options);
  print(ACT_TITLES[1]);
  const breaker = await sharedBreaker(options);
  print(ACT_TITLES[2]);
  const pools = await isolatedPools(options);
  print(ACT_TITLES[3]);
  const burst = await bufferedBurst(options);
  const ms = Math.round(performance.now() - started);
  print(`demo done in ${(ms / 1000).toFixed(1)}s; every server closed`);
  return { retries, breaker, pools, burst, ms };
}

if (require.main === module) {
  // No process.exit on success: the process ends by itself once nothing is left running.
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
