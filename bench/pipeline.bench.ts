/**
 * ResiliencePipeline (fused) against bare rxjs, against the same stages stacked by hand as operators, and
 * against cockatiel's `wrap` and opossum's `fire()`, in one process.
 *
 * 1. A synchronous call inside mergeMap: `mergeMap((x) => of(x))` bare; with `resilient(p)` (attempt
 *    timeout, breaker, bulkhead); with the same three operators stacked by hand; and with every stage
 *    (deadline and retry too). Target: resilient at most 1.5x bare.
 * 2. An async call (an already-resolved promise), inside mergeMap, 100 in flight at a time:
 *    `defer(() => from(fn()))` bare, with one `map(identity)` (the floor of any operator), with that and
 *    one clock read per call (the floor of any operator that times the call: an attempt timeout starts
 *    at the subscribe instant, which costs a `scheduler.now()`, `Date.now()` here), with `resilient(p)`,
 *    with the hand-stacked operators. Target: resilient at most 1.2x bare. The attempt timeout arms a
 *    timer per call here (the call is still running after subscribe), which is what the shared timer
 *    queue of DESIGN §3 is for.
 * 3. `execute` per awaited call, one after another: `p.execute(fn)` (bulkhead, breaker, attempt timeout)
 *    against cockatiel `wrap(bulkhead, breaker, timeout).execute(fn)`: target at most 0.2x; and with a
 *    breaker alone against opossum `new CircuitBreaker(fn).fire()` (defaults): target at most 0.3x. For
 *    scale: the floor of any wrapper that sees the outcome (`fn().then(onValue, onError)`, one more
 *    promise), and cockatiel's breaker alone.
 *
 * Many short rounds (ROUNDS, medians): on a machine shared with other work, a long round is more often
 * cut by another process, and the median of many short ones moves less from run to run.
 *
 * Every row collects only the young generation between runs (a full collection slows rxjs code for
 * thousands of calls after it, TOOLCHAIN.md), and warms up in a first, untimed round.
 *
 * Run: npm run bench -- pipeline
 */
import {
  ConsecutiveBreaker,
  TimeoutStrategy,
  bulkhead as cockatielBulkhead,
  circuitBreaker as cockatielBreaker,
  handleAll,
  timeout as cockatielTimeout,
  wrap,
} from 'cockatiel';
import OpossumBreaker from 'opossum';
import {
  asyncScheduler,
  defer,
  from,
  identity,
  lastValueFrom,
  map,
  mergeMap,
  of,
  range,
  type Observable,
  type Observer,
} from 'rxjs';
import { CircuitBreaker } from '../src/breaker/CircuitBreaker';
import { Bulkhead } from '../src/bulkhead/Bulkhead';
import { bulkhead } from '../src/operators/bulkhead';
import { circuitBreaker } from '../src/operators/circuitBreaker';
import { retryBackoff } from '../src/operators/retryBackoff';
import { timeoutAfter } from '../src/operators/timeoutAfter';
import { ResiliencePipeline } from '../src/pipeline/ResiliencePipeline';
import { resilient } from '../src/pipeline/resilient';
import { compare, formatNs, Report } from './harness';

const observer: Partial<Observer<number>> = { next: () => undefined, error: () => undefined };

/** `n` calls made by `call` inside mergeMap (a fresh subscription each), synchronously. */
function syncCalls(call: (x: number) => Observable<number>, n: number): void {
  range(0, n).pipe(mergeMap(call)).subscribe(observer);
}

function rethrow(error: unknown): never {
  throw error;
}

/** Rounds of every table (after one untimed warm-up round). */
const ROUNDS = 21;

/** Calls in flight at once in the async rows. */
const IN_FLIGHT = 100;

/**
 * `n` calls made by `call` inside mergeMap, `IN_FLIGHT` at a time: each batch is subscribed at once and
 * awaited to its last call. (Thousands in flight behind one mergeMap would time rxjs's own buffer, which
 * shifts an array per value, rather than the calls.)
 */
async function asyncCalls(call: (x: number) => Observable<number>, n: number): Promise<void> {
  for (let done = 0; done < n; done += IN_FLIGHT) {
    await lastValueFrom(range(0, IN_FLIGHT).pipe(mergeMap(call)), { defaultValue: 0 });
  }
}

/** The stages of the target: attempt timeout 1 s, a breaker and a pool far from their limits. */
function threeStages(name: string): ResiliencePipeline {
  return new ResiliencePipeline({
    name,
    attemptTimeout: 1000,
    breaker: new CircuitBreaker({ name }),
    bulkhead: new Bulkhead({ name, maxConcurrent: 1_000_000 }),
  });
}

