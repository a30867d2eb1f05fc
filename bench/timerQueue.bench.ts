/**
 * Shared timers (issue 11): pending deadlines of one scheduler share one real timer through the
 * TimerQueue, where rxjs `timeout` arms a real `setInterval` per call. Side by side in one process, on
 * the default `asyncScheduler` (real Node timers):
 *
 * 1. Real timers held by 10 000 calls in flight, each with `timeoutAfter(60000)` (or rxjs
 *    `timeout(60000)`) on a source that never answers, counted with `process.getActiveResourcesInfo()`,
 *    and after they are all unsubscribed.
 * 2. Subscribe plus unsubscribe per call, 10 000 calls in flight then all unsubscribed: bare, with
 *    `timeoutAfter(60000)`, with rxjs `timeout(60000)`; also one call at a time (the queue then empties
 *    between calls, so each call arms and cancels the timer, as rxjs does).
 * 3. Per async call that answers, 10 000 in flight: what `timeoutAfter(60000)` and rxjs `timeout(60000)`
 *    add over the bare call, and two floors: what rxjs's `map(identity)` adds, and what an operator layer
 *    built as timeoutAfter is (`operate` and a forwarding subscriber, doing nothing) adds. Answered
 *    by the source in the order they were made, and answered by resolved promises (`from(promise)`),
 *    where collecting what the 10 000 pending calls allocate weighs on every row.
 * 4. Heap bytes per pending deadline, 100 000 pending, against the bare pending subscription.
 * 5. Retry delays: 10 000 calls that failed once, waiting 60 s to retry, then unsubscribed: retryBackoff
 *    (delays through the queue) against rxjs `retry` with a `timer` delay.
 *
 * Rounds alternate between cases after a warm-up round; only the young generation is collected between
 * them (`gc({ type: 'minor' })`): a full collection right before a timed run slows rxjs code down.
 *
 * Run: npm run bench -- timerQueue
 */
import {
  NEVER,
  Observable,
  from,
  identity,
  map,
  retry,
  throwError,
  timeout,
  timer,
  type MonoTypeOperatorFunction,
  type Subscriber,
  type Subscription,
} from 'rxjs';
import { createOperatorSubscriber, operate } from '../src/internal/operate';
import { retryBackoff } from '../src/operators/retryBackoff';
import { timeoutAfter } from '../src/operators/timeoutAfter';
import { formatNs, heapUsed, median, Report } from './harness';

const IN_FLIGHT = 10_000;
/** The row of an operator layer built as timeoutAfter is, doing nothing: the floor of any timeoutAfter. */
const LAYER = 'operate() + forwarding subscriber, as timeoutAfter is built';
const HEAP_PENDING = 100_000;
const LIMIT = 60_000;
const ROUNDS = 7;
const noop = (): void => undefined;
const observer = { next: noop, error: noop, complete: noop };

/** Collects the young generation only (see the file notes); a no-op without --expose-gc. */
function minorGc(): void {
  (globalThis as { gc?: (options?: { type: string }) => void }).gc?.({ type: 'minor' });
}

/** Real timers (Node `Timeout` resources) alive now. */
function realTimers(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
}

interface Case {
  readonly name: string;
  /** Does `ops` calls; returns nothing or a promise. */
  readonly run: (ops: number) => void | Promise<void>;
}

/** Median wall ns per op of each case, in alternating rounds after one warm-up round. */
async function measure(
  cases: ReadonlyArray<Case>,
  ops: number,
  rounds = ROUNDS,
): Promise<Map<string, number>> {
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
  return new Map(cases.map((c, i) => [c.name, median(samples[i]!)]));
}

/** Subscribes `ops` calls to `call$` (all in flight), then unsubscribes them all. */
function inFlight(name: string, call$: Observable<unknown>): Case {
  return {
    name,
    run: (ops) => {
      const subscriptions: Subscription[] = new Array(ops);
      for (let i = 0; i < ops; i++) subscriptions[i] = call$.subscribe(observer);
      for (let i = 0; i < ops; i++) subscriptions[i]!.unsubscribe();
    },
  };
}

