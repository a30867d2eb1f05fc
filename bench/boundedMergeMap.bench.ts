/**
 * boundedMergeMap against rxjs mergeMap(f, n), whose buffer of waiting values has no bound (rxjs#4610)
 * and drains with Array#shift.
 *
 * 1. Hot path under capacity: synchronous inners (nothing waits) and a flood that waits without
 *    overflowing, then drains; the cost added per value over mergeMap.
 * 2. A synchronous flood of 1 000 000 events into a slow consumer (4 inners that hold until released)
 *    with capacity 1 000: heap sampled every 100 000 values inside the source loop, and time per value.
 * 3. Drain time against the number of waiting values: the ring buffer drains in linear time; mergeMap's
 *    Array#shift drain turns quadratic (measured up to 30 000 waiting values only, to keep the suite
 *    short: 1 000 000 would take minutes).
 *
 * The suite takes about 12 to 15 s of CPU, most of it in the 1 000 000-value flood through mergeMap,
 * whose 20 full collections of its growing heap are the measurement itself.
 *
 * Run: npm run bench -- boundedMergeMap
 */
import { Observable, mergeMap, of, range, type OperatorFunction, type Subscriber } from 'rxjs';
import { boundedMergeMap } from '../src/operators/boundedMergeMap';
import { compare, formatNs, heapUsed, median, Report, type Case, type Row } from './harness';

interface Event {
  readonly seq: number;
  readonly payload: string;
}

const MB = 1024 * 1024;

/** A synchronous source of `count` events; `sample(i)` runs after every 100 000th. */
function flood(count: number, sample?: (emitted: number) => void): Observable<Event> {
  return new Observable<Event>((subscriber) => {
    for (let i = 0; i < count && !subscriber.closed; i++) {
      subscriber.next({ seq: i, payload: `event ${i}` });
      if (sample !== undefined && (i + 1) % 100_000 === 0) sample(i + 1);
    }
    subscriber.complete();
  });
}

/**
 * A slow consumer: every inner holds its slot until released, then emits its event's seq and completes.
 * `drain()` releases the running inners one at a time, oldest first (each release lets the operator
 * start the next waiting value), until the stream completes; it returns how many releases that took.
 * Hand-rolled so that its own cost per value stays small next to the operators measured.
 */
function slowConsumer() {
  const running: Array<{ readonly subscriber: Subscriber<number>; readonly seq: number }> = [];
  let done = false;
  return {
    handle: (event: Event): Observable<number> =>
      new Observable<number>((subscriber) => {
        running.push({ subscriber, seq: event.seq });
      }),
    onComplete: () => (done = true),
    drain(): number {
      let n = 0;
      // `running` holds at most `concurrency` entries: shift() on it is cheap.
      for (let next = running.shift(); next !== undefined && !done; next = running.shift()) {
        next.subscriber.next(next.seq);
        next.subscriber.complete();
        n++;
      }
      return n;
    },
  };
}

type Strategy = (
  handle: (event: Event) => Observable<number>,
  onDrop?: () => void,
) => OperatorFunction<Event, number>;

/** Fills `waiting` values behind one busy slot and times the drain, in ns per value. */
function drainNsPerValue(strategy: Strategy, waiting: number): number {
  const consumer = slowConsumer();
  let delivered = 0;
  flood(waiting + 1)
    .pipe(strategy(consumer.handle))
    .subscribe({ next: () => delivered++, complete: consumer.onComplete });
  const start = process.hrtime.bigint();
  consumer.drain();
  const ns = Number(process.hrtime.bigint() - start);
  if (delivered !== waiting + 1) throw new Error(`drain delivered ${delivered} of ${waiting + 1}`);
  return ns / (waiting + 1);
}

/**
 * Like the harness's `compare`, minus its full collection before each run: a run that parks 10 000
 * values right after a forced full GC was measured at ~10 us per value (both operators alike, with a
 * spread of 3x between rounds), against ~0.5 us without it, which buries the difference measured here.
 */
