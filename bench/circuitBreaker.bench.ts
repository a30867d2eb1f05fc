/**
 * circuitBreaker against bare rxjs and against cockatiel's and opossum's breakers, in one process.
 *
 * 1. Per call, a synchronous call through a closed breaker inside mergeMap:
 *    `mergeMap(() => of(1).pipe(circuitBreaker(b)))` against the same pipeline without it; variants with a
 *    time window, with slow-call timing on, and with `events$` observed (the events are then built).
 * 2. Per call, an already-resolved call: cockatiel `circuitBreaker(handleAll, { halfOpenAfter, breaker:
 *    new ConsecutiveBreaker(5) }).execute(fn)` and opossum `new CircuitBreaker(fn).fire()` (defaults), both
 *    awaited one after another, beside a bare `await fn()`.
 * 3. Heap: after N and after 10N calls through one breaker (count and time windows): the breaker's memory
 *    is bounded by its window, so the heap must not grow with the number of calls.
 * 4. A refused call (open breaker): what failing fast costs.
 *
 * Run: npm run bench -- circuitBreaker
 */
import { ConsecutiveBreaker, circuitBreaker as cockatielBreaker, handleAll } from 'cockatiel';
import OpossumBreaker from 'opossum';
import { identity, map, mergeMap, of, range, throwError, type Observable, type Observer } from 'rxjs';
import { CircuitBreaker } from '../src/breaker/CircuitBreaker';
import { circuitBreaker } from '../src/operators/circuitBreaker';
import { compare, formatNs, heapUsed, Report } from './harness';

const observer: Partial<Observer<number>> = { next: () => undefined, error: () => undefined };

/** `n` synchronous calls of `call$` (a fresh subscription each) inside mergeMap. */
function viaMergeMap(call$: Observable<number>, n: number): void {
  range(0, n)
    .pipe(mergeMap(() => call$))
    .subscribe(observer);
}

/** Heap growth, in bytes, after `calls` calls through a fresh breaker built by `make`. */
function heapGrowth(make: () => CircuitBreaker, calls: number): number {
  const breaker = make();
  const call$ = of(1).pipe(circuitBreaker(breaker));
  viaMergeMap(call$, 1000); // warm up the breaker's own structures
  const before = heapUsed();
  viaMergeMap(call$, calls);
  const after = heapUsed();
  if (breaker.metrics().inFlight !== 0) throw new Error('calls left in flight');
  return after - before;
}