/** Subscribes and at once unsubscribes one call at a time, `ops` times. */
function oneAtATime(name: string, call$: Observable<unknown>): Case {
  return {
    name,
    run: (ops) => {
      for (let i = 0; i < ops; i++) call$.subscribe(observer).unsubscribe();
    },
  };
}

/** Launches `ops` async calls that answer (a resolved promise) together, and waits for all to complete. */
function answering(name: string, op: MonoTypeOperatorFunction<number>): Case {
  return {
    name,
    run: (ops) =>
      new Promise<void>((resolve, reject) => {
        let left = ops;
        const done = { next: noop, error: reject, complete: () => --left === 0 && resolve() };
        for (let i = 0; i < ops; i++) from(Promise.resolve(i)).pipe(op).subscribe(done);
      }),
  };
}

/**
 * Launches `ops` calls to a source that keeps its subscribers, then answers each (a value, then
 * complete), in the order they were made: the async call without the promise machinery and its garbage.
 */
function answeredBySource(name: string, op: MonoTypeOperatorFunction<number>): Case {
  const waiting: Array<Subscriber<number>> = [];
  const call$ = new Observable<number>((subscriber) => void waiting.push(subscriber)).pipe(op);
  return {
    name,
    run: (ops) => {
      for (let i = 0; i < ops; i++) call$.subscribe(observer);
      for (const subscriber of waiting) {
        subscriber.next(1);
        subscriber.complete();
      }
      waiting.length = 0;
    },
  };
}

/** Heap bytes per pending subscription of `call$`, with `count` pending (kept in an array). */
function heapPerPending(call$: Observable<unknown>, count: number): number {
  const kept: Subscription[] = new Array(count);
  const before = heapUsed();
  for (let i = 0; i < count; i++) kept[i] = call$.subscribe(observer);
  const bytes = (heapUsed() - before) / count;
  for (const subscription of kept) subscription.unsubscribe();
  return bytes;
}

