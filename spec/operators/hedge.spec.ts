import { expect } from 'chai';
import {
  Observable,
  Subject,
  asyncScheduler,
  defer,
  mergeMap,
  of,
  take,
  takeUntil,
  throwError,
  type SchedulerLike,
} from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { RetryBudget } from '../../src/budget/RetryBudget';
import { CircuitOpenError } from '../../src/errors/CircuitOpenError';
import { HttpStatusError } from '../../src/errors/HttpStatusError';
import { InvalidConfigError } from '../../src/errors/InvalidConfigError';
import { hedge } from '../../src/operators/hedge';
import { bulkhead } from '../../src/operators/bulkhead';
import { Bulkhead } from '../../src/bulkhead/Bulkhead';
import { captureThrow } from '../helpers/captureError';
import { countingScheduler } from '../helpers/countingScheduler';
import { firehose } from '../helpers/firehose';
import { marbles } from '../helpers/marbles';

const status = (code: number): HttpStatusError =>
  new HttpStatusError({
    status: code,
    statusText: '',
    url: 'http://127.0.0.1/',
    retryAfter: undefined,
    body: '',
  });

/**
 * A source whose n-th subscription (0-based) plays `attempts[n]`: each attempt of a hedge may behave
 * differently, as a real dependency does.
 */
function attemptsOf<T>(attempts: ReadonlyArray<Observable<T>>): Observable<T> {
  let n = 0;
  return defer(() => attempts[n++]!);
}

