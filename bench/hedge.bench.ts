/**
 * What `hedge` costs per call when the first attempt answers before `delay` (the common case it must
 * not slow down): no extra subscription, and one deadline armed then cancelled.
 *
 * 1. The attempt answers synchronously: `of(x)` with and without `hedge({ delay: 100 })` (no timer is
 *    armed at all), and `map(identity)` for the scale of any one rxjs operator.
 * 2. The attempt answers later, before `delay`: 10 000 calls subscribed to a source that answers them all
 *    at once afterwards; per call, the subscribe (the delay armed) plus the answer (the delay cancelled),
 *    against the same calls bare and with rxjs `timeout({ first })`, which arms one timer per call too.
 * 3. The counts behind "no extra subscription, one deadline": upstream subscriptions and timers per call.
 *
 * Run: npm run bench -- hedge
 */
import {
  Observable,
  Subject,
  asyncScheduler,
  map,
  of,
  take,
  timeout,
  type Observer,
  type SchedulerAction,
  type SchedulerLike,
} from 'rxjs';
import { hedge } from '../src/operators/hedge';
import { compare, formatNs, Report, type Row } from './harness';

const CALLS = 10_000;
const observer: Partial<Observer<number>> = { next: () => undefined, error: () => undefined };
const nsOf = (rows: Row[], name: string): number => rows.find((r) => r.name === name)!.nsPerOp;

/** Subscribes `n` calls built by `call` on one source that answers them all afterwards. */
function answeredLater(n: number, call: (source: Observable<number>) => Observable<number>): void {
  const answers = new Subject<number>();
  const source = answers.pipe(take(1));
  const calls = call(source);
  for (let i = 0; i < n; i++) calls.subscribe(observer);
  answers.next(1);
}

export default async function hedgeBench(): Promise<void> {
  const report = new Report('hedge', 'hedge: per-call cost when the first attempt answers before delay');
  const hedged = hedge<number>({ delay: 100 });

  const sync = await compare(
    [
      {
        name: 'of(x) (bare)',
        run: (n) => {
          for (let i = 0; i < n; i++) of(i).subscribe(observer);
        },
      },
      {
        name: 'of(x).pipe(hedge({ delay: 100 }))',
        run: (n) => {
          for (let i = 0; i < n; i++) of(i).pipe(hedged).subscribe(observer);
        },
      },
      {
        name: 'of(x).pipe(map(identity)) (any one rxjs operator, for scale)',
        run: (n) => {
          for (let i = 0; i < n; i++)
            of(i)
              .pipe(map((v) => v))
              .subscribe(observer);
        },
      },
    ],
    50_000,
    7,
  );
  report.timings('the attempt answers synchronously, 50 000 calls', sync, 'of(x) (bare)');

  const later = await compare(
    [
      { name: 'bare call', run: (n) => answeredLater(n, (s) => s) },
      { name: 'hedge({ delay: 100 })', run: (n) => answeredLater(n, (s) => s.pipe(hedged)) },
      {
        name: 'rxjs timeout({ first: 100 }) (one timer per call, for scale)',
        run: (n) => answeredLater(n, (s) => s.pipe(timeout({ first: 100 }))),
      },
    ],
    CALLS,
    7,
  );
  report.timings(
    `the attempt answers later, before delay: ${CALLS} calls subscribed, then answered`,
    later,
    'bare call',
  );
  const added = nsOf(later, 'hedge({ delay: 100 })') - nsOf(later, 'bare call');
  const timer =
    nsOf(later, 'rxjs timeout({ first: 100 }) (one timer per call, for scale)') - nsOf(later, 'bare call');
  report.table('added per call when the answer comes before delay', [
    { case: 'hedge', added: formatNs(added) },
    { case: 'rxjs timeout({ first }) (one timer)', added: formatNs(timer) },
  ]);

  // The counts: subscriptions upstream and timers armed per call.
  let subscriptions = 0;
  let timers = 0;
  const counting: SchedulerLike = {
    now: () => asyncScheduler.now(),
    schedule: ((
      work: (this: SchedulerAction<unknown>, state?: unknown) => void,
      delay?: number,
      state?: unknown,
    ) => {
      timers++;
      return asyncScheduler.schedule(work, delay, state);
    }) as SchedulerLike['schedule'],
  };
  const answers = new Subject<number>();
  const source = new Observable<number>((subscriber) => {
    subscriptions++;
    return answers.pipe(take(1)).subscribe(subscriber);
  });
  const call = source.pipe(hedge({ delay: 100, scheduler: counting }));
  for (let i = 0; i < CALLS; i++) call.subscribe(observer);
  answers.next(1);
  report.table('per call, answered before delay', [
    { case: 'upstream subscriptions', 'per call': subscriptions / CALLS },
    { case: 'timers armed', 'per call': timers / CALLS },
  ]);
  report.check(
    'no extra subscription when the first attempt answers before delay',
    subscriptions / CALLS,
    subscriptions === CALLS,
  );
  report.check(
    'one deadline per call when the first attempt answers before delay',
    timers / CALLS,
    timers === CALLS,
  );
  report.check(
    'hedge adds <= one rxjs timeout({ first }) per call (ns over it)',
    added - timer,
    added <= timer * 1.2,
  );
  report.save();
}
