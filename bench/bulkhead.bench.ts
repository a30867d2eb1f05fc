/**
 * bulkhead against bare rxjs mergeMap(f, n) and against cockatiel's BulkheadPolicy (whose queue is an
 * array drained with Array#shift).
 *
 * 1. Cost per call when nothing waits: mergeMap(x => of(x), 4) with and without `bulkhead(pool)` on
 *    each inner; cockatiel `execute(fn)` against a bare `await fn()`.
 * 2. Drain: 100 000 waiting synchronous calls behind one held slot (pool of 1), released at once; time
 *    per call, and what is left after rxjs's own cost of subscribing the same call without a pool; and,
 *    for scale, rxjs's own cost of giving a value and completion to 100 000 subscriptions made earlier
 *    (a `Subject` each), which, like waiting calls, are old and cold in the heap when they end.
 *    Cockatiel's drain is quadratic: measured at 20 000 waiting calls (100 000 would take ~5 s).
 * 3. Heap bytes per waiting call with 100 000 waiting, side by side with cockatiel, and rxjs's floor:
 *    what any subscription that registers one teardown costs (the subscriber the caller creates and
 *    rxjs's finalizer array), which the bulkhead cannot avoid.
 * 4. Adaptive limits (issue 14): the same per-call row through a fixed pool and through adaptive ones
 *    (AIMD per call, which reads no clock; AIMD windowed with slowCallDuration; Gradient2; Vegas), in
 *    alternating rounds, young generation collected between them. Target: AIMD adds at most 50 ns per
 *    call over a fixed pool. (That a fixed pool pays nothing for the change: its calls take the same path
 *    as before, the pool's shared handlers; compare this suite's rows against main's to see it.)
 *
 * Run: npm run bench -- bulkhead
 */
import { bulkhead as cockatielBulkhead } from 'cockatiel';
import { Observable, Subject, map, mergeMap, of, range, type Observer } from 'rxjs';
import { Bulkhead, type BulkheadConfig } from '../src/bulkhead/Bulkhead';
import { bulkhead } from '../src/operators/bulkhead';
import { compare, formatNs, heapUsed, median, Report } from './harness';

const observer: Partial<Observer<number>> = { next: () => undefined, error: () => undefined };

/**
 * CPU time (user + system) of `work`, in ns. On a machine shared with other busy processes, wall time
 * also counts the time this process waits for a core; CPU time does not, so both are reported.
 */
function cpuNs(work: () => void): number {
  const start = process.cpuUsage();
  work();
  const used = process.cpuUsage(start);
  return (used.user + used.system) * 1000;
}

/** Median CPU ns per op of each case over `rounds` alternating rounds (after one warm-up round). */
function compareCpu(cases: ReadonlyArray<readonly [string, (n: number) => void]>, ops: number, rounds = 7) {
  const samples = cases.map(() => [] as number[]);
  for (let round = -1; round < rounds; round++) {
    cases.forEach(([, run], i) => {
      heapUsed();
      const ns = cpuNs(() => run(ops)) / ops;
      if (round >= 0) samples[i]!.push(ns);
    });
  }
  return cases.map(([name], i) => ({ name, nsPerOp: median(samples[i]!) }));
}

/** Subscribes `count` calls of `call$` behind one held slot of a pool of 1; returns the release. */
function fill(pool: Bulkhead, call$: Observable<number>, count: number): () => void {
  const held = new Subject<number>();
  held.pipe(bulkhead(pool)).subscribe();
  for (let i = 0; i < count; i++) call$.subscribe(observer);
  if (pool.queued !== count) throw new Error(`expected ${count} waiting, got ${pool.queued}`);
  return () => held.complete();
}

/**
 * Drains `count` waiting synchronous calls; returns [wall, cpu] ns per call of the drain, and wall ns per
 * call of the enqueue before it (for information: a waiting call is given what it runs with when it
 * joins the queue). The pool has one `queueTimeout` deadline for its oldest waiting call, if any.
 */