function alternate(cases: ReadonlyArray<Case>, ops: number, rounds: number): Row[] {
  const samples = cases.map(() => [] as number[]);
  for (let round = -2; round < rounds; round++) {
    cases.forEach((c, i) => {
      const start = process.hrtime.bigint();
      void c.run(ops);
      if (round >= 0) samples[i]!.push(Number(process.hrtime.bigint() - start) / ops);
    });
  }
  return cases.map((c, i) => ({ name: c.name, nsPerOp: median(samples[i]!), rounds: samples[i]! }));
}

export default async function run(): Promise<void> {
  const report = new Report('boundedMergeMap', 'boundedMergeMap: bounded buffer vs rxjs mergeMap(f, n)');

  let sectionStart = process.hrtime.bigint();
  const section = (name: string): void => {
    const now = process.hrtime.bigint();
    console.log(`(${name}: ${(Number(now - sectionStart) / 1e9).toFixed(1)} s)`);
    sectionStart = now;
  };

  // 1. Hot path, under capacity.
  const ops = 50_000;
  const hot = await compare(
    [
      {
        name: 'rxjs mergeMap(x => of(x), 4)',
        run: (n) =>
          void range(0, n)
            .pipe(mergeMap((x) => of(x), 4))
            .subscribe(),
      },
      {
        name: 'boundedMergeMap(x => of(x), { capacity: 1000, concurrency: 4 })',
        run: (n) =>
          void range(0, n)
            .pipe(boundedMergeMap((x) => of(x), { capacity: 1000, concurrency: 4 }))
            .subscribe(),
      },
    ],
    ops,
    9,
  );
  report.timings(`synchronous inners, ${ops} values (nothing waits)`, hot, 'rxjs mergeMap(x => of(x), 4)');
  const addedHot = hot[1]!.nsPerOp - hot[0]!.nsPerOp;
  report.check('adds <= 100 ns per value over mergeMap, synchronous inners (ns)', addedHot, addedHot <= 100);

  const waitingOps = 10_000;
  const queued = alternate(
    [
      {
        name: 'rxjs mergeMap(slow, 1)',
        run: (n) => {
          const consumer = slowConsumer();
          flood(n - 1)
            .pipe(mergeMap(consumer.handle, 1))
            .subscribe({ complete: consumer.onComplete });
          consumer.drain();
        },
      },
      {
        name: 'boundedMergeMap(slow, { capacity: 10000 })',
        run: (n) => {
          const consumer = slowConsumer();
          flood(n - 1)
            .pipe(boundedMergeMap(consumer.handle, { capacity: 10_000 }))
            .subscribe({ complete: consumer.onComplete });
          consumer.drain();
        },
      },
    ],
    waitingOps,
    15,
  );
  report.timings(
    `flood of ${waitingOps} values waiting behind one slow slot, then drained (under capacity)`,
    queued,
    'rxjs mergeMap(slow, 1)',
  );
  const addedQueued = queued[1]!.nsPerOp - queued[0]!.nsPerOp;
  report.check(
    'adds <= 100 ns per value over mergeMap, values waiting then drained (ns)',
    addedQueued,
    addedQueued <= 100,
  );

  section('hot path');

  // 2. The flood: 1 000 000 events into 4 held slots.
  const total = 1_000_000;
  const floodRows: Array<Record<string, unknown>> = [];
  const heapRows: Array<Record<string, unknown>> = [];
  const growth: Record<string, number> = {};
  const strategies: Array<[string, Strategy]> = [
    ['rxjs mergeMap(slow, 4)', (handle) => mergeMap(handle, 4)],
    [
      "boundedMergeMap(slow, { capacity: 1000, concurrency: 4, overflow: 'dropOldest' })",
      (handle, onDrop) =>
        boundedMergeMap(handle, {
          capacity: 1000,
          concurrency: 4,
          overflow: 'dropOldest',
          onOverflow: onDrop,
        }),
    ],
  ];
  for (const [name, strategy] of strategies) {
    // One run: heap after a full collection every 100 000 values, inside the source loop; the time per
    // value leaves out the time spent sampling.
    const consumer = slowConsumer();
    let dropped = 0;
    let delivered = 0;
    let sampling = 0n;
    const samples: number[] = [];
    const before = heapUsed();
    const start = process.hrtime.bigint();
    const subscription = flood(total, () => {
      const t = process.hrtime.bigint();
      samples.push(heapUsed() - before);
      sampling += process.hrtime.bigint() - t;
    })
      .pipe(strategy(consumer.handle, () => dropped++))
      .subscribe({ next: () => delivered++, complete: consumer.onComplete });
    const perValue = Number(process.hrtime.bigint() - start - sampling) / total;
    const afterFlood = heapUsed() - before;
    const maxDelta = Math.max(...samples.map(Math.abs), Math.abs(afterFlood));
    growth[name] = maxDelta;
    let drainNote = 'not drained (Array#shift of 10^6 would take minutes); unsubscribed';
    if (name.startsWith('boundedMergeMap')) {
      const start = process.hrtime.bigint();
      const tickCount = consumer.drain();
      drainNote = `drained ${delivered} values in ${tickCount} releases, ${formatNs(Number(process.hrtime.bigint() - start))}`;
      if (delivered + dropped !== total)
        throw new Error(`lost values: ${delivered} + ${dropped} != ${total}`);
    }
    subscription.unsubscribe();
    const afterAll = heapUsed() - before;
    floodRows.push({
      case: name,
      'per value': formatNs(perValue),
      ns: Number(perValue.toFixed(1)),
      dropped,
      drain: drainNote,
    });
    heapRows.push({
      case: name,
      ...Object.fromEntries(samples.map((b, i) => [`${(i + 1) * 100}k`, `${(b / MB).toFixed(1)} MB`])),
      'after flood': `${(afterFlood / MB).toFixed(1)} MB`,
      'after teardown': `${(afterAll / MB).toFixed(1)} MB`,
    });
  }
  report.table(`flood of ${total} events into 4 held slots: time per value`, floodRows);
  report.table('heap above its starting level during the flood (after full collections)', heapRows);
  const boundedGrowth = growth[strategies[1]![0]]!;
  const mergeGrowth = growth[strategies[0]![0]]!;
  report.check(
    'boundedMergeMap heap within 5 MB of its start through the flood (MB)',
    boundedGrowth / MB,
    boundedGrowth <= 5 * MB,
  );
  report.check(
    'mergeMap heap grows through the same flood (MB, expected > 5)',
    mergeGrowth / MB,
    mergeGrowth > 5 * MB,
  );

  section('flood');

  // 3. Drain time against waiting values (after one unmeasured warm-up drain of each).
  drainNsPerValue((handle) => boundedMergeMap(handle, { capacity: 10_000 }), 10_000);
  drainNsPerValue((handle) => mergeMap(handle, 1), 10_000);
  const drainRows: Array<Record<string, unknown>> = [];
  const boundedPerValue: number[] = [];
  for (const waiting of [10_000, 100_000, 1_000_000]) {
    const ns = drainNsPerValue((handle) => boundedMergeMap(handle, { capacity: waiting }), waiting);
    boundedPerValue.push(ns);
    drainRows.push({
      case: 'boundedMergeMap',
      waiting,
      'per value': formatNs(ns),
      ns: Number(ns.toFixed(1)),
    });
  }
  const mergePerValue: number[] = [];
  for (const waiting of [10_000, 20_000, 30_000]) {
    const ns = drainNsPerValue((handle) => mergeMap(handle, 1), waiting);
    mergePerValue.push(ns);
    drainRows.push({ case: 'rxjs mergeMap', waiting, 'per value': formatNs(ns), ns: Number(ns.toFixed(1)) });
  }
  report.table('drain after a flood behind one slot: time per value against values waiting', drainRows);
  // From 100 000 to 1 000 000 waiting: a run of 10 000 stays in the young generation and costs less per
  // value than runs whose waiting events live long enough to be promoted; quadratic would give ~10x.
  const linearity = boundedPerValue[2]! / boundedPerValue[1]!;
  report.check(
    'boundedMergeMap drain is linear: per-value cost at 1 000 000 waiting / at 100 000 (<= 2)',
    linearity,
    linearity <= 2,
  );

  const mergeGrowthRatio = mergePerValue[2]! / mergePerValue[0]!;
  report.check(
    'mergeMap drain is not linear: per-value cost at 30 000 waiting / at 10 000 (>= 2 shows the Array#shift drain)',
    mergeGrowthRatio,
    mergeGrowthRatio >= 2,
  );

  section('drain');
  report.save();
}