export default async function run(): Promise<void> {
  const report = new Report(
    'pipeline',
    'ResiliencePipeline: fused against bare rxjs, hand-stacked operators, cockatiel, opossum',
  );

  // 1. Synchronous calls.
  const syncOps = 50_000;
  const p = threeStages('sync');
  const everything = new ResiliencePipeline({
    name: 'every',
    deadline: 5000,
    retry: { maxRetries: 3, initialDelay: 100 },
    attemptTimeout: 1000,
    breaker: new CircuitBreaker(),
    bulkhead: new Bulkhead({ maxConcurrent: 1_000_000 }),
  });
  const handBreaker = new CircuitBreaker();
  const handPool = new Bulkhead({ maxConcurrent: 1_000_000 });
  const sync = await compare(
    [
      { name: 'mergeMap((x) => of(x))', run: (n) => syncCalls((x) => of(x), n) },
      {
        name: '... .pipe(map(identity)): one rxjs operator, the floor of any operator',
        run: (n) => syncCalls((x) => of(x).pipe(map(identity)), n),
      },
      {
        name: 'mergeMap((x) => of(x).pipe(resilient(p))): attempt timeout, breaker, bulkhead',
        run: (n) => syncCalls((x) => of(x).pipe(resilient(p)), n),
      },
      {
        name: '... the same stages stacked: timeoutAfter, bulkhead, circuitBreaker',
        run: (n) =>
          syncCalls(
            (x) => of(x).pipe(timeoutAfter(1000), bulkhead(handPool), circuitBreaker(handBreaker)),
            n,
          ),
      },
      {
        name: '... resilient(p) with every stage (deadline and retry too)',
        run: (n) => syncCalls((x) => of(x).pipe(resilient(everything)), n),
      },
      {
        name: '... every stage stacked',
        run: (n) =>
          syncCalls(
            (x) =>
              of(x).pipe(
                timeoutAfter(1000),
                bulkhead(handPool),
                circuitBreaker(handBreaker),
                retryBackoff({ maxRetries: 3, initialDelay: 100 }),
                timeoutAfter(5000),
              ),
            n,
          ),
      },
    ],
    syncOps,
    ROUNDS,
    'minor',
  );
  report.timings(`a synchronous call inside mergeMap, ${syncOps} calls`, sync, 'mergeMap((x) => of(x))');
  const syncRatio = sync[2]!.nsPerOp / sync[0]!.nsPerOp;
  const floorRatio = sync[1]!.nsPerOp / sync[0]!.nsPerOp;
  report.check(
    'resilient (attempt timeout, breaker, bulkhead) per synchronous call <= 1.5x bare mergeMap',
    syncRatio,
    syncRatio <= 1.5,
  );

  // 2. Async calls, IN_FLIGHT at a time.
  const asyncOps = 10_000;
  const fn = (): Promise<number> => Promise.resolve(1);
  const q = threeStages('async');
  const asyncBreaker = new CircuitBreaker();
  const asyncPool = new Bulkhead({ maxConcurrent: 1_000_000 });
  const async = await compare(
    [
      {
        name: 'mergeMap(() => defer(() => from(fn())))',
        run: (n) => asyncCalls(() => defer(() => from(fn())), n),
      },
      {
        name: '... .pipe(map(identity)): one rxjs operator, the floor of any operator',
        run: (n) => asyncCalls(() => defer(() => from(fn())).pipe(map(identity)), n),
      },
      {
        name: '... and one asyncScheduler.now() per call: the floor of an operator that times the call',
        run: (n) =>
          asyncCalls(
            () =>
              defer(() => {
                asyncScheduler.now();
                return from(fn());
              }).pipe(map(identity)),
            n,
          ),
      },
      {
        name: '... .pipe(resilient(p)): attempt timeout, breaker, bulkhead',
        run: (n) => asyncCalls(() => defer(() => from(fn())).pipe(resilient(q)), n),
      },
      {
        name: '... the same stages stacked',
        run: (n) =>
          asyncCalls(
            () =>
              defer(() => from(fn())).pipe(
                timeoutAfter(1000),
                bulkhead(asyncPool),
                circuitBreaker(asyncBreaker),
              ),
            n,
          ),
      },
    ],
    asyncOps,
    ROUNDS,
    'minor',
  );
  report.timings(
    `an already-resolved async call, ${asyncOps} calls, ${IN_FLIGHT} in flight at a time`,
    async,
    'mergeMap(() => defer(() => from(fn())))',
  );
  const asyncRatio = async[3]!.nsPerOp / async[0]!.nsPerOp;
  const asyncFloorRatio = async[1]!.nsPerOp / async[0]!.nsPerOp;
  const asyncTimedFloorRatio = async[2]!.nsPerOp / async[0]!.nsPerOp;
  report.check(
    'resilient (attempt timeout, breaker, bulkhead) per async call <= 1.2x bare defer(() => from(fn()))',
    asyncRatio,
    asyncRatio <= 1.2,
  );

  // 3. execute, awaited one after another, against cockatiel and opossum.
  const awaitedOps = 20_000;
  const e = threeStages('execute');
  const breakerOnly = new ResiliencePipeline({ name: 'breaker', breaker: new CircuitBreaker() });
  const cockatiel = wrap(
    cockatielBulkhead(1_000_000),
    cockatielBreaker(handleAll, { halfOpenAfter: 30_000, breaker: new ConsecutiveBreaker(5) }),
    cockatielTimeout(1000, TimeoutStrategy.Cooperative),
  );
  const opossum = new OpossumBreaker(fn);
  const cockatielBreakerAlone = cockatielBreaker(handleAll, {
    halfOpenAfter: 30_000,
    breaker: new ConsecutiveBreaker(5),
  });
  const awaited = await compare(
    [
      {
        name: 'await fn() (promise baseline)',
        run: async (n) => {
          for (let i = 0; i < n; i++) await fn();
        },
      },
      {
        name: 'await fn().then(onValue, onError): the floor of a wrapper that sees the outcome',
        run: async (n) => {
          for (let i = 0; i < n; i++) await fn().then(identity, rethrow);
        },
      },
      {
        name: 'await p.execute(fn): bulkhead, breaker, attempt timeout',
        run: async (n) => {
          for (let i = 0; i < n; i++) await e.execute(fn);
        },
      },
      {
        name: 'await cockatiel wrap(bulkhead, breaker, timeout).execute(fn)',
        run: async (n) => {
          for (let i = 0; i < n; i++) await cockatiel.execute(fn);
        },
      },
      {
        name: 'await p.execute(fn): breaker alone',
        run: async (n) => {
          for (let i = 0; i < n; i++) await breakerOnly.execute(fn);
        },
      },
      {
        name: 'await opossum new CircuitBreaker(fn).fire()',
        run: async (n) => {
          for (let i = 0; i < n; i++) await opossum.fire();
        },
      },
      {
        name: 'await cockatiel circuitBreaker(handleAll, ConsecutiveBreaker(5)).execute(fn)',
        run: async (n) => {
          for (let i = 0; i < n; i++) await cockatielBreakerAlone.execute(fn);
        },
      },
      {
        name: 'await p.execute((signal) => fn()): a native AbortSignal per attempt',
        run: async (n) => {
          for (let i = 0; i < n; i++) await e.execute((_signal) => fn());
        },
      },
    ],
    awaitedOps,
    ROUNDS,
    'minor',
  );
  opossum.shutdown();
  report.timings(
    `an already-resolved call, ${awaitedOps} calls awaited in turn`,
    awaited,
    'await fn() (promise baseline)',
  );
  const vsCockatiel = awaited[2]!.nsPerOp / awaited[3]!.nsPerOp;
  const vsOpossum = awaited[4]!.nsPerOp / awaited[5]!.nsPerOp;
  const floorVsOpossum = awaited[1]!.nsPerOp / awaited[5]!.nsPerOp;
  const cockatielVsOpossum = awaited[6]!.nsPerOp / awaited[5]!.nsPerOp;
  report.check(
    'execute (bulkhead, breaker, attempt timeout) per awaited call <= 0.2x cockatiel wrap',
    vsCockatiel,
    vsCockatiel <= 0.2,
  );
  report.check(
    'execute (breaker alone) per awaited call <= 0.3x opossum fire()',
    vsOpossum,
    vsOpossum <= 0.3,
  );
  report.table('ratios', [
    { case: 'resilient / bare, synchronous', ratio: Number(syncRatio.toFixed(2)) },
    { case: 'resilient / bare, async', ratio: Number(asyncRatio.toFixed(2)) },
    { case: 'execute / cockatiel wrap', ratio: Number(vsCockatiel.toFixed(2)) },
    { case: 'execute (breaker) / opossum fire', ratio: Number(vsOpossum.toFixed(2)) },
    {
      case: 'hand-stacked / resilient, synchronous',
      ratio: Number((sync[3]!.nsPerOp / sync[2]!.nsPerOp).toFixed(2)),
    },
    { case: 'one map(identity) layer / bare, synchronous (the floor)', ratio: Number(floorRatio.toFixed(2)) },
    { case: 'per sync call added by resilient', ratio: formatNs(sync[2]!.nsPerOp - sync[0]!.nsPerOp) },
    { case: 'one map(identity) layer / bare, async (the floor)', ratio: Number(asyncFloorRatio.toFixed(2)) },
    {
      case: 'map(identity) and one clock read / bare, async (the floor of a timed operator)',
      ratio: Number(asyncTimedFloorRatio.toFixed(2)),
    },
    { case: 'per async call added by resilient', ratio: formatNs(async[3]!.nsPerOp - async[0]!.nsPerOp) },
    {
      case: 'fn().then(onValue, onError) / opossum fire (the floor of a wrapper)',
      ratio: Number(floorVsOpossum.toFixed(2)),
    },
    { case: 'cockatiel breaker alone / opossum fire', ratio: Number(cockatielVsOpossum.toFixed(2)) },
  ]);
  report.save();
}