function drainOurs(count: number, queueTimeout?: number): [number, number, number] {
  const pool = new Bulkhead({ maxConcurrent: 1, maxQueued: count, queueTimeout });
  const call$ = of(1).pipe(bulkhead(pool));
  heapUsed();
  const filled = process.hrtime.bigint();
  const release = fill(pool, call$, count);
  const enqueue = Number(process.hrtime.bigint() - filled) / count;
  heapUsed(); // start from a collected heap, as every row does
  const start = process.hrtime.bigint();
  const cpu = cpuNs(release) / count;
  const ns = Number(process.hrtime.bigint() - start) / count;
  if (pool.queued !== 0 || pool.metrics().started !== count) throw new Error('drain incomplete');
  return [ns, cpu, enqueue];
}

/** rxjs's own cost of subscribing `count` synchronous calls (no pool), the drain's floor: [wall, cpu]. */
function subscribeBare(count: number): [number, number] {
  const call$ = of(1);
  heapUsed();
  const start = process.hrtime.bigint();
  const cpu =
    cpuNs(() => {
      for (let i = 0; i < count; i++) call$.subscribe(observer);
    }) / count;
  return [Number(process.hrtime.bigint() - start) / count, cpu];
}

/**
 * rxjs's own cost of ending `count` subscriptions that were made earlier, as a drain's calls were (one
 * `Subject` each, subscribed before a full collection): a value and completion to each. [wall, cpu].
 */
function completeExisting(count: number): [number, number] {
  const subjects: Array<Subject<number>> = new Array(count);
  for (let i = 0; i < count; i++) {
    subjects[i] = new Subject<number>();
    subjects[i]!.subscribe(observer);
  }
  heapUsed();
  const start = process.hrtime.bigint();
  const cpu =
    cpuNs(() => {
      for (let i = 0; i < count; i++) {
        subjects[i]!.next(1);
        subjects[i]!.complete();
      }
    }) / count;
  return [Number(process.hrtime.bigint() - start) / count, cpu];
}

/** Cockatiel: `count` waiting calls behind one held execution, then released; ns per call. */
async function drainCockatiel(count: number): Promise<number> {
  const policy = cockatielBulkhead(1, count);
  let release!: () => void;
  const holder = policy.execute(() => new Promise<void>((resolve) => (release = resolve)));
  const fn = () => 1;
  const calls: Array<Promise<number>> = new Array(count);
  for (let i = 0; i < count; i++) calls[i] = policy.execute(fn);
  heapUsed();
  const start = process.hrtime.bigint();
  release();
  await holder;
  await Promise.all(calls);
  return Number(process.hrtime.bigint() - start) / count;
}

/** Heap bytes per waiting call, after full collections, with `count` calls waiting. */
function heapPerWaitingOurs(count: number): number {
  const pool = new Bulkhead({ maxConcurrent: 1, maxQueued: count });
  const call$ = of(1).pipe(bulkhead(pool));
  new Subject<number>().pipe(bulkhead(pool)).subscribe();
  const before = heapUsed();
  for (let i = 0; i < count; i++) call$.subscribe(observer);
  const bytes = (heapUsed() - before) / count;
  if (pool.queued !== count) throw new Error('not all waiting');
  return bytes;
}

/** What rxjs itself costs per subscription that registers one teardown (kept alive like a waiting call). */
function heapPerSubscriptionFloor(count: number): number {
  const teardown = { unsubscribe: () => undefined };
  const call$ = new Observable<number>((subscriber) => {
    subscriber.add(teardown);
  });
  const kept: unknown[] = new Array(count);
  const before = heapUsed();
  for (let i = 0; i < count; i++) kept[i] = call$.subscribe(observer);
  const bytes = (heapUsed() - before) / count - 8; // minus this array's own slot
  return kept.length === count ? bytes : NaN;
}

function heapPerWaitingCockatiel(count: number): number {
  const policy = cockatielBulkhead(1, count);
  void policy.execute(() => new Promise<void>(() => undefined));
  const fn = () => 1;
  const calls: Array<Promise<number>> = new Array(count);
  const before = heapUsed();
  for (let i = 0; i < count; i++) calls[i] = policy.execute(fn);
  const bytes = (heapUsed() - before) / count - 8; // minus this array's own slot
  return policy.queueSlots === 0 ? bytes : NaN;
}

