/**
 * timeoutAfter against rxjs `timeout`, side by side in one process.
 *
 * 1. Per value on a synchronous stream: `range` of 20 000 values through `timeoutAfter({ each })`,
 *    rxjs `timeout({ each })` and nothing. rxjs re-arms a timer per value; timeoutAfter records a
 *    timestamp and keeps one timer.
 * 2. Per value with the timer armed: a Subject subscribed first (so the timer is armed), then fed
 *    20 000 values synchronously.
 * 3. Per call: `of(1)` subscribed 5 000 times. A call that completes while being subscribed creates no
 *    timer with timeoutAfter (counted through a scheduler wrapper); rxjs arms one at subscribe and
 *    re-arms it at the value.
 *
 * Run: npm run bench -- timeoutAfter
 */
import { Subject, asyncScheduler, of, range, timeout, type Observable } from 'rxjs';
import { timeoutAfter } from '../src/operators/timeoutAfter';
import { countingScheduler } from '../spec/helpers/countingScheduler';
import { compare, Report, type Case, type Row } from './harness';

const VALUES = 20_000;
const CALLS = 5_000;
const ROUNDS = 5;
const LIMIT = 60_000;

const noop = (): void => undefined;

/** A case that subscribes once to `source` (`ops` values). */
function stream(name: string, source: Observable<number>): Case {
  return { name, run: () => void source.subscribe(noop) };
}

/** A case that feeds `ops` values through `pipe` after subscribing (any timer is armed first). */
function armed(name: string, pipe: (s: Observable<number>) => Observable<number>): Case {
  return {
    name,
    run: (ops) => {
      const subject = new Subject<number>();
      pipe(subject).subscribe(noop);
      for (let i = 0; i < ops; i++) subject.next(i);
      subject.complete();
    },
  };
}

/** A case that subscribes `ops` times to `call` (one value, then complete). */
function calls(name: string, call: Observable<number>): Case {
  return {
    name,
    run: (ops) => {
      for (let i = 0; i < ops; i++) call.subscribe(noop);
    },
  };
}

const nsOf = (rows: Row[], name: string): number => rows.find((r) => r.name === name)!.nsPerOp;

export default async function timeoutAfterBench(): Promise<void> {
  const report = new Report('timeoutAfter', 'timeoutAfter vs rxjs timeout');

  const perValue = await compare(
    [
      stream('range (bare)', range(0, VALUES)),
      stream('range + timeoutAfter({ each })', range(0, VALUES).pipe(timeoutAfter({ each: LIMIT }))),
      stream('range + rxjs timeout({ each })', range(0, VALUES).pipe(timeout({ each: LIMIT }))),
    ],
    VALUES,
    ROUNDS,
  );
  report.timings('Per value, synchronous stream of 20 000', perValue, 'range + rxjs timeout({ each })');

  const perArmedValue = await compare(
    [
      armed('Subject (bare)', (s) => s),
      armed('Subject + timeoutAfter({ each })', (s) => s.pipe(timeoutAfter({ each: LIMIT }))),
      armed('Subject + rxjs timeout({ each })', (s) => s.pipe(timeout({ each: LIMIT }))),
    ],
    VALUES,
    ROUNDS,
  );
  report.timings(
    'Per value, timer armed (Subject fed 20 000 values)',
    perArmedValue,
    'Subject + rxjs timeout({ each })',
  );

  const perCall = await compare(
    [
      calls('of(1) (bare)', of(1)),
      calls('of(1) + timeoutAfter({ each })', of(1).pipe(timeoutAfter({ each: LIMIT }))),
      calls('of(1) + timeoutAfter(total)', of(1).pipe(timeoutAfter(LIMIT))),
      calls('of(1) + rxjs timeout({ each })', of(1).pipe(timeout({ each: LIMIT }))),
    ],
    CALLS,
    ROUNDS,
  );
  report.timings('Per call, of(1) subscribed 5 000 times', perCall, 'of(1) + rxjs timeout({ each })');

  // Timers created per call, counted on a wrapper of the real asyncScheduler.
  const ours = countingScheduler(asyncScheduler);
  const theirs = countingScheduler(asyncScheduler);
  const counted = 1000;
  for (let i = 0; i < counted; i++) {
    of(1)
      .pipe(timeoutAfter({ each: LIMIT, total: LIMIT, scheduler: ours }))
      .subscribe(noop);
    of(1)
      .pipe(timeout({ each: LIMIT, scheduler: theirs }))
      .subscribe(noop);
  }
  const timersPerCall = ours.calls.length / counted;
  report.table('Timers created per call that completes synchronously', [
    { case: 'timeoutAfter({ each, total })', 'timers per call': timersPerCall },
    { case: 'rxjs timeout({ each })', 'timers per call': theirs.calls.length / counted },
  ]);

  const ratio = (rows: Row[], a: string, b: string): number => nsOf(rows, a) / nsOf(rows, b);
  report.check(
    'timeoutAfter each <= 1/5 of rxjs timeout each per value (synchronous stream)',
    ratio(perValue, 'range + timeoutAfter({ each })', 'range + rxjs timeout({ each })'),
    ratio(perValue, 'range + timeoutAfter({ each })', 'range + rxjs timeout({ each })') <= 0.2,
  );
  // With the timer armed the Subject itself costs more than a range; compare what each operator adds.
  const bare = nsOf(perArmedValue, 'Subject (bare)');
  const added =
    (nsOf(perArmedValue, 'Subject + timeoutAfter({ each })') - bare) /
    (nsOf(perArmedValue, 'Subject + rxjs timeout({ each })') - bare);
  report.check(
    'timeoutAfter each adds <= 1/5 of what rxjs timeout each adds per value (timer armed)',
    added,
    added <= 0.2,
  );
  report.check(
    'a call that completes synchronously creates no timer (timers per call)',
    timersPerCall,
    timersPerCall === 0,
  );
  report.check(
    'timeoutAfter each per call / rxjs timeout each per call',
    ratio(perCall, 'of(1) + timeoutAfter({ each })', 'of(1) + rxjs timeout({ each })'),
    ratio(perCall, 'of(1) + timeoutAfter({ each })', 'of(1) + rxjs timeout({ each })') < 1,
  );
  report.save();
}