export default async function run(): Promise<void> {
  const report = new Report('circuitBreaker', 'circuitBreaker: cost per call, against cockatiel and opossum');

  // 1. Our breaker inside mergeMap.
  const ops = 200_000;
  const closed = new CircuitBreaker();
  const timed = new CircuitBreaker({ window: { type: 'time', duration: 10_000 }, slowCallDuration: 5000 });
  const watched = new CircuitBreaker();
  const watching = watched.events$.subscribe();
  const rx = await compare(
    [
      { name: 'mergeMap(() => of(1))', run: (n) => viaMergeMap(of(1), n) },
      {
        name: 'mergeMap(() => of(1).pipe(map(identity))) (one rxjs operator, for scale)',
        run: (n) => viaMergeMap(of(1).pipe(map(identity)), n),
      },
      {
        name: 'mergeMap(() => of(1).pipe(circuitBreaker(b))), count window',
        run: (n) => viaMergeMap(of(1).pipe(circuitBreaker(closed)), n),
      },
      {
        name: '... time window + slow-call timing',
        run: (n) => viaMergeMap(of(1).pipe(circuitBreaker(timed)), n),
      },
      {
        name: '... with events$ observed',
        run: (n) => viaMergeMap(of(1).pipe(circuitBreaker(watched)), n),
      },
    ],
    ops,
    9,
  );
  watching.unsubscribe();
  report.timings(`a synchronous call inside mergeMap, ${ops} calls`, rx, 'mergeMap(() => of(1))');
  const base = rx[0]!.nsPerOp;
  const oneOperator = rx[1]!.nsPerOp;
  const ours = rx[2]!.nsPerOp;
  report.table(
    'added per call over the same pipeline without it, and over one rxjs operator layer',
    rx.slice(1).map((row) => ({
      case: row.name,
      'added per call': formatNs(row.nsPerOp - base),
      'added over map(identity)': formatNs(row.nsPerOp - oneOperator),
    })),
  );

  // The breaker's own bookkeeping per call, without any rxjs subscription around it.
  const logic = new CircuitBreaker();
  const bookkeeping = await compare(
    [
      {
        name: 'breaker bookkeeping alone: acquire() + succeed() (internal API)',
        run: (k) => {
          for (let i = 0; i < k; i++) logic.succeed(logic.acquire() as number, NaN);
        },
      },
    ],
    1_000_000,
    5,
  );
  report.timings('what the breaker itself does per call', bookkeeping);

  // 2. cockatiel and opossum on an already-resolved call.
  const promiseOps = 50_000;
  const fn = () => 1;
  const opossum = new OpossumBreaker(async () => 1);
  const cockatiel = cockatielBreaker(handleAll, {
    halfOpenAfter: 10_000,
    breaker: new ConsecutiveBreaker(5),
  });
  const promises = await compare(
    [
      {
        name: 'await fn() (promise baseline)',
        run: async (n) => {
          const call = async () => 1;
          for (let i = 0; i < n; i++) await call();
        },
      },
      {
        name: 'await cockatiel circuitBreaker(handleAll, ConsecutiveBreaker(5)).execute(fn)',
        run: async (n) => {
          for (let i = 0; i < n; i++) await cockatiel.execute(fn);
        },
      },
      {
        name: 'await opossum new CircuitBreaker(fn).fire()',
        run: async (n) => {
          for (let i = 0; i < n; i++) await opossum.fire();
        },
      },
    ],
    promiseOps,
    5,
  );
  opossum.shutdown();
  report.timings(`an already-resolved call, ${promiseOps} calls awaited in turn`, promises);
  const opossumNs = promises[2]!.nsPerOp;
  const cockatielNs = promises[1]!.nsPerOp;
  report.table('per call, whole pipeline against theirs', [
    { case: 'ours: mergeMap + of + circuitBreaker', 'per call': formatNs(ours) },
    {
      case: 'cockatiel execute',
      'per call': formatNs(cockatielNs),
      'x ours': Number((cockatielNs / ours).toFixed(2)),
    },
    {
      case: 'opossum fire',
      'per call': formatNs(opossumNs),
      'x ours': Number((opossumNs / ours).toFixed(2)),
    },
  ]);

  // 3. Memory against the number of calls.
  const n = 100_000;
  const memoryRows: Array<Record<string, unknown>> = [];
  const growth: number[] = [];
  for (const [name, make] of [
    ['count window of 20', () => new CircuitBreaker()],
    ['time window of 10 s', () => new CircuitBreaker({ window: { type: 'time', duration: 10_000 } })],
  ] as const) {
    const small = heapGrowth(make, n);
    const large = heapGrowth(make, 10 * n);
    growth.push((large - small) / (9 * n));
    memoryRows.push({
      breaker: name,
      [`heap growth after ${n} calls`]: `${(small / 1024).toFixed(1)} KiB`,
      [`after ${10 * n} calls`]: `${(large / 1024).toFixed(1)} KiB`,
      'bytes per extra call': Number(((large - small) / (9 * n)).toFixed(3)),
    });
  }
  report.table(
    'heap after N and 10N calls through one breaker (full collections before and after)',
    memoryRows,
  );

  // 4. Refused calls: a subscription that errors at once, against rxjs's own cost of one.
  const open = new CircuitBreaker({ minimumCalls: 1, openDuration: 1e12 });
  throwError(() => new Error('down'))
    .pipe(circuitBreaker(open))
    .subscribe(observer);
  if (open.state !== 'open') throw new Error('the breaker should be open');
  const refusedCall$ = of(1).pipe(circuitBreaker(open));
  const prebuilt = new Error('prebuilt');
  const refused = await compare(
    [
      {
        name: 'throwError(() => prebuilt error).subscribe() (rxjs floor)',
        run: (k) => {
          const error$ = throwError(() => prebuilt);
          for (let i = 0; i < k; i++) error$.subscribe(observer);
        },
      },
      {
        name: 'of(1).pipe(circuitBreaker(open)).subscribe(): refused',
        run: (k) => {
          for (let i = 0; i < k; i++) refusedCall$.subscribe(observer);
        },
      },
    ],
    ops,
    5,
  );
  report.timings('failing fast: a refused call (CircuitOpenError built without a stack trace)', refused);

  const added = ours - base;
  const promiseBase = promises[0]!.nsPerOp;
  report.check(
    'circuitBreaker adds <= 100 ns per call over the same pipeline without it (ns)',
    added,
    added <= 100,
  );
  report.check(
    'circuitBreaker adds <= 100 ns per call over one rxjs operator layer, map(identity) (ns)',
    ours - oneOperator,
    ours - oneOperator <= 100,
  );
  report.check(
    'opossum fire() per call / our whole call per call >= 3 (x)',
    opossumNs / ours,
    opossumNs / ours >= 3,
  );
  report.check(
    "opossum's added cost over await fn() / ours over mergeMap(() => of(1)) >= 3 (x)",
    (opossumNs - promiseBase) / added,
    (opossumNs - promiseBase) / added >= 3,
  );
  report.check('cockatiel execute() per call / our whole call (x, for the record)', cockatielNs / ours, true);
  const worst = Math.max(...growth);
  report.check('heap does not grow with calls: bytes per extra call < 1 (B)', worst, worst < 1);
  report.save();
}
