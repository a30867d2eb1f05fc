import { expect } from 'chai';
import { EMPTY, NEVER, Observable, Subject, finalize, mergeMap, of, take, takeUntil, throwError } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { InvalidConfigError } from '../../src/errors/InvalidConfigError';
import { TimeoutExceededError, type TimeoutExceededInfo } from '../../src/errors/TimeoutExceededError';
import { timeoutAfter, type TimeoutAfterConfig } from '../../src/operators/timeoutAfter';
import { captureError, captureThrow } from '../helpers/captureError';
import { countingScheduler } from '../helpers/countingScheduler';
import { firehose } from '../helpers/firehose';
import { marbles } from '../helpers/marbles';
import { WallClock } from '../helpers/wallClock';

const timeoutError = (info: Omit<TimeoutExceededInfo, 'meta'> & { meta?: unknown }): TimeoutExceededError =>
  new TimeoutExceededError({ meta: undefined, ...info });

describe('timeoutAfter', () => {
  describe('limits', () => {
    it(
      'should error when `each` passes between values, unsubscribing the source (DESIGN 2.2)',
      marbles((m) => {
        // prettier-ignore
        const source = m.cold('-a---b|');
        const subs = '         ^---!';
        const expected = '     -a--#';
        const error = timeoutError({ limit: 'each', after: 3, seen: 1 });
        m.expect(source.pipe(timeoutAfter({ each: 3 }))).toBeObservable(expected, undefined, error);
        m.expect(source).toHaveSubscriptions(subs);
      }),
    );

    it(
      'should error when `total` passes before completion (DESIGN 2.2)',
      marbles((m) => {
        // prettier-ignore
        const source = m.cold('-a-b-c|');
        const subs = '         ^---!';
        const expected = '     -a-b#';
        const error = timeoutError({ limit: 'total', after: 4, seen: 2 });
        m.expect(source.pipe(timeoutAfter({ total: 4 }))).toBeObservable(expected, undefined, error);
        m.expect(source).toHaveSubscriptions(subs);
      }),
    );

    it(
      'should read the shorthand number as `total`',
      marbles((m) => {
        // prettier-ignore
        const source = m.cold('-a-b-c|');
        const expected = '     -a-b#';
        const error = timeoutError({ limit: 'total', after: 4, seen: 2 });
        m.expect(source.pipe(timeoutAfter(4))).toBeObservable(expected, undefined, error);
      }),
    );

    it(
      'should bound the first value with `first`, and no later value when `each` is not given',
      marbles((m) => {
        // prettier-ignore
        const late = m.cold('    -----a|');
        const lateExpected = '   ---#';
        // prettier-ignore
        const inTime = m.cold('  --a--------b|');
        const inTimeExpected = ' --a--------b|';
        const error = timeoutError({ limit: 'first', after: 3, seen: 0 });
        m.expect(late.pipe(timeoutAfter({ first: 3 }))).toBeObservable(lateExpected, undefined, error);
        m.expect(inTime.pipe(timeoutAfter({ first: 3 }))).toBeObservable(inTimeExpected);
      }),
    );

    it(
      'should bound the first value with `each` when `first` is not given, naming the limit `each`',
      marbles((m) => {
        // prettier-ignore
        const source = m.cold('----a|');
        const expected = '     ---#';
        const error = timeoutError({ limit: 'each', after: 3, seen: 0 });
        m.expect(source.pipe(timeoutAfter({ each: 3 }))).toBeObservable(expected, undefined, error);
      }),
    );

    it(
      'should apply `first` to the first value and `each` to the next ones',
      marbles((m) => {
        // prettier-ignore
        const source = m.cold('----a--b------c|');
        const subs = '         ^---------!';
        const expected = '     ----a--b--#';
        const error = timeoutError({ limit: 'each', after: 3, seen: 2 });
        m.expect(source.pipe(timeoutAfter({ first: 5, each: 3 }))).toBeObservable(expected, undefined, error);
        m.expect(source).toHaveSubscriptions(subs);
      }),
    );

    it(
      'should bring the deadline forward when `each` after the first value ends before `first` would',
      marbles((m) => {
        // prettier-ignore
        const source = m.cold('-a-------b|');
        const subs = '         ^--!';
        const expected = '     -a-#';
        const error = timeoutError({ limit: 'each', after: 2, seen: 1 });
        m.expect(source.pipe(timeoutAfter({ first: 5, each: 2 }))).toBeObservable(expected, undefined, error);
        m.expect(source).toHaveSubscriptions(subs);
      }),
    );

    it(
      'should enforce `each` after the first value when `first` is Infinity',
      marbles((m) => {
        // prettier-ignore
        const source = m.cold('-a--------b|');
        const subs = '         ^---!';
        const expected = '     -a--#';
        const error = timeoutError({ limit: 'each', after: 3, seen: 1 });
        m.expect(source.pipe(timeoutAfter({ first: Infinity, each: 3 }))).toBeObservable(
          expected,
          undefined,
          error,
        );
        m.expect(source).toHaveSubscriptions(subs);
      }),
    );

    it(
      'should let a value exactly at the limit through when other calls time out at that instant',
      marbles((m) => {
        // Three calls share the scheduler's one timer; each one's value arrives exactly at its limit.
        // prettier-ignore
        const call = m.cold('---a------|');
        const expected = '   ---(aaa)--|';
        m.expect(of(1, 2, 3).pipe(mergeMap(() => call.pipe(timeoutAfter({ first: 3 }))))).toBeObservable(
          expected,
        );
      }),
    );

    it(
      'should re-arm its one timer as values keep coming, and fire at the last value plus `each`',
      marbles((m) => {
        const counting = countingScheduler(m.scheduler);
        // prettier-ignore
        const source = m.cold('-a-b-c-d------e|');
        const expected = '     -a-b-c-d--#';
        const error = timeoutError({ limit: 'each', after: 3, seen: 4 });
        m.expect(source.pipe(timeoutAfter({ each: 3, scheduler: counting }))).toBeObservable(
          expected,
          undefined,
          error,
        );
        m.flush();
        expect(counting.calls).to.have.length(1);
        expect(counting.rearms).to.deep.equal([3, 2, 2]);
      }),
    );

    it(
      'should let a value or a completion that arrives exactly at a limit through',
      marbles((m) => {
        // prettier-ignore
        const values = m.cold('   ---a--b--|');
        const valuesExpected = '  ---a--b--|';
        // prettier-ignore
        const completion = m.cold('-a--|');
        const completionExpected = '-a--|';
        m.expect(values.pipe(timeoutAfter({ each: 3 }))).toBeObservable(valuesExpected);
        m.expect(completion.pipe(timeoutAfter({ total: 4 }))).toBeObservable(completionExpected);
      }),
    );

    it(
      'should name `total` when it expires at the same instant as the value limit',
      marbles((m) => {
        // prettier-ignore
        const source = m.cold('------a|');
        const expected = '     ---#';
        const error = timeoutError({ limit: 'total', after: 3, seen: 0 });
        m.expect(source.pipe(timeoutAfter({ each: 3, total: 3 }))).toBeObservable(expected, undefined, error);
      }),
    );

    it(
      'should expire `total` while values keep arriving within `each`',
      marbles((m) => {
        // prettier-ignore
        const source = m.cold('-a-b-c-d-e|');
        const expected = '     -a-b-c#';
        const error = timeoutError({ limit: 'total', after: 6, seen: 3 });
        m.expect(source.pipe(timeoutAfter({ each: 3, total: 6 }))).toBeObservable(expected, undefined, error);
      }),
    );

    it(
      'should wait for a limit longer than a real timer can hold in steps, and still fire on time',
      marbles((m) => {
        const counting = countingScheduler(m.scheduler);
        const limit = 2 ** 32 + 10;
        const source = m.cold('-');
        const expected = `${limit}ms #`;
        const error = timeoutError({ limit: 'total', after: limit, seen: 0 });
        m.expect(source.pipe(timeoutAfter({ total: limit, scheduler: counting }))).toBeObservable(
          expected,
          undefined,
          error,
        );
        m.flush();
        expect(counting.calls.map((call) => call.delay)).to.deep.equal([2 ** 31 - 1]);
        expect(counting.rearms).to.deep.equal([2 ** 31 - 1, 12]);
      }),
    );

    it(
      'should never time out with only `Infinity` limits, and schedule nothing',
      marbles((m) => {
        const counting = countingScheduler(m.scheduler);
        // prettier-ignore
        const source = m.cold('---------a|');
        const expected = '     ---------a|';
        m.expect(
          source.pipe(timeoutAfter({ each: Infinity, total: Infinity, scheduler: counting })),
        ).toBeObservable(expected);
        m.flush();
        expect(counting.calls).to.have.length(0);
      }),
    );
  });

  describe('error info', () => {
    it('should report limit, after, seen and meta for each kind of limit', () => {
      const meta = { call: 'GET /users' };
      const cases: Array<[string, number | TimeoutAfterConfig, TimeoutExceededInfo]> = [
        ['-----a|', { first: 2, meta }, { limit: 'first', after: 2, seen: 0, meta }],
        ['-a-b-----c|', { each: 3, meta }, { limit: 'each', after: 3, seen: 2, meta }],
        ['-a-b-c|', { total: 4, meta }, { limit: 'total', after: 4, seen: 2, meta }],
        ['-a-b-c|', 4, { limit: 'total', after: 4, seen: 2, meta: undefined }],
      ];
      for (const [marble, config, info] of cases) {
        const error = captureError((s) =>
          s
            .createColdObservable(marble)
            .pipe(typeof config === 'number' ? timeoutAfter(config) : timeoutAfter(config)),
        );
        expect(error, marble).to.be.instanceOf(TimeoutExceededError);
        expect((error as TimeoutExceededError).info, marble).to.deep.equal(info);
        expect((error as TimeoutExceededError).info.meta, marble).to.equal(info.meta);
      }
    });
  });

  describe('with', () => {
    it(
      'should switch to the fallback when a limit expires, after unsubscribing the source',
      marbles((m) => {
        // prettier-ignore
        const source = m.cold('  -a---b|');
        const subs = '           ^---!';
        const fallback = m.cold('    xy|');
        const fallbackSubs = '   ----^-!';
        const expected = '       -a--xy|';
        const infos: TimeoutExceededInfo[] = [];
        const result = source.pipe(
          timeoutAfter({
            each: 3,
            meta: 'm',
            with: (info) => {
              infos.push(info);
              return fallback;
            },
          }),
        );
        m.expect(result).toBeObservable(expected);
        m.expect(source).toHaveSubscriptions(subs);
        m.expect(fallback).toHaveSubscriptions(fallbackSubs);
        m.flush();
        expect(infos).to.deep.equal([{ limit: 'each', after: 3, seen: 1, meta: 'm' }]);
      }),
    );

    it(
      'should accept any ObservableInput as the fallback',
      marbles((m) => {
        // prettier-ignore
        const source = m.cold('-a---b|');
        const expected = '     -a--(z|)';
        m.expect(source.pipe(timeoutAfter({ each: 3, with: () => ['z'] }))).toBeObservable(expected);
      }),
    );

    it(
      'should error the stream with what `with` throws',
      marbles((m) => {
        // prettier-ignore
        const source = m.cold('-a---b|');
        const subs = '         ^---!';
        const expected = '     -a--#';
        const result = source.pipe(
          timeoutAfter({
            each: 3,
            with: () => {
              throw new Error('no fallback');
            },
          }),
        );
        m.expect(result).toBeObservable(expected, undefined, new Error('no fallback'));
        m.expect(source).toHaveSubscriptions(subs);
      }),
    );

    it('should unsubscribe the source before erroring', () => {
      const scheduler = new TestScheduler(() => undefined);
      const order: string[] = [];
      scheduler.run(({ cold }) => {
        cold('-a---b|')
          .pipe(
            finalize(() => order.push('source unsubscribed')),
            timeoutAfter({ each: 3 }),
          )
          .subscribe({ error: () => order.push('error') });
      });
      expect(order).to.deep.equal(['source unsubscribed', 'error']);
    });

    it(
      'should cancel the fallback when the result is unsubscribed',
      marbles((m) => {
        // prettier-ignore
        const source = m.cold('  -a---b|');
        const fallback = m.cold('    x--y|');
        const unsub = '          ^-----!';
        const fallbackSubs = '   ----^-!';
        const expected = '       -a--x-';
        m.expect(source.pipe(timeoutAfter({ each: 3, with: () => fallback })), unsub).toBeObservable(
          expected,
        );
        m.expect(fallback).toHaveSubscriptions(fallbackSubs);
      }),
    );
  });

  describe('timers', () => {
    it('should not be stretched by a wall clock set back while it waits, as rxjs timeout is not', () => {
      const clock = new WallClock(); // timers on a monotonic clock, now() on a wall clock
      const seen: string[] = [];
      NEVER.pipe(timeoutAfter({ total: 100, scheduler: clock })).subscribe({
        error: (e: TimeoutExceededError) => seen.push(`${e.info.limit} at ${clock.monotonic}`),
      });
      clock.advance(50);
      clock.step(-2000);
      clock.advance(200);
      expect(seen).to.deep.equal(['total at 100']);
      expect(clock.pending).to.equal(0);
    });

    it("should not wait for a longer call's timer after the wall clock was set forward", () => {
      const clock = new WallClock();
      const seen: string[] = [];
      NEVER.pipe(timeoutAfter({ total: 60_000, scheduler: clock })).subscribe({ error: () => undefined });
      clock.advance(1);
      clock.step(59_950); // a minute's call is armed for 59 999 ms more on the timers' clock
      NEVER.pipe(timeoutAfter({ total: 100, scheduler: clock })).subscribe({
        error: (e: TimeoutExceededError) => seen.push(`${e.info.limit} at ${clock.monotonic}`),
      });
      clock.advance(200);
      expect(seen).to.deep.equal(['total at 101']); // was at 60 000, with the minute's timer
    });

    it('should time values on the wall clock after it was set back, never waiting more than `each`', () => {
      const clock = new WallClock();
      const values = new Subject<number>();
      const seen: string[] = [];
      values.pipe(timeoutAfter({ each: 100, scheduler: clock })).subscribe({
        next: (v) => seen.push(`${v} at ${clock.monotonic}`),
        error: (e: TimeoutExceededError) => seen.push(`${e.info.limit} at ${clock.monotonic}`),
      });
      clock.advance(50);
      values.next(1);
      clock.advance(30);
      clock.step(-2000);
      clock.advance(40);
      values.next(2); // at monotonic 120: the next limit is monotonic 220
      clock.advance(300);
      expect(seen).to.deep.equal(['1 at 50', '2 at 120', 'each at 220']);
    });

    it('should create no timer for a source that completes while being subscribed', () => {
      const scheduler = new TestScheduler(() => undefined);
      scheduler.run(() => {
        const counting = countingScheduler(scheduler);
        const seen: unknown[] = [];
        for (const config of [{ each: 5 }, { first: 5 }, { total: 5 }, { first: 1, each: 2, total: 3 }]) {
          of(1, 2, 3)
            .pipe(timeoutAfter({ ...config, scheduler: counting }))
            .subscribe({ next: (v) => seen.push(v), complete: () => seen.push('done') });
          EMPTY.pipe(timeoutAfter({ ...config, scheduler: counting })).subscribe();
          throwError(() => new Error('x'))
            .pipe(timeoutAfter({ ...config, scheduler: counting }))
            .subscribe({ error: () => seen.push('error') });
        }
        expect(seen).to.deep.equal([
          1,
          2,
          3,
          'done',
          'error',
          1,
          2,
          3,
          'done',
          'error',
          1,
          2,
          3,
          'done',
          'error',
          1,
          2,
          3,
          'done',
          'error',
        ]);
        expect(counting.calls).to.have.length(0);
      });
    });

    it('should arm one timer for the time left after a source that emitted while being subscribed', () => {
      const scheduler = new TestScheduler(() => undefined);
      scheduler.run(({ cold }) => {
        const counting = countingScheduler(scheduler);
        const subject = new Subject<number>();
        const source = new Observable<number>((subscriber) => {
          subscriber.next(0);
          return subject.subscribe(subscriber);
        });
        const seen: unknown[] = [];
        source.pipe(timeoutAfter({ first: 2, each: 5, scheduler: counting })).subscribe({
          next: (v) => seen.push(v),
          error: (e: TimeoutExceededError) => seen.push(`${e.info.limit} at ${scheduler.now()}`),
        });
        cold('---a').subscribe(() => subject.next(1));
        scheduler.flush();
        expect(counting.calls.map((call) => call.delay)).to.deep.equal([5]);
        expect(seen).to.deep.equal([0, 1, 'each at 8']);
      });
    });

    it('should drop its timer at the first value when only `first` bounds the stream', () => {
      const scheduler = new TestScheduler(() => undefined);
      scheduler.run(({ cold }) => {
        const counting = countingScheduler(scheduler);
        cold('-a--------b')
          .pipe(timeoutAfter({ first: 5, scheduler: counting }))
          .subscribe();
        scheduler.flush();
        expect(counting.calls).to.have.length(1);
        expect(counting.calls[0]!.action.closed).to.equal(true);
      });
    });

    it('should cancel its timer when the result is unsubscribed early', () => {
      const scheduler = new TestScheduler(() => undefined);
      scheduler.run(({ cold }) => {
        const counting = countingScheduler(scheduler);
        const subscription = cold('-a-b-c|')
          .pipe(timeoutAfter({ each: 4, total: 100, scheduler: counting }))
          .subscribe();
        scheduler.schedule(() => subscription.unsubscribe(), 2);
        scheduler.flush();
        expect(counting.calls).to.have.length(1);
        expect(counting.calls[0]!.action.closed).to.equal(true);
        expect(scheduler.now()).to.equal(2);
      });
    });
  });

  describe('standard battery', () => {
    it(
      'should subscribe no fallback when `with` cancels the call',
      marbles((m) => {
        const cancel = new Subject<void>();
        // prettier-ignore
        const source = m.cold('-----a|');
        const fallback = m.cold('   b|');
        const result = source.pipe(
          timeoutAfter({
            first: 3,
            with: () => {
              cancel.next(); // the caller leaves from inside the callback
              return fallback;
            },
          }),
          takeUntil(cancel),
        );
        m.expect(result).toBeObservable('---|');
        m.expect(source).toHaveSubscriptions('^--!');
        m.expect(fallback).toHaveSubscriptions([]);
      }),
    );

    it(
      'should pass values and completion through',
      marbles((m) => {
        // prettier-ignore
        const source = m.cold('-a-b-c|');
        const subs = '         ^-----!';
        const expected = '     -a-b-c|';
        m.expect(source.pipe(timeoutAfter({ each: 2, total: 6 }))).toBeObservable(expected);
        m.expect(source).toHaveSubscriptions(subs);
      }),
    );

    it(
      'should pass foreign errors through',
      marbles((m) => {
        // prettier-ignore
        const source = m.cold('-a-#', undefined, new Error('upstream'));
        const subs = '         ^--!';
        const expected = '     -a-#';
        m.expect(source.pipe(timeoutAfter({ each: 5 }))).toBeObservable(
          expected,
          undefined,
          new Error('upstream'),
        );
        m.expect(source).toHaveSubscriptions(subs);
      }),
    );

    it(
      'should unsubscribe the source on early unsubscribe',
      marbles((m) => {
        // prettier-ignore
        const source = m.cold('-a-b-c-d|');
        const unsub = '        ^----!';
        const subs = '         ^----!';
        const expected = '     -a-b-';
        m.expect(source.pipe(timeoutAfter({ each: 3 })), unsub).toBeObservable(expected);
        m.expect(source).toHaveSubscriptions(subs);
      }),
    );

    it(
      'should not break unsubscription chains',
      marbles((m) => {
        // prettier-ignore
        const source = m.hot('-a-b-c-d|');
        const unsub = '       ^----!';
        const subs = '        ^----!';
        const expected = '    -a-b-';
        const result = source.pipe(
          mergeMap((x) => of(x)),
          timeoutAfter({ each: 3 }),
          mergeMap((x) => of(x)),
        );
        m.expect(result, unsub).toBeObservable(expected);
        m.expect(source).toHaveSubscriptions(subs);
      }),
    );

    it('should stop a synchronous source under take(n)', () => {
      const emitted: number[] = [];
      const seen: number[] = [];
      firehose(1000, emitted)
        .pipe(timeoutAfter({ each: 1000 }), take(3))
        .subscribe((v) => seen.push(v));
      expect(seen).to.deep.equal([0, 1, 2]);
      expect(emitted).to.deep.equal([0, 1, 2]);
    });

    it(
      'should keep two subscriptions independent',
      marbles((m) => {
        // prettier-ignore
        const source = m.cold('-a---b|');
        const result = source.pipe(timeoutAfter({ each: 3 }));
        const first = '        -a--#';
        const second = '       ----a--#';
        m.expect(result).toBeObservable(first, undefined, timeoutError({ limit: 'each', after: 3, seen: 1 }));
        m.expect(result, '---^').toBeObservable(
          second,
          undefined,
          timeoutError({ limit: 'each', after: 3, seen: 1 }),
        );
        m.expect(source).toHaveSubscriptions(['^---!', '---^---!']);
      }),
    );

    it('should run on an explicit scheduler', () => {
      // Outside `run`, the default asyncScheduler is real: only the given scheduler makes this virtual.
      const scheduler = new TestScheduler(() => undefined);
      const events: string[] = [];
      scheduler
        .createColdObservable('-a---b|')
        .pipe(timeoutAfter({ each: 30, scheduler }))
        .subscribe({
          next: (v) => events.push(`${v}@${scheduler.now()}`),
          error: (e: TimeoutExceededError) => events.push(`${e.name}@${scheduler.now()}`),
        });
      scheduler.flush();
      expect(events).to.deep.equal(['a@10', 'TimeoutExceededError@40']);
    });

    it('should throw InvalidConfigError with its exact message for a bad config', () => {
      const cases: Array<[unknown, string]> = [
        [
          {},
          'timeoutAfter: invalid config: config must set at least one limit (`first`, `each` or `total`), got {} (object)',
        ],
        [
          -1,
          'timeoutAfter: invalid config: `total` must be a non-negative number of milliseconds, got -1 (number)',
        ],
        [
          NaN,
          'timeoutAfter: invalid config: `total` must be a non-negative number of milliseconds, got NaN (number)',
        ],
        [
          { eachh: 100 },
          'timeoutAfter: invalid config: unknown option `eachh`: expected one of the known options (`first`, `each`, `total`, `with`, `meta`, `scheduler`), got 100 (number)',
        ],
        [
          { each: '5', with: 1, scheduler: {} },
          'timeoutAfter: invalid config: `each` must be a non-negative number of milliseconds, got "5" (string); `with` must be a function, got 1 (number); `scheduler` must be a SchedulerLike (an object with now() and schedule()), got {} (object)',
        ],
        [null, 'timeoutAfter: invalid config: config must be an object, got null'],
      ];
      for (const [config, message] of cases) {
        const error = captureThrow(() => timeoutAfter(config as number));
        expect(error).to.be.instanceOf(InvalidConfigError);
        expect((error as Error).message).to.equal(message);
        expect((error as InvalidConfigError).info.operator).to.equal('timeoutAfter');
      }
    });
  });
});