describe('hedge', () => {
  describe('standard battery', () => {
    it(
      'should pass values and completion of a first attempt that answers before delay, with one subscription',
      marbles((m) => {
        // prettier-ignore
        const source = m.cold('-a-b|');
        const subs = '         ^---!';
        const expected = '     -a-b|';
        m.expect(source.pipe(hedge({ delay: 5 }))).toBeObservable(expected);
        m.expect(source).toHaveSubscriptions(subs);
      }),
    );

    it(
      'should pass errors of the winner through untouched, without hedging after a value',
      marbles((m) => {
        // prettier-ignore
        const source = m.cold('-a-#', undefined, status(503));
        m.expect(source.pipe(hedge({ delay: 1 }))).toBeObservable('-a-#', undefined, status(503));
        m.expect(source).toHaveSubscriptions(['^--!']);
      }),
    );

    it('should unsubscribe every attempt and cancel the delay on early unsubscribe', () => {
      const scheduler = new TestScheduler((a, b) => {
        expect(a).to.deep.equal(b);
      });
      scheduler.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
        const clock = countingScheduler(scheduler);
        // prettier-ignore
        const source = cold('-----a|');
        const unsub = '      ^---!';
        expectObservable(source.pipe(hedge({ delay: 2, maxAttempts: 3, scheduler: clock })), unsub).toBe('');
        expectSubscriptions(source.subscriptions).toBe(['^---!', '--^-!']);
        flush();
        // One timer (the scheduler's timer queue), re-armed for the second delay, cancelled on unsubscribe.
        expect(clock.calls.map((c) => [c.delay, c.action.closed])).to.deep.equal([[2, true]]);
        expect(clock.rearms).to.deep.equal([2]);
      });
    });

    it(
      'should not break unsubscription chains (mergeMap sandwich)',
      marbles((m) => {
        // prettier-ignore
        const source = m.cold('-a-b-c-|');
        const unsub = '        ^---!';
        const subs = '         ^---!';
        const result = source.pipe(
          mergeMap((x) => of(x)),
          hedge({ delay: 10 }),
          mergeMap((x) => of(x)),
        );
        m.expect(result, unsub).toBeObservable('-a-b');
        m.expect(source).toHaveSubscriptions(subs);
      }),
    );

    it('should stop a synchronous source when take(n) unsubscribes, and arm no timer', () => {
      const scheduler = new TestScheduler(() => undefined);
      const clock = countingScheduler(scheduler);
      const emitted: number[] = [];
      const seen: number[] = [];
      firehose(1000, emitted)
        .pipe(hedge({ delay: 5, scheduler: clock }), take(3))
        .subscribe((v) => seen.push(v));
      expect(seen).to.deep.equal([0, 1, 2]);
      expect(emitted).to.deep.equal([0, 1, 2]);
      expect(clock.calls).to.have.length(0);
    });

    it(
      'should error the result with what a throwing shouldHedge threw, and unsubscribe the others',
      marbles((m) => {
        // prettier-ignore
        const slow = m.cold('-----a|');
        const fails = m.cold('  -#');
        const shouldHedge = (): boolean => {
          throw new Error('predicate bug');
        };
        const result = attemptsOf([slow, fails]).pipe(hedge({ delay: 2, shouldHedge }));
        m.expect(result).toBeObservable('---#', undefined, new Error('predicate bug'));
        m.expect(slow).toHaveSubscriptions('^--!');
      }),
    );

    it(
      'should run two subscriptions independently',
      marbles((m) => {
        // prettier-ignore
        const source = m.cold('---a|');
        const result = source.pipe(hedge({ delay: 2 }));
        m.expect(result).toBeObservable('---a|');
        m.expect(result, '-^').toBeObservable('----a|');
        m.expect(source).toHaveSubscriptions(['^---!', '-^---!', '--^!', '---^!']);
      }),
    );

    it('should use an explicit scheduler for its delays', () => {
      const scheduler = new TestScheduler(() => undefined);
      const clock = countingScheduler(scheduler);
      let subscribed = 0;
      const never = new Observable<number>(() => {
        subscribed++;
      });
      const sub = never.pipe(hedge({ delay: 7, maxAttempts: 3, scheduler: clock })).subscribe();
      scheduler.flush();
      expect(subscribed).to.equal(3);
      expect(clock.calls.map((c) => c.delay)).to.deep.equal([7]);
      expect(clock.rearms).to.deep.equal([7]);
      sub.unsubscribe();
      expect(hedge({ delay: 1 })).to.be.a('function');
      expect((asyncScheduler as SchedulerLike).now).to.be.a('function');
    });

    it('should throw InvalidConfigError naming every bad field', () => {
      const error = captureThrow(() =>
        hedge({ delay: -1, maxAttempts: 0, shouldHedge: 1, budget: {}, scheduler: 2, delays: 3 } as never),
      );
      expect(error).to.be.instanceOf(InvalidConfigError);
      expect((error as Error).message).to.equal(
        'hedge: invalid config: ' +
          '`delay` must be a non-negative number of milliseconds, got -1 (number); ' +
          '`maxAttempts` must be a positive integer, got 0 (number); ' +
          '`shouldHedge` must be a function, got 1 (number); ' +
          '`budget` must be a RetryBudget (new RetryBudget({ ... })), got {} (object); ' +
          '`scheduler` must be a SchedulerLike (an object with now() and schedule()), got 2 (number); ' +
          'unknown option `delays`: expected one of the known options (`delay`, `maxAttempts`, `shouldHedge`, `budget`, `scheduler`), got 3 (number)',
      );
      expect((captureThrow(() => hedge({} as never)) as Error).message).to.equal(
        'hedge: invalid config: `delay` must be a non-negative number of milliseconds, got undefined',
      );
      expect((captureThrow(() => hedge({ delay: 1, maxAttempts: Infinity })) as Error).message).to.equal(
        'hedge: invalid config: `maxAttempts` must be a positive integer, got Infinity (number)',
      );
    });
  });

  describe('rules (DESIGN 2.8)', () => {
    it(
      'should start another attempt delay ms after the latest one started, up to maxAttempts, and let the first value win',
      marbles((m) => {
        // prettier-ignore
        const a1 = m.cold('------a|');
        const a2 = m.cold('  ---b|');
        const a3 = m.cold('    ------c|');
        const result = attemptsOf([a1, a2, a3]).pipe(hedge({ delay: 2, maxAttempts: 3 }));
        m.expect(result).toBeObservable('-----b|');
        m.expect(a1).toHaveSubscriptions('^----!');
        m.expect(a2).toHaveSubscriptions('--^---!');
        m.expect(a3).toHaveSubscriptions('----^!');
      }),
    );

    it(
      'should follow the winner after its first value: later values, then its completion',
      marbles((m) => {
        // prettier-ignore
        const a1 = m.cold('---a-b-c|');
        const a2 = m.cold(' ---x|');
        const result = attemptsOf([a1, a2]).pipe(hedge({ delay: 1 }));
        m.expect(result).toBeObservable('---a-b-c|');
        m.expect(a1).toHaveSubscriptions('^-------!');
        m.expect(a2).toHaveSubscriptions('-^-!');
      }),
    );

    it(
      'should start no hedge for a value exactly at delay (it is in time)',
      marbles((m) => {
        // prettier-ignore
        const source = m.cold('--a|');
        m.expect(source.pipe(hedge({ delay: 2 }))).toBeObservable('--a|');
        m.expect(source).toHaveSubscriptions('^--!');
      }),
    );

    it(
      'should start the next attempt at once when one fails with an error shouldHedge accepts, and count the delay from it',
      marbles((m) => {
        // prettier-ignore
        const a1 = m.cold('-#', undefined, status(503));
        const a2 = m.cold(' -----b|');
        const a3 = m.cold('    -c|');
        const result = attemptsOf([a1, a2, a3]).pipe(hedge({ delay: 3, maxAttempts: 3 }));
        m.expect(result).toBeObservable('-----c|');
        m.expect(a1).toHaveSubscriptions('^!');
        m.expect(a2).toHaveSubscriptions('-^---!');
        m.expect(a3).toHaveSubscriptions('----^-!');
      }),
    );

    it(
      'should let an attempt that completes without a value win the same way',
      marbles((m) => {
        // prettier-ignore
        const a1 = m.cold('-----a|');
        const a2 = m.cold('  -|');
        const result = attemptsOf([a1, a2]).pipe(hedge({ delay: 2 }));
        m.expect(result).toBeObservable('---|');
        m.expect(a1).toHaveSubscriptions('^--!');
        m.expect(a2).toHaveSubscriptions('--^!');
      }),
    );

    it(
      'should end the result at once with an error shouldHedge rejects, unsubscribing the others',
      marbles((m) => {
        // prettier-ignore
        const a1 = m.cold('------a|');
        const a2 = m.cold('  -#', undefined, status(404));
        const result = attemptsOf([a1, a2]).pipe(hedge({ delay: 2 }));
        m.expect(result).toBeObservable('---#', undefined, status(404));
        m.expect(a1).toHaveSubscriptions('^--!');
        m.expect(a2).toHaveSubscriptions('--^!');
      }),
    );

    it(
      'should not hedge a refusal by another policy (default shouldHedge is isTransient)',
      marbles((m) => {
        const open = new CircuitOpenError({ breaker: 'b', state: 'open', retryAfter: 5 });
        // prettier-ignore
        const source = m.cold('#', undefined, open);
        m.expect(source.pipe(hedge({ delay: 2, maxAttempts: 3 }))).toBeObservable('#', undefined, open);
        m.expect(source).toHaveSubscriptions('(^!)');
      }),
    );

    it(
      'should wait for the running attempts when one fails and none is left, then error with the last error',
      marbles((m) => {
        // prettier-ignore
        const a1 = m.cold('----#', undefined, new Error('first'));
        const a2 = m.cold('  -#', undefined, new Error('second'));
        const result = attemptsOf([a1, a2]).pipe(hedge({ delay: 2 }));
        m.expect(result).toBeObservable('----#', undefined, new Error('first'));
        m.expect(a1).toHaveSubscriptions('^---!');
        m.expect(a2).toHaveSubscriptions('--^!');
      }),
    );

    it(
      'should let a running attempt still win after another one failed with none left',
      marbles((m) => {
        // prettier-ignore
        const a1 = m.cold('-----a|');
        const a2 = m.cold('  -#');
        const result = attemptsOf([a1, a2]).pipe(hedge({ delay: 2 }));
        m.expect(result).toBeObservable('-----a|');
      }),
    );

    it(
      'should start every attempt at once with delay 0, and only on failure with delay Infinity',
      marbles((m) => {
        // prettier-ignore
        const a1 = m.cold('---a|');
        const a2 = m.cold('--b|');
        const a3 = m.cold('----c|');
        m.expect(attemptsOf([a1, a2, a3]).pipe(hedge({ delay: 0, maxAttempts: 3 }))).toBeObservable('--b|');
        m.expect(a1).toHaveSubscriptions('^-!');
        m.expect(a2).toHaveSubscriptions('^--!');
        m.expect(a3).toHaveSubscriptions('^-!');
        // prettier-ignore
        const f1 = m.cold('---#');
        const f2 = m.cold('   --x|');
        m.expect(attemptsOf([f1, f2]).pipe(hedge({ delay: Infinity }))).toBeObservable('-----x|');
        m.expect(f1).toHaveSubscriptions('^--!');
        m.expect(f2).toHaveSubscriptions('---^--!');
      }),
    );

    it(
      'should leave the source as it is with maxAttempts 1',
      marbles((m) => {
        // prettier-ignore
        const source = m.cold('-----#');
        m.expect(source.pipe(hedge({ delay: 1, maxAttempts: 1 }))).toBeObservable('-----#');
        m.expect(source).toHaveSubscriptions('^----!');
      }),
    );

    it('should wait a delay longer than one timer can in steps', () => {
      const scheduler = new TestScheduler(() => undefined);
      scheduler.run(() => {
        const clock = countingScheduler(scheduler);
        let subscribed: number[] = [];
        const never = new Observable<number>(() => {
          subscribed.push(scheduler.now());
        });
        const delay = 2 ** 31 + 5;
        never.pipe(hedge({ delay, scheduler: clock })).subscribe();
        scheduler.flush();
        expect(subscribed).to.deep.equal([0, delay]);
        expect(clock.calls.map((c) => c.delay)).to.deep.equal([2 ** 31 - 1]);
        expect(clock.rearms).to.deep.equal([6]);
        subscribed = [];
      });
    });

    it('should start a long run of attempts that fail synchronously in a loop: the stack stays flat', function () {
      // 100 000 attempts, each building an Error with its stack: 1.5 to 3 s of CPU, more on a loaded machine.
      // Nothing here is timed.
      this.timeout(30_000);
      let subscribed = 0;
      const errors: unknown[] = [];
      defer(() => throwError(() => new Error(`attempt ${++subscribed}`)))
        .pipe(hedge({ delay: 5, maxAttempts: 100_000, shouldHedge: () => true }))
        .subscribe({ error: (e: unknown) => errors.push(e) });
      expect(subscribed).to.equal(100_000);
      expect(errors).to.deep.equal([new Error('attempt 100000')]);
    });

    it(
      'should stop a run of synchronous failures when a synchronous attempt wins, and arm no delay',
      marbles((m) => {
        let n = 0;
        const result = defer(() => (++n < 3 ? throwError(() => new Error('down')) : of('x'))).pipe(
          hedge({ delay: 2, maxAttempts: 5, shouldHedge: () => true }),
        );
        m.expect(result).toBeObservable('(x|)');
        m.flush();
        expect(n).to.equal(3);
      }),
    );

    describe('with a RetryBudget', () => {
      it('should never subscribe an attempt that an observer of the budget cancels the call at', () => {
        const scheduler = new TestScheduler(() => undefined);
        for (const at of ['deposited', 'withdrawn'] as const) {
          scheduler.run(() => {
            const budget = new RetryBudget();
            let subscribed = 0;
            const cancel = new Subject<void>();
            budget.events$.subscribe((e) => {
              if (e.type === at) cancel.next();
            });
            defer(() => {
              subscribed++;
              return new Observable<never>();
            })
              .pipe(hedge({ delay: 2, maxAttempts: 3, budget }), takeUntil(cancel))
              .subscribe();
            scheduler.flush();
            expect(subscribed, `cancelled at ${at}`).to.equal(at === 'deposited' ? 0 : 1);
            expect(budget.metrics().totalWithdrawals).to.equal(at === 'deposited' ? 0 : 1);
          });
        }
      });

      it(
        'should deposit once per call and withdraw each extra attempt',
        marbles((m) => {
          const budget = new RetryBudget({ minRetriesPerSecond: 0, percentCanRetry: 1 });
          // prettier-ignore
          const source = m.cold('-----a|');
          m.expect(source.pipe(hedge({ delay: 2, maxAttempts: 3, budget }))).toBeObservable('-----a|');
          m.flush();
          expect(budget.metrics()).to.include({ totalDeposits: 1, totalWithdrawals: 1, totalRefusals: 1 });
        }),
      );

      it(
        'should not start an attempt the budget refuses, and count it as none left',
        marbles((m) => {
          const budget = new RetryBudget({ minRetriesPerSecond: 0, percentCanRetry: 0.5 });
          // prettier-ignore
          const a1 = m.cold('---#', undefined, new Error('down'));
          const a2 = m.cold('x|');
          // A deposit of 1000 tokens against a withdrawal of 2000: no extra attempt.
          const result = attemptsOf([a1, a2]).pipe(hedge({ delay: 1, maxAttempts: 3, budget }));
          m.expect(result).toBeObservable('---#', undefined, new Error('down'));
          m.expect(a2).toHaveSubscriptions([]);
          m.flush();
          expect(budget.metrics()).to.include({ totalDeposits: 1, totalWithdrawals: 0, totalRefusals: 1 });
        }),
      );

      it(
        'should deposit with maxAttempts 1 too',
        marbles((m) => {
          const budget = new RetryBudget();
          // prettier-ignore
          const source = m.cold('a|');
          m.expect(source.pipe(hedge({ delay: 1, maxAttempts: 1, budget }))).toBeObservable('a|');
          m.flush();
          expect(budget.metrics().totalDeposits).to.equal(1);
        }),
      );

      it('should start nothing and withdraw nothing when an attempt fails as the caller leaves', () => {
        const scheduler = new TestScheduler(() => undefined);
        const subscribed: number[] = [];
        let budget!: RetryBudget;
        let pool!: Bulkhead;
        scheduler.run(() => {
          budget = new RetryBudget({ minRetriesPerSecond: 1000, percentCanRetry: 1, scheduler });
          // Attempt 1 hangs and holds the only slot; attempt 2 (at 2) waits for it, and fails as soon as
          // it starts: that is when the caller leaves (at 3) and attempt 1's slot goes back.
          pool = new Bulkhead({ maxConcurrent: 1, maxQueued: 1, scheduler });
          const source = attemptsOf<number>([
            new Observable(() => {
              subscribed.push(1);
            }),
            new Observable((subscriber) => {
              subscribed.push(2);
              subscriber.error(new Error('down'));
            }),
            new Observable(() => {
              subscribed.push(3);
            }),
          ]);
          const subscription = source
            .pipe(bulkhead(pool), hedge({ delay: 2, maxAttempts: 3, budget, scheduler }))
            .subscribe({ error: () => undefined });
          scheduler.schedule(() => {
            expect(pool.queued).to.equal(1);
            subscription.unsubscribe();
          }, 3);
        });
        expect(subscribed).to.deep.equal([1, 2]);
        expect(budget.metrics()).to.include({ totalWithdrawals: 1, totalRefusals: 0 });
        expect(pool.active + pool.queued).to.equal(0);
      });
    });
  });
});