export default async function timerQueueBench(): Promise<void> {
  const report = new Report(
    'timerQueue',
    'Shared timers: timeoutAfter and retryBackoff vs rxjs timeout and retry',
  );
  const ours$ = NEVER.pipe(timeoutAfter(LIMIT));
  const theirs$ = NEVER.pipe(timeout(LIMIT));

  // 1. Real timers held.
  const held = (call$: Observable<unknown>): [number, number] => {
    const base = realTimers();
    const subscriptions = Array.from({ length: IN_FLIGHT }, () => call$.subscribe(observer));
    const during = realTimers() - base;
    for (const s of subscriptions) s.unsubscribe();
    return [during, realTimers() - base];
  };
  const [oursHeld, oursAfter] = held(ours$);
  const [theirsHeld, theirsAfter] = held(theirs$);
  report.table(
    `real timers (process.getActiveResourcesInfo), ${IN_FLIGHT} calls in flight on asyncScheduler`,
    [
      { case: 'timeoutAfter(60000)', 'in flight': oursHeld, 'after unsubscribe': oursAfter },
      { case: 'rxjs timeout(60000)', 'in flight': theirsHeld, 'after unsubscribe': theirsAfter },
    ],
  );
  report.check(`${IN_FLIGHT} calls in flight hold at most 10 real timers`, oursHeld, oursHeld <= 10);
  report.check('no real timer left once they are unsubscribed', oursAfter, oursAfter === 0);

  // 2. Subscribe + unsubscribe per call.
  const sub = await measure(
    [
      inFlight('bare NEVER', NEVER),
      inFlight('timeoutAfter(60000)', ours$),
      inFlight('rxjs timeout(60000)', theirs$),
      {
        name: 'timeoutAfter(60000), operator built per call',
        run: (ops) => {
          const subscriptions: Subscription[] = new Array(ops);
          for (let i = 0; i < ops; i++)
            subscriptions[i] = NEVER.pipe(timeoutAfter(LIMIT)).subscribe(observer);
          for (let i = 0; i < ops; i++) subscriptions[i]!.unsubscribe();
        },
      },
    ],
    IN_FLIGHT,
  );
  const single = await measure(
    [
      oneAtATime('bare NEVER, one at a time', NEVER),
      oneAtATime('timeoutAfter(60000), one at a time', ours$),
      oneAtATime('rxjs timeout(60000), one at a time', theirs$),
    ],
    IN_FLIGHT,
  );
  const rows = (m: Map<string, number>, bare: string, rxjs: string) =>
    [...m].map(([name, ns]) => ({
      case: name,
      'per call': formatNs(ns),
      'added over bare': formatNs(ns - m.get(bare)!),
      'x rxjs timeout': Number((ns / m.get(rxjs)!).toFixed(2)),
    }));
  report.table(
    `subscribe + unsubscribe per call, ${IN_FLIGHT} in flight then all unsubscribed`,
    rows(sub, 'bare NEVER', 'rxjs timeout(60000)'),
  );
  report.table(
    'subscribe + unsubscribe per call, one call at a time (the queue empties between calls)',
    rows(single, 'bare NEVER, one at a time', 'rxjs timeout(60000), one at a time'),
  );
  const subRatio = sub.get('timeoutAfter(60000)')! / sub.get('rxjs timeout(60000)')!;
  const subAddedRatio =
    (sub.get('timeoutAfter(60000)')! - sub.get('bare NEVER')!) /
    (sub.get('rxjs timeout(60000)')! - sub.get('bare NEVER')!);
  report.check(
    'subscribe + unsubscribe, in flight: timeoutAfter / rxjs timeout <= 0.3',
    subRatio,
    subRatio <= 0.3,
  );
  report.check(
    'subscribe + unsubscribe, in flight: added over bare, timeoutAfter / rxjs timeout',
    subAddedRatio,
    subAddedRatio <= 0.3,
  );
  const singleRatio =
    single.get('timeoutAfter(60000), one at a time')! / single.get('rxjs timeout(60000), one at a time')!;
  report.check(
    'subscribe + unsubscribe, one at a time: timeoutAfter / rxjs timeout (for information)',
    singleRatio,
    singleRatio <= 1,
  );

  // 3. Async calls that answer: the operators are built once, as `mergeMap((x) => call(x).pipe(op))` does
  // with a shared `op`; `map(identity)` shows what any one rxjs operator layer adds, and `layer` what one
  // layer built as timeoutAfter is costs (the floor of any timeoutAfter).
  const layer = operate<number, number>((source, destination) => {
    source.subscribe(createOperatorSubscriber(destination));
  });
  const ops3: ReadonlyArray<[string, MonoTypeOperatorFunction<number>]> = [
    ['bare', identity],
    ['map(identity), any one operator', map((x: number) => x)],
    [LAYER, layer],
    ['timeoutAfter(60000)', timeoutAfter(LIMIT)],
    ['rxjs timeout(60000)', timeout(LIMIT)],
  ];
  const answerTable = async (
    title: string,
    make: (name: string, op: MonoTypeOperatorFunction<number>) => Case,
  ) => {
    const m = await measure(
      ops3.map(([name, op]) => make(name, op)),
      IN_FLIGHT,
    );
    const bareNs = m.get('bare')!;
    const rxjsAdded = m.get('rxjs timeout(60000)')! - bareNs;
    report.table(
      title,
      [...m].map(([name, ns]) => ({
        case: name,
        'per call': formatNs(ns),
        'added over bare': formatNs(ns - bareNs),
        'x what rxjs timeout adds': Number(((ns - bareNs) / rxjsAdded).toFixed(2)),
      })),
    );
    return {
      ours: (m.get('timeoutAfter(60000)')! - bareNs) / rxjsAdded,
      floor: (m.get('map(identity), any one operator')! - bareNs) / rxjsAdded,
      layer: (m.get(LAYER)! - bareNs) / rxjsAdded,
    };
  };
  const bySource = await answerTable(
    `per async call that answers, ${IN_FLIGHT} in flight, answered by the source in order`,
    answeredBySource,
  );
  const byPromise = await answerTable(
    `per async call that answers, ${IN_FLIGHT} launched together on resolved promises (from(promise))`,
    answering,
  );
  report.check(
    'per answering call (answered by the source): what timeoutAfter adds / what rxjs timeout adds <= 0.2',
    bySource.ours,
    bySource.ours <= 0.2,
  );
  report.check(
    'per answering call (from(promise)): what timeoutAfter adds / what rxjs timeout adds <= 0.2',
    byPromise.ours,
    byPromise.ours <= 0.2,
  );
  report.check(
    'per answering call (from(promise)): the floor, what map(identity) adds / what rxjs timeout adds',
    byPromise.floor,
    byPromise.floor <= 0.2,
  );
  report.check(
    'per answering call (from(promise)): the floor, what a do-nothing operate() layer adds / what rxjs timeout adds',
    byPromise.layer,
    byPromise.layer <= 0.2,
  );
  report.check(
    'per answering call (answered by the source): the floor, what a do-nothing operate() layer adds / what rxjs timeout adds',
    bySource.layer,
    bySource.layer <= 0.2,
  );

  // 4. Heap per pending deadline.
  heapPerPending(ours$, HEAP_PENDING); // warm-up (the queue's heap array grows once)
  const bare = heapPerPending(NEVER, HEAP_PENDING);
  const mapBytes = heapPerPending(NEVER.pipe(map((x) => x)), HEAP_PENDING);
  const oursBytes = heapPerPending(ours$, HEAP_PENDING);
  const theirsBytes = heapPerPending(theirs$, HEAP_PENDING);
  report.table(`heap bytes per pending call, ${HEAP_PENDING} pending`, [
    { case: 'bare NEVER subscription', bytes: Math.round(bare) },
    {
      case: 'map(identity), any one rxjs operator',
      bytes: Math.round(mapBytes),
      'over bare': Math.round(mapBytes - bare),
    },
    { case: 'timeoutAfter(60000)', bytes: Math.round(oursBytes), 'over bare': Math.round(oursBytes - bare) },
    {
      case: 'rxjs timeout(60000)',
      bytes: Math.round(theirsBytes),
      'over bare': Math.round(theirsBytes - bare),
    },
  ]);
  report.check(
    'heap per pending deadline over the bare subscription (bytes)',
    oursBytes - bare,
    oursBytes < theirsBytes,
  );

  // 5. Retry delays pending.
  const failing$ = throwError(() => new Error('down'));
  const ourRetry$ = failing$.pipe(retryBackoff({ maxRetries: 1, initialDelay: LIMIT, jitter: 'none' }));
  const rxjsRetry$ = failing$.pipe(retry({ count: 1, delay: () => timer(LIMIT) }));
  const [retryHeld] = held(ourRetry$);
  const [rxjsRetryHeld] = held(rxjsRetry$);
  const retries = await measure(
    [
      inFlight('retryBackoff, delay pending', ourRetry$),
      inFlight('rxjs retry + timer, delay pending', rxjsRetry$),
    ],
    IN_FLIGHT,
  );
  report.table(`retry delays: ${IN_FLIGHT} calls failed once, waiting ${LIMIT} ms, then unsubscribed`, [
    {
      case: 'retryBackoff (delays through the timer queue)',
      'per call': formatNs(retries.get('retryBackoff, delay pending')!),
      'real timers': retryHeld,
    },
    {
      case: 'rxjs retry({ delay: () => timer(ms) })',
      'per call': formatNs(retries.get('rxjs retry + timer, delay pending')!),
      'real timers': rxjsRetryHeld,
    },
  ]);
  const retryRatio =
    retries.get('retryBackoff, delay pending')! / retries.get('rxjs retry + timer, delay pending')!;
  report.check(
    'retry delays through the queue: retryBackoff / rxjs retry + timer per call',
    retryRatio,
    retryRatio < 1,
  );
  report.save();
}