export default async function run(): Promise<void> {
  const report = new Report('bulkhead', 'bulkhead: bounded pool vs rxjs mergeMap(f, n) and cockatiel');

  // 1. Per call, nothing waits.
  const ops = 50_000;
  const pool = new Bulkhead({ maxConcurrent: 4 });
  const perCall = await compare(
    [
      {
        name: 'rxjs mergeMap(x => of(x), 4)',
        run: (n) =>
          void range(0, n)
            .pipe(mergeMap((x) => of(x), 4))
            .subscribe(observer),
      },
      {
        name: 'mergeMap(x => of(x).pipe(bulkhead(pool)), 4)',
        run: (n) =>
          void range(0, n)
            .pipe(mergeMap((x) => of(x).pipe(bulkhead(pool)), 4))
            .subscribe(observer),
      },
      {
        name: 'mergeMap(x => of(x).pipe(map(identity)), 4) (any one rxjs operator, for scale)',
        run: (n) =>
          void range(0, n)
            .pipe(mergeMap((x) => of(x).pipe(map((v) => v)), 4))
            .subscribe(observer),
      },
      {
        name: 'await fn() (promise baseline)',
        run: async (n) => {
          const fn = async () => 1;
          for (let i = 0; i < n; i++) await fn();
        },
      },
      {
        name: 'await cockatiel bulkhead(4, 0).execute(fn)',
        run: async (n) => {
          const policy = cockatielBulkhead(4, 0);
          const fn = () => 1;
          for (let i = 0; i < n; i++) await policy.execute(fn);
        },
      },
    ],
    ops,
    5,
  );
  report.timings(`cost per call, ${ops} calls, nothing waits`, perCall, 'rxjs mergeMap(x => of(x), 4)');
  const ours = perCall[1]!.nsPerOp - perCall[0]!.nsPerOp;
  const oneOperator = perCall[2]!.nsPerOp - perCall[0]!.nsPerOp;
  const theirs = perCall[4]!.nsPerOp - perCall[3]!.nsPerOp;
  report.table('added per call', [
    { case: 'bulkhead over mergeMap(f, 4)', 'added per call': formatNs(ours) },
    { case: 'map(identity) over mergeMap(f, 4)', 'added per call': formatNs(oneOperator) },
    { case: 'cockatiel execute over await fn()', 'added per call': formatNs(theirs) },
  ]);
  const cpu = compareCpu(
    [
      [
        'rxjs mergeMap(x => of(x), 4)',
        (n) =>
          void range(0, n)
            .pipe(mergeMap((x) => of(x), 4))
            .subscribe(observer),
      ],
      [
        'mergeMap(x => of(x).pipe(bulkhead(pool)), 4)',
        (n) =>
          void range(0, n)
            .pipe(mergeMap((x) => of(x).pipe(bulkhead(pool)), 4))
            .subscribe(observer),
      ],
      [
        'mergeMap(x => of(x).pipe(map(identity)), 4)',
        (n) =>
          void range(0, n)
            .pipe(mergeMap((x) => of(x).pipe(map((v) => v)), 4))
            .subscribe(observer),
      ],
    ],
    ops,
    5,
  );
  const oursCpu = cpu[1]!.nsPerOp - cpu[0]!.nsPerOp;
  report.table(
    'the same, in CPU time per call (this process only)',
    cpu.map((row) => ({
      case: row.name,
      'per call': formatNs(row.nsPerOp),
      'added over mergeMap': formatNs(row.nsPerOp - cpu[0]!.nsPerOp),
    })),
  );
  report.check('bulkhead adds <= 150 ns per call over bare mergeMap(f, n), wall (ns)', ours, ours <= 150);
  report.check(
    'bulkhead adds <= 150 ns per call over bare mergeMap(f, n), CPU (ns)',
    oursCpu,
    oursCpu <= 150,
  );

  // 2. Drain.
  const rounds = 5;
  const drainRows: Array<Record<string, unknown>> = [];
  const best = (samples: ReadonlyArray<ReadonlyArray<number>>, i: 0 | 1 | 2) =>
    Math.min(...samples.map((s) => s[i]!));
  const drain = (count: number, queueTimeout?: number) => {
    // Alternated, so that drift of a shared machine hits both alike.
    const ours: Array<[number, number, number]> = [];
    const bare: Array<[number, number]> = [];
    const existing: Array<[number, number]> = [];
    for (let round = 0; round < rounds; round++) {
      ours.push(drainOurs(count, queueTimeout));
      bare.push(subscribeBare(count));
      existing.push(completeExisting(count));
    }
    const [total, totalCpu] = [best(ours, 0), best(ours, 1)];
    const [floor, floorCpu] = [best(bare, 0), best(bare, 1)];
    drainRows.push({
      case: `bulkhead, ${count} waiting${queueTimeout === undefined ? '' : `, queueTimeout ${queueTimeout}`}`,
      'per call': formatNs(total),
      'rxjs subscribe of the same call, no pool': formatNs(floor),
      'added by the bulkhead': formatNs(total - floor),
      'per call, CPU': formatNs(totalCpu),
      'added, CPU': formatNs(totalCpu - floorCpu),
      'enqueue per call, before the drain': formatNs(best(ours, 2)),
      'rxjs: value + complete to subscriptions made earlier': formatNs(best(existing, 0)),
    });
    return {
      total,
      added: total - floor,
      totalCpu,
      addedCpu: totalCpu - floorCpu,
      ratio: total / floor,
      ratioCpu: totalCpu / floorCpu,
      existingRatio: total / best(existing, 0),
      existingRatioCpu: totalCpu / best(existing, 1),
    };
  };
  drainOurs(10_000); // warm-up
  drainOurs(10_000, 60_000);
  subscribeBare(10_000);
  drain(10_000);
  const timed = drain(100_000, 60_000);
  const big = drain(100_000);
  const cockatiel = await drainCockatiel(20_000);
  drainRows.push({ case: 'cockatiel, 20 000 waiting (100 000: ~5 s)', 'per call': formatNs(cockatiel) });
  report.table('drain of waiting synchronous calls through a pool of 1 (best of 5)', drainRows);
  report.check(
    'draining 100 000 waiting calls: bulkhead adds <= 100 ns per call over rxjs subscribing it, wall (ns)',
    big.added,
    big.added <= 100,
  );
  report.check(
    'draining 100 000 waiting calls: bulkhead adds <= 100 ns per call over rxjs subscribing it, CPU (ns)',
    big.addedCpu,
    big.addedCpu <= 100,
  );
  report.check(
    'draining 100 000 waiting calls: total <= 100 ns per call, wall (ns)',
    big.total,
    big.total <= 100,
  );
  report.check(
    'draining 100 000 waiting calls: total <= 100 ns per call, CPU (ns)',
    big.totalCpu,
    big.totalCpu <= 100,
  );
  // Issue 11 item 4: the drain costs at most 2x rxjs subscribing the same calls with no bulkhead.
  for (const [label, d] of [
    ['no queueTimeout', big],
    ['queueTimeout 60000 (one deadline per pool)', timed],
  ] as const) {
    report.check(
      `draining 100 000 waiting calls, ${label}: drain / rxjs subscribe <= 2, wall`,
      d.ratio,
      d.ratio <= 2,
    );
    report.check(
      `draining 100 000 waiting calls, ${label}: drain / rxjs subscribe <= 2, CPU`,
      d.ratioCpu,
      d.ratioCpu <= 2,
    );
  }
  // Another floor: rxjs ending subscriptions that already exist costs about what the drain does (they are
  // in the old generation after a full collection, as waiting calls are), far more than a fresh subscribe.
  report.check(
    'draining 100 000 waiting calls / rxjs giving a value and completion to 100 000 subscriptions made earlier, wall (for information)',
    big.existingRatio,
    big.existingRatio <= 2,
  );
  report.check(
    'draining 100 000 waiting calls / rxjs giving a value and completion to 100 000 subscriptions made earlier, CPU (for information)',
    big.existingRatioCpu,
    big.existingRatioCpu <= 2,
  );
  report.check(
    'draining: bulkhead faster per call than cockatiel (wall, ns)',
    big.total,
    big.total < cockatiel,
  );

  // 3. Heap per waiting call.
  const waiting = 100_000;
  const oursBytes = heapPerWaitingOurs(waiting);
  const floorBytes = heapPerSubscriptionFloor(waiting);
  const cockatielBytes = heapPerWaitingCockatiel(waiting);
  report.table(`heap bytes per waiting call, ${waiting} waiting`, [
    {
      case: "bulkhead (caller's subscriber + rxjs finalizer array + queue node + call subscriber)",
      bytes: Math.round(oursBytes),
    },
    { case: 'rxjs floor: any subscription with one teardown', bytes: Math.round(floorBytes) },
    {
      case: 'bulkhead own share (queue node and the subscriber the call will run with)',
      bytes: Math.round(oursBytes - floorBytes),
    },
    { case: 'cockatiel execute(fn) (promise + queue entry)', bytes: Math.round(cockatielBytes) },
  ]);
  report.check('heap per waiting call, total <= 200 bytes', oursBytes, oursBytes <= 200);
  report.check(
    "heap per waiting call, the bulkhead's own share over rxjs's floor <= 200 bytes",
    oursBytes - floorBytes,
    oursBytes - floorBytes <= 200,
  );
  // 4. Adaptive limits against a fixed pool.
  const adaptive = adaptiveRows(50_000, 9);
  report.table(
    'cost per call, 50000 calls through mergeMap(x => of(x).pipe(bulkhead(pool)), 4): fixed and adaptive pools (median of 9 alternating rounds)',
    adaptive.map((row) => ({
      case: row.name,
      'per call': formatNs(row.wall),
      'added over fixed': formatNs(row.wall - adaptive[0]!.wall),
      'per call, CPU': formatNs(row.cpu),
      'added over fixed, CPU': formatNs(row.cpu - adaptive[0]!.cpu),
    })),
  );
  const aimdWall = adaptive[1]!.wall - adaptive[0]!.wall;
  const aimdCpu = adaptive[1]!.cpu - adaptive[0]!.cpu;
  report.check('adaptive AIMD adds <= 50 ns per call over a fixed pool, wall (ns)', aimdWall, aimdWall <= 50);
  report.check('adaptive AIMD adds <= 50 ns per call over a fixed pool, CPU (ns)', aimdCpu, aimdCpu <= 50);
  report.save();
}

