/**
 * Seeded chaos soak (opt-in: `npm run soak`, optionally `-- --seconds 20 --seed 42 --burst 4`; at most
 * 120 s; give it at least 4 s so that a storm happens and the breaker is seen to open).
 *
 * Drives a load of calls through timeoutAfter + retryBackoff + circuitBreaker + bulkhead, behind a
 * boundedMergeMap that sheds what the client cannot take, against a dependency degraded by injectFaults
 * (errors, added latency, hangs, empty completions) with calm phases and storms. Real timers, bounded
 * in time. Every call must end in exactly one bucket: succeeded, failed with a typed error, refused
 * (breaker or bulkhead), or dropped (shed before it started). The heap, sampled after a forced GC, must
 * stay flat, and nothing may be left running. Prints a summary; exits 1 when any of that fails.
 */
import { setFlagsFromString } from 'v8';
import { runInNewContext } from 'vm';
import { performance } from 'perf_hooks';
import { Subject, defer, map, materialize, takeUntil, timer, type Notification } from 'rxjs';
import { boundedMergeMap } from '../../src/operators/boundedMergeMap';
import { bulkhead } from '../../src/operators/bulkhead';
import { circuitBreaker } from '../../src/operators/circuitBreaker';
import { retryBackoff } from '../../src/operators/retryBackoff';
import { timeoutAfter } from '../../src/operators/timeoutAfter';
import { injectFaults } from '../../src/chaos/injectFaults';
import { seededRandom } from '../../src/chaos/seededRandom';
import { CircuitBreaker } from '../../src/breaker/CircuitBreaker';
import type { CircuitState } from '../../src/breaker/CircuitState';
import { Bulkhead } from '../../src/bulkhead/Bulkhead';
import { isResilienceError, type ResilienceError } from '../../src/errors/ResilienceError';
import { isCircuitOpenError } from '../../src/errors/CircuitOpenError';
import { isBulkheadRejectedError } from '../../src/errors/BulkheadRejectedError';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const raw = i >= 0 ? process.argv[i + 1] : process.env[`SOAK_${name.toUpperCase()}`];
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`chaosSoak: --${name} must be a positive number, got ${raw}`);
  return value;
}

const seconds = Math.min(arg('seconds', 20), 120);
const seed = arg('seed', 42);
/** Calls offered per millisecond tick. */
const burst = arg('burst', 4);

// A forced GC makes heap samples comparable; `npm run soak` does not pass --expose-gc, so ask V8 here.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

type Bucket = 'succeeded' | 'failedTyped' | 'failedUntyped' | 'refused' | 'dropped';

interface Account {
  offered: number;
  started: number;
  succeeded: number;
  succeededEmpty: number;
  failedTyped: number;
  failedUntyped: number;
  refused: number;
  dropped: number;
  errorsByTag: Map<string, number>;
  slowest: number;
}

