/**
 * What `hedge` costs per call when the first attempt answers before `delay` (the common case it must
 * not slow down): no extra subscription, and one deadline armed then cancelled.
 *
 * 1. The attempt answers synchronously: `of(x)` with and without `hedge({ delay: 100 })` (no timer is
 *    armed at all), and `map(identity)` for the scale of any one rxjs operator.
 * 2. The attempt answers later, before `delay`: 10 000 calls subscribed, each on its own source, then
 *    answered; per call, the subscribe (the delay queued) plus the answer (the delay removed), against the
 *    same calls bare, with `timeoutAfter({ first })` (one deadline in the same shared timer queue) and with
 *    rxjs `timeout({ first })` (one real timer per call).
 * 3. The counts behind "no extra subscription, one deadline": upstream subscriptions, deadlines pending in
 *    the scheduler's timer queue, and real timers (one for every call together).
 *
 * Run: npm run bench -- hedge
 */
import {
  Observable,
  Subject,
  asyncScheduler,
  defer,
  map,
  of,
  timeout,
  type Observer,
  type SchedulerAction,
  type SchedulerLike,
} from 'rxjs';
import { TimerQueue } from '../src/internal/TimerQueue';
import { hedge } from '../src/operators/hedge';
import { timeoutAfter } from '../src/operators/timeoutAfter';
import { compare, formatNs, Report, type Row } from './harness';

const CALLS = 10_000;
const observer: Partial<Observer<number>> = { next: () => undefined, error: () => undefined };
const nsOf = (rows: Row[], name: string): number => rows.find((r) => r.name === name)!.nsPerOp;

/**
 * Subscribes `n` calls built by `call`, each on a source of its own that answers (a value, then complete)
 * once every call is subscribed, so `n` deadlines are pending at once, as with calls in flight.
 */
function answeredLater(n: number, call: (source: Observable<number>) => Observable<number>): void {
  const answers: Array<Subject<number>> = new Array(n);
  for (let i = 0; i < n; i++) answers[i] = new Subject<number>();
  let next = 0;
  const calls = call(defer(() => answers[next++]!));
  for (let i = 0; i < n; i++) calls.subscribe(observer);
  for (let i = 0; i < n; i++) {
    answers[i]!.next(1);
    answers[i]!.complete();
  }
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
    'minor',
  );
  report.timings('the attempt answers synchronously, 50 000 calls', sync, 'of(x) (bare)');

  const later = await compare(
    [
      { name: 'bare call', run: (n) => answeredLater(n, (s) => s) },
      { name: 'hedge({ delay: 100 })', run: (n) => answeredLater(n, (s) => s.pipe(hedged)) },
      {
        name: 'timeoutAfter({ first: 100 }) (one deadline per call in the same timer queue, for scale)',
        run: (n) => answeredLater(n, (s) => s.pipe(timeoutAfter({ first: 100 }))),
      },
      {
        name: 'rxjs timeout({ first: 100 }) (one timer per call, for scale)',
        run: (n) => answeredLater(n, (s) => s.pipe(timeout({ first: 100 }))),
      },
    ],
    CALLS,
    7,
    'minor',
  );
  report.timings(
    `the attempt answers later, before delay: ${CALLS} calls subscribed, then answered`,
    later,
    'bare call',
  );
  const bare = nsOf(later, 'bare call');
  report.table('added per call when the answer comes before delay', [
    { case: 'hedge', added: formatNs(nsOf(later, 'hedge({ delay: 100 })') - bare) },
    {
      case: 'timeoutAfter({ first }) (one deadline in the queue)',
      added: formatNs(
        nsOf(
          later,
          'timeoutAfter({ first: 100 }) (one deadline per call in the same timer queue, for scale)',
        ) - bare,
      ),
    },
    {
      case: 'rxjs timeout({ first }) (one timer)',
      added: formatNs(nsOf(later, 'rxjs timeout({ first: 100 }) (one timer per call, for scale)') - bare),
    },
  ]);

  // The counts: subscriptions upstream, deadlines pending and real timers per call.
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
    return answers.subscribe(subscriber);
  });
  const call = source.pipe(hedge({ delay: 100, scheduler: counting }));
  const running = Array.from({ length: CALLS }, () => call.subscribe(observer));
  const pending = TimerQueue.of(counting).size;
  answers.next(1);
  for (const subscription of running) subscription.unsubscribe();
  const left = TimerQueue.of(counting).size;
  report.table(`per call, ${CALLS} calls in flight, answered before delay`, [
    { case: 'upstream subscriptions', 'per call': subscriptions / CALLS },
    { case: 'deadlines pending before the answer', 'per call': pending / CALLS },
    { case: 'deadlines left after the answer', 'per call': left / CALLS },
    { case: 'real timers scheduled (shared by every call)', 'per call': timers / CALLS },
  ]);
  report.check(
    'no extra subscription when the first attempt answers before delay',
    subscriptions / CALLS,
    subscriptions === CALLS,
  );
  report.check(
    'one deadline per call, none left once answered',
    pending / CALLS,
    pending === CALLS && left === 0,
  );
  const added = nsOf(later, 'hedge({ delay: 100 })') - nsOf(later, 'bare call');
  const deadline =
    nsOf(later, 'timeoutAfter({ first: 100 }) (one deadline per call in the same timer queue, for scale)') -
    nsOf(later, 'bare call');
  report.check(
    'hedge adds <= 1.5x what timeoutAfter({ first }) adds per call (ratio)',
    added / deadline,
    added <= deadline * 1.5,
  );
  report.save();
}