/** Collects the young generation only (a full collection slows rxjs down for the next ~20 000 calls). */
function minorGc(): void {
  (globalThis as { gc?: (options?: { type: 'minor' }) => void }).gc?.({ type: 'minor' });
}

/**
 * Median wall and CPU ns per call through a fixed pool and adaptive ones, in `rounds` alternating rounds
 * after two warm-up rounds, each on a fresh pool of 4.
 */
function adaptiveRows(ops: number, rounds: number): Array<{ name: string; wall: number; cpu: number }> {
  const cases: ReadonlyArray<readonly [string, BulkheadConfig['adaptive']]> = [
    ['fixed pool', undefined],
    ["adaptive { algorithm: 'aimd' } (per call, no clock)", { algorithm: 'aimd' }],
    [
      "adaptive { algorithm: 'aimd', window: 1000, slowCallDuration: 150 }",
      { algorithm: 'aimd', window: 1000, slowCallDuration: 150 },
    ],
    ["adaptive { algorithm: 'gradient2', min: 1 }", { algorithm: 'gradient2', min: 1 }],
    ["adaptive { algorithm: 'vegas' }", { algorithm: 'vegas' }],
  ];
  const walls = cases.map(() => [] as number[]);
  const cpus = cases.map(() => [] as number[]);
  for (let round = -2; round < rounds; round++) {
    cases.forEach(([, adaptive], i) => {
      const pool = new Bulkhead({ maxConcurrent: 4, ...(adaptive ? { adaptive } : {}) });
      minorGc();
      const start = process.hrtime.bigint();
      const cpu = cpuNs(
        () =>
          void range(0, ops)
            .pipe(mergeMap((x) => of(x).pipe(bulkhead(pool)), 4))
            .subscribe(observer),
      );
      const wall = Number(process.hrtime.bigint() - start);
      if (round >= 0) {
        walls[i]!.push(wall / ops);
        cpus[i]!.push(cpu / ops);
      }
    });
  }
  return cases.map(([name], i) => ({ name, wall: median(walls[i]!), cpu: median(cpus[i]!) }));
}