async function main(): Promise<number> {
  const random = seededRandom(seed);
  const account: Account = {
    offered: 0,
    started: 0,
    succeeded: 0,
    succeededEmpty: 0,
    failedTyped: 0,
    failedUntyped: 0,
    refused: 0,
    dropped: 0,
    errorsByTag: new Map(),
    slowest: 0,
  };
  /** Each call's state: undefined until it ends, then its bucket. Must all be set at the end. */
  const calls: Array<Bucket | undefined> = [];
  const settle = (id: number, bucket: Bucket): void => {
    if (calls[id] !== undefined) throw new Error(`call ${id} accounted twice (${calls[id]}, then ${bucket})`);
    calls[id] = bucket;
    account[bucket]++;
  };

  // Storms: every 4 s, 1.5 s during which most calls fail, so the breaker opens and recovers.
  const t0 = performance.now();
  const inStorm = (): boolean => (performance.now() - t0) % 4000 > 2500;

  // The dependency: answers after 1-8 ms (seeded), degraded by four injectors.
  const dependency = defer(() => timer(1 + Math.floor(random() * 8))).pipe(map(() => 'ok'));
  const faulty = dependency.pipe(
    injectFaults({ name: 'storm', fault: 'error', when: 0.8, enabled: inStorm, seed: seed + 1 }),
    injectFaults({ name: 'errors', fault: 'error', when: 0.05, seed: seed + 2 }),
    injectFaults({ name: 'slow', fault: 'latency', when: 0.05, latency: 60, jitter: 20, seed: seed + 3 }),
    injectFaults({ name: 'hangs', fault: 'hang', when: 0.01, seed: seed + 4 }),
    injectFaults({ name: 'empty', fault: 'empty', when: 0.01, seed: seed + 5 }),
  );

  const breaker = new CircuitBreaker({
    name: 'soak',
    window: { type: 'time', duration: 1000 },
    minimumCalls: 20,
    failureRateThreshold: 0.5,
    openDuration: 300,
    halfOpenCalls: 3,
  });
  const pool = new Bulkhead({ name: 'soak', maxConcurrent: 12, maxQueued: 8, queueTimeout: 100 });
  const transitions: CircuitState[] = [];
  const watching = breaker.state$.subscribe((s) => transitions.push(s));

  const call = faulty.pipe(
    timeoutAfter(40),
    retryBackoff({ maxRetries: 2, initialDelay: 5, maxDelay: 20, random: seededRandom(seed + 6) }),
    circuitBreaker(breaker),
    bulkhead(pool),
  );

  const stop = new Subject<void>();
  const heap: number[] = [];
  // Calls that emitted a value, until they complete: a completion without one is an empty success.
  const sawValue = new Set<number>();

  const record = ({ id, n, ms }: { id: number; n: Notification<string>; ms: number }): void => {
    if (n.kind === 'N') {
      sawValue.add(id);
      return;
    }
    account.slowest = Math.max(account.slowest, ms);
    if (n.kind === 'C') {
      if (!sawValue.delete(id)) account.succeededEmpty++;
      settle(id, 'succeeded');
      return;
    }
    const error: unknown = n.error;
    if (isCircuitOpenError(error) || isBulkheadRejectedError(error)) settle(id, 'refused');
    else if (isResilienceError(error)) settle(id, 'failedTyped');
    else settle(id, 'failedUntyped');
    const tag = isResilienceError(error) ? (error as ResilienceError)._tag : String(error);
    account.errorsByTag.set(tag, (account.errorsByTag.get(tag) ?? 0) + 1);
  };

  /**
   * One feature's stream of calls: at most `concurrency` at once, `capacity` waiting, the rest shed
   * (dropped, and reported). Two features share the dependency's breaker and bulkhead, as they would in
   * an app: the bulkhead is what keeps the busy one from starving the other.
   */
  const feature = (offers: Subject<number>, concurrency: number, capacity: number) =>
    new Promise<void>((resolve, reject) => {
      offers
        .pipe(
          boundedMergeMap(
            (id) => {
              account.started++;
              const started = performance.now();
              return call.pipe(
                materialize(),
                map((n: Notification<string>) => ({ id, n, ms: performance.now() - started })),
              );
            },
            { concurrency, capacity, overflow: 'dropIncoming', onOverflow: (id) => settle(id, 'dropped') },
          ),
        )
        .subscribe({ next: record, error: reject, complete: resolve });
    });
  const foreground = new Subject<number>();
  const background = new Subject<number>();
  const done = Promise.all([feature(foreground, 8, 16), feature(background, 24, 0)]);

  // Load: every timer tick (about a millisecond), `burst` calls split between the two features.
  const load = timer(0, 1)
    .pipe(takeUntil(stop))
    .subscribe(() => {
      for (let i = 0; i < burst; i++) {
        const id = account.offered++;
        calls.push(undefined);
        (i % 2 === 0 ? foreground : background).next(id);
      }
    });
  const sampler = timer(1000, 500).subscribe(() => {
    gc();
    heap.push(process.memoryUsage().heapUsed);
  });

  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  stop.next();
  load.unsubscribe();
  foreground.complete();
  background.complete();
  let drainTimer: NodeJS.Timeout | undefined;
  const drained = await Promise.race([
    done.then(() => true),
    new Promise<boolean>((resolve) => (drainTimer = setTimeout(() => resolve(false), 5000))),
  ]);
  clearTimeout(drainTimer);
  sampler.unsubscribe();
  watching.unsubscribe();
  gc();
  heap.push(process.memoryUsage().heapUsed);

  // Heap flat: the last quarter of samples against the second quarter (the first warms up).
  const quarter = Math.max(1, Math.floor(heap.length / 4));
  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const early = avg(heap.slice(quarter, 2 * quarter));
  const late = avg(heap.slice(-quarter));
  const growth = late - early;
  const heapFlat = growth < Math.max(0.15 * early, 4 * 1024 * 1024);

  // Nothing left running: no timer or socket survives the soak (the breaker computes halfOpen from the clock).
  await new Promise((resolve) => setImmediate(resolve));
  const leftovers = process.getActiveResourcesInfo().filter((kind) => /Timeout|TCP|Immediate/.test(kind));

  const unaccounted = calls.filter((c) => c === undefined).length;
  const opened = transitions.filter((s) => s === 'open').length;
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
  const row = (label: string, value: string | number) => console.log(`  ${label.padEnd(34)} ${value}`);

  console.log(`chaos soak: seed ${seed}, ${seconds} s, ${burst} calls offered per ms tick`);
  row('calls offered', account.offered);
  row('  succeeded', `${account.succeeded} (${account.succeededEmpty} completed empty)`);
  row('  failed with a typed error', account.failedTyped);
  row('  refused (breaker or bulkhead)', account.refused);
  row('  dropped (shed by boundedMergeMap)', account.dropped);
  row('  failed with an untyped error', account.failedUntyped);
  row('  unaccounted', unaccounted);
  for (const [tag, count] of [...account.errorsByTag].sort((a, b) => b[1] - a[1])) row(`    ${tag}`, count);
  row('slowest call (ms)', account.slowest.toFixed(1));
  row('breaker openings', `${opened} (state now ${breaker.state})`);
  row('bulkhead at the end', `${pool.active} active, ${pool.queued} queued`);
  row('timers and sockets left', leftovers.length === 0 ? 'none' : leftovers.join(', '));
  row(
    'heap (after GC)',
    `${mb(early)} -> ${mb(late)} (${growth >= 0 ? '+' : ''}${mb(growth)}), ${heap.length} samples`,
  );

  const problems: string[] = [];
  if (!drained) problems.push('calls still running 5 s after the load stopped');
  if (unaccounted > 0) problems.push(`${unaccounted} calls unaccounted`);
  if (account.failedUntyped > 0) problems.push(`${account.failedUntyped} calls failed with an untyped error`);
  const total =
    account.succeeded + account.failedTyped + account.refused + account.dropped + account.failedUntyped;
  if (total !== account.offered) problems.push(`buckets add up to ${total}, not ${account.offered}`);
  if (pool.active !== 0 || pool.queued !== 0) problems.push('bulkhead not empty at the end');
  if (account.slowest > 1000)
    problems.push(`a call took ${account.slowest.toFixed(0)} ms: latency not bounded`);
  if (leftovers.length > 0) problems.push(`left running: ${leftovers.join(', ')}`);
  if (!heapFlat) problems.push(`heap grew by ${mb(growth)}`);
  if ([account.succeeded, account.failedTyped, account.refused, account.dropped].includes(0)) {
    problems.push('the load did not reach every bucket: the soak tested too little');
  }
  if (opened === 0) problems.push('the breaker never opened: the storms were not felt');
  console.log(
    problems.length === 0
      ? 'clean: every call accounted for, heap flat'
      : `NOT CLEAN: ${problems.join('; ')}`,
  );
  return problems.length === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
