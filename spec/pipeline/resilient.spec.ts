import { expect } from 'chai';
import {
  EMPTY,
  NEVER,
  Subject,
  defer,
  mergeMap,
  of,
  take,
  takeUntil,
  throwError,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { CircuitBreaker, type CircuitBreakerConfig } from '../../src/breaker/CircuitBreaker';
import { Bulkhead, type BulkheadConfig } from '../../src/bulkhead/Bulkhead';
import { BulkheadRejectedError } from '../../src/errors/BulkheadRejectedError';
import { CircuitOpenError } from '../../src/errors/CircuitOpenError';
import { InvalidConfigError } from '../../src/errors/InvalidConfigError';
import { TimeoutExceededError } from '../../src/errors/TimeoutExceededError';
import { isTransient } from '../../src/errors/isTransient';
import { RetryBudget } from '../../src/budget/RetryBudget';
import { bulkhead } from '../../src/operators/bulkhead';
import { retryBackoff } from '../../src/operators/retryBackoff';
import type { CallFailure } from '../../src/pipeline/CallFailure';
import { ResiliencePipeline, type ResiliencePipelineConfig } from '../../src/pipeline/ResiliencePipeline';
import { RateLimiter } from '../../src/limiter/RateLimiter';
import { HttpStatusError } from '../../src/errors/HttpStatusError';
import { resilient } from '../../src/pipeline/resilient';
import { captureThrow } from '../helpers/captureError';
import { countingScheduler } from '../helpers/countingScheduler';
import { firehose } from '../helpers/firehose';
import { marbles } from '../helpers/marbles';

/** A breaker that opens on one failure and stays open for 100 ms. */
const touchyBreaker = (scheduler: SchedulerLike, config: CircuitBreakerConfig = {}): CircuitBreaker =>
  new CircuitBreaker({
    window: { type: 'count', size: 1 },
    minimumCalls: 1,
    openDuration: 100,
    isFailure: isTransient,
    scheduler,
    ...config,
  });

const pool = (scheduler: SchedulerLike, config: Partial<BulkheadConfig> = {}): Bulkhead =>
  new Bulkhead({ maxConcurrent: 1, scheduler, ...config });

/** Every stage, with limits no spec below reaches unless it means to. */
const everyStage = (scheduler: SchedulerLike, config: ResiliencePipelineConfig = {}): ResiliencePipeline =>
  new ResiliencePipeline({
    attemptTimeout: 50,
    deadline: 100,
    retry: { maxRetries: 2, initialDelay: 1, jitter: 'none', shouldRetry: isTransient },
    breaker: new CircuitBreaker({ scheduler }),
    bulkhead: pool(scheduler, { maxConcurrent: 4 }),
    scheduler,
    ...config,
  });

/** A source whose n-th subscription is the n-th of `attempts` (the last one repeats). */
function attemptsOf<T>(...attempts: Array<Observable<T>>): Observable<T> {
  let n = 0;
  return defer(() => attempts[Math.min(n++, attempts.length - 1)]!);
}

/** A fallback that says what it was given. */
const describeFailure = ({ error, attempts, elapsed }: CallFailure) =>
  of(`${(error as Error).name} after ${attempts} attempt(s), ${elapsed} ms`);

describe('resilient', () => {
  describe('standard battery', () => {
    it(
      'should pass values and completion through every stage',
      marbles((m) => {
        const p = everyStage(m.scheduler);
        // prettier-ignore
        const source = m.cold('-a-b-c|');
        const subs = '         ^-----!';
        const expected = '     -a-b-c|';
        m.expect(source.pipe(resilient(p))).toBeObservable(expected);
        m.expect(source).toHaveSubscriptions(subs);
      }),
    );

    it(
      'should pass values and completion through a pipeline with no stage',
      marbles((m) => {
        // prettier-ignore
        const source = m.cold('-a-b|');
        m.expect(source.pipe(resilient(new ResiliencePipeline()))).toBeObservable('-a-b|');
      }),
    );

    it(
      'should pass foreign errors through untouched',
      marbles((m) => {
        const p = everyStage(m.scheduler, { retry: undefined });
        // prettier-ignore
        const source = m.cold('-a-#', undefined, new TypeError('upstream'));
        const expected = '     -a-#';
        m.expect(source.pipe(resilient(p))).toBeObservable(expected, undefined, new TypeError('upstream'));
      }),
    );

    it(
      'should cancel the source and every timer on early unsubscribe, and give back the slot and the permit',
      marbles((m) => {
        const counting = countingScheduler(m.scheduler);
        const breaker = new CircuitBreaker({ scheduler: m.scheduler });
        const slots = pool(m.scheduler);
        const p = everyStage(counting, { breaker, bulkhead: slots });
        // prettier-ignore
        const source = m.cold('-a-b-c|');
        const unsub = '        ^--!';
        const subs = '         ^--!';
        const expected = '     -a-';
        m.expect(source.pipe(resilient(p)), unsub).toBeObservable(expected);
        m.expect(source).toHaveSubscriptions(subs);
        m.flush();
        // The attempt timeout and the deadline share the scheduler's one timer, aimed at the earlier.
        expect(counting.calls.map((c) => c.delay)).to.deep.equal([50]);
        expect(counting.calls.every((c) => c.action.closed)).to.equal(true);
        expect(slots.active).to.equal(0);
        // left after a value: a success (DESIGN §2.4 rule 2)
        expect(breaker.metrics()).to.include({ inFlight: 0, calls: 1, failures: 0 });
      }),
    );

    it('should not break unsubscription chains', () => {
      const scheduler = new TestScheduler(() => undefined);
      const p = everyStage(scheduler);
      const emitted: number[] = [];
      const seen: number[] = [];
      firehose(1000, emitted)
        .pipe(
          mergeMap((x) => of(x)),
          resilient(p),
          mergeMap((x) => of(x)),
          take(2),
        )
        .subscribe((v) => seen.push(v));
      expect(seen).to.deep.equal([0, 1]);
      expect(emitted).to.deep.equal([0, 1]);
      expect(p.bulkhead!.active).to.equal(0);
      expect(scheduler.actions).to.have.length(0);
    });

    it('should stop a synchronous source when downstream take(n) unsubscribes, and schedule nothing', () => {
      const scheduler = new TestScheduler(() => undefined);
      const p = everyStage(scheduler);
      const emitted: number[] = [];
      const seen: number[] = [];
      firehose(1000, emitted)
        .pipe(resilient(p), take(3))
        .subscribe((v) => seen.push(v));
      expect(seen).to.deep.equal([0, 1, 2]);
      expect(emitted).to.deep.equal([0, 1, 2]);
      expect(scheduler.actions).to.have.length(0);
      expect(p.breaker!.metrics()).to.include({ inFlight: 0 });
    });

    it('should schedule nothing for a call that completes synchronously', () => {
      const counting = countingScheduler(new TestScheduler(() => undefined));
      const p = everyStage(counting);
      const seen: string[] = [];
      of('a')
        .pipe(resilient(p))
        .subscribe((v) => seen.push(v));
      expect(seen).to.deep.equal(['a']);
      expect(counting.calls).to.have.length(0);
    });

    it(
      'should error the call with what a throwing shouldRetry threw',
      marbles((m) => {
        const p = new ResiliencePipeline({
          retry: {
            maxRetries: 2,
            initialDelay: 1,
            shouldRetry: () => {
              throw new Error('shouldRetry broke');
            },
          },
          scheduler: m.scheduler,
        });
        // prettier-ignore
        const source = m.cold('--#');
        m.expect(source.pipe(resilient(p))).toBeObservable('--#', undefined, new Error('shouldRetry broke'));
      }),
    );

    it(
      "should go on with what a throwing breaker's isFailure threw, as circuitBreaker does",
      marbles((m) => {
        const breaker = touchyBreaker(m.scheduler, {
          isFailure: () => {
            throw new Error('isFailure broke');
          },
        });
        const p = new ResiliencePipeline({ breaker, scheduler: m.scheduler });
        // prettier-ignore
        const source = m.cold('--#');
        m.expect(source.pipe(resilient(p))).toBeObservable('--#', undefined, new Error('isFailure broke'));
        m.flush();
        expect(breaker.state).to.equal('open');
      }),
    );

    it(
      'should make each subscription an independent call',
      marbles((m) => {
        const p = everyStage(m.scheduler, { attemptTimeout: 3 });
        // prettier-ignore
        const source = m.cold('--a|');
        const call = source.pipe(resilient(p));
        m.expect(call, '^-!').toBeObservable('---');
        m.expect(call, '-^').toBeObservable('---a|');
        m.expect(source).toHaveSubscriptions(['^-!', '-^--!']);
      }),
    );

    it(
      "should take the deadline's, the attempt timeout's and the retries' time from the pipeline's scheduler",
      marbles((m) => {
        const counting = countingScheduler(m.scheduler);
        const p = new ResiliencePipeline({
          attemptTimeout: 2,
          deadline: 9,
          retry: { maxRetries: 1, initialDelay: 3, jitter: 'none' },
          scheduler: counting,
        });
        // prettier-ignore
        const source = m.cold('-----a|');
        const subs = ['        ^-!', '     -----^-!'];
        const expected = '     -------#';
        m.expect(source.pipe(resilient(p))).toBeObservable(
          expected,
          undefined,
          new TimeoutExceededError({ limit: 'total', after: 2, seen: 0, meta: undefined }),
        );
        m.expect(source).toHaveSubscriptions(subs);
        m.flush();
        // One timer on the pipeline's scheduler (its timer queue), aimed at each next instant in turn: the
        // attempt timeout at 2, the retry at 5, the attempt timeout at 7 (the deadline at 9 never comes).
        expect(counting.calls.map((c) => c.delay)).to.deep.equal([2]);
        expect(counting.rearms).to.deep.equal([3, 2]);
      }),
    );

    it('should throw InvalidConfigError with the exact message for a bad pipeline or bad options', () => {
      const notAPipeline = captureThrow(() => resilient({ name: 'users' } as never));
      expect(notAPipeline).to.be.instanceOf(InvalidConfigError);
      expect((notAPipeline as Error).message).to.equal(
        'resilient: invalid config: `pipeline` must be a ResiliencePipeline, got {"name":"users"} (object)',
      );
      const badOptions = captureThrow(() =>
        resilient(new ResiliencePipeline(), { fallback: 'stale', key: 7, metaa: 1 } as never),
      );
      expect((badOptions as Error).message).to.equal(
        'resilient: invalid config: `fallback` must be a function, got "stale" (string); ' +
          '`key` must be a string, got 7 (number); ' +
          'unknown option `metaa`: expected one of the known options (`fallback`, `key`, `meta`), got 1 (number)',
      );
    });
  });

  describe('§2.7 order: fallback, deadline, retry, breaker, bulkhead, attempt timeout, the call', () => {
    it(
      'should refuse at an open breaker before a bulkhead slot is taken',
      marbles((m) => {
        const breaker = touchyBreaker(m.scheduler);
        const slots = pool(m.scheduler);
        const p = new ResiliencePipeline({ breaker, bulkhead: slots, scheduler: m.scheduler });
        // prettier-ignore
        const failing = m.cold('-#');
        const healthy = m.cold('-a|');
        m.expect(failing.pipe(resilient(p))).toBeObservable('-#');
        m.expect(healthy.pipe(resilient(p)), '---^').toBeObservable(
          '---#',
          undefined,
          new CircuitOpenError({ breaker: 'unnamed', state: 'open', retryAfter: 98 }),
        );
        m.expect(healthy).toHaveSubscriptions([]);
        m.flush();
        expect(slots.metrics()).to.include({ calls: 1, rejectedFull: 0 });
      }),
    );

    it(
      'should let a full pool refuse an attempt without the breaker counting it as a failure',
      marbles((m) => {
        const breaker = touchyBreaker(m.scheduler);
        const slots = pool(m.scheduler);
        const p = new ResiliencePipeline({ breaker, bulkhead: slots, scheduler: m.scheduler });
        // prettier-ignore
        const slow = m.cold('-----|');
        m.expect(slow.pipe(resilient(p))).toBeObservable('-----|');
        m.expect(m.cold('-a|').pipe(resilient(p)), '-^').toBeObservable(
          '-#',
          undefined,
          new BulkheadRejectedError({
            bulkhead: 'bulkhead',
            reason: 'full',
            active: 1,
            maxConcurrent: 1,
            queued: 0,
            maxQueued: 0,
          }),
        );
        m.flush();
        expect(breaker.metrics()).to.include({ state: 'closed', failures: 0, calls: 1 });
      }),
    );

    it(
      'should bound the wire with the attempt timeout, not the wait for a slot',
      marbles((m) => {
        const slots = pool(m.scheduler, { maxQueued: 1 });
        const p = new ResiliencePipeline({ bulkhead: slots, attemptTimeout: 3, scheduler: m.scheduler });
        // Another caller holds the only slot until 4; the call waits, then has 3 ms on the wire.
        // prettier-ignore
        const holder = m.cold('----|');
        const source = m.cold('    --a|');
        const subs = '         ----^--!';
        const expected = '     ------a|';
        m.expect(holder.pipe(bulkhead(slots))).toBeObservable('----|');
        m.expect(source.pipe(resilient(p))).toBeObservable(expected);
        m.expect(source).toHaveSubscriptions(subs);
      }),
    );

    it(
      'should fail a hung attempt at the attempt timeout, as a failure the breaker counts and the retry retries',
      marbles((m) => {
        const breaker = new CircuitBreaker({
          minimumCalls: 2,
          window: { type: 'count', size: 2 },
          scheduler: m.scheduler,
        });
        const p = new ResiliencePipeline({
          breaker,
          attemptTimeout: 3,
          retry: { maxRetries: 1, initialDelay: 1, jitter: 'none' },
          scheduler: m.scheduler,
        });
        // prettier-ignore
        const hung = m.cold('------');
        const subs = ['      ^--!', '    ----^--!'];
        const expected = '   -------#';
        m.expect(hung.pipe(resilient(p))).toBeObservable(
          expected,
          undefined,
          new TimeoutExceededError({ limit: 'total', after: 3, seen: 0, meta: undefined }),
        );
        m.expect(hung).toHaveSubscriptions(subs);
        m.flush();
        expect(breaker.metrics()).to.include({ state: 'open', failures: 2 });
      }),
    );

    it(
      'should bound everything with the deadline: attempts, waiting and backoff',
      marbles((m) => {
        const p = new ResiliencePipeline({
          deadline: 10,
          attemptTimeout: 3,
          retry: { maxRetries: 5, initialDelay: 2, jitter: 'none' },
          scheduler: m.scheduler,
        });
        // Attempt 1 is cut at 3, retry 1 waits 2 ms, attempt 2 is cut at 8, retry 2 would wait until 12.
        // prettier-ignore
        const hung = m.cold('------');
        const subs = ['      ^--!', '    -----^--!'];
        const expected = '   ----------#';
        m.expect(hung.pipe(resilient(p, { meta: 'users/42' }))).toBeObservable(
          expected,
          undefined,
          new TimeoutExceededError({ limit: 'total', after: 10, seen: 0, meta: 'users/42' }),
        );
        m.expect(hung).toHaveSubscriptions(subs);
      }),
    );

    it(
      'should cut a running attempt at the deadline, and count the values the call delivered',
      marbles((m) => {
        const p = new ResiliencePipeline({ deadline: 4, scheduler: m.scheduler });
        // prettier-ignore
        const source = m.cold('-a-b-c|');
        const subs = '         ^---!';
        const expected = '     -a-b#';
        m.expect(source.pipe(resilient(p))).toBeObservable(
          expected,
          undefined,
          new TimeoutExceededError({ limit: 'total', after: 4, seen: 2, meta: undefined }),
        );
        m.expect(source).toHaveSubscriptions(subs);
      }),
    );

    it(
      'should retry, and keep its delays, as retryBackoff does',
      marbles((m) => {
        const p = new ResiliencePipeline({
          retry: { maxRetries: 2, initialDelay: 1, jitter: 'none' },
          scheduler: m.scheduler,
        });
        // prettier-ignore
        const source = m.cold('--#');
        const subs = ['        ^-!', '---^-!', '-------^-!'];
        m.expect(source.pipe(resilient(p))).toBeObservable('---------#');
        m.expect(source).toHaveSubscriptions(subs);
      }),
    );
  });

  describe('§2.7 fallback', () => {
    it(
      "should stand in for the last attempt's error, after the values the call delivered",
      marbles((m) => {
        const p = new ResiliencePipeline({
          retry: { maxRetries: 1, initialDelay: 1, jitter: 'none' },
          scheduler: m.scheduler,
        });
        // prettier-ignore
        const source = m.cold('a-#', undefined, new Error('down'));
        const expected = '     a--a-(f|)';
        m.expect(source.pipe(resilient(p, { fallback: describeFailure }))).toBeObservable(expected, {
          a: 'a',
          f: 'Error after 2 attempt(s), 5 ms',
        });
      }),
    );

    it(
      'should stand in for a refusal by the breaker',
      marbles((m) => {
        const breaker = touchyBreaker(m.scheduler);
        breaker.isolate();
        const p = new ResiliencePipeline({ breaker, scheduler: m.scheduler });
        m.expect(m.cold('-a|').pipe(resilient(p, { fallback: describeFailure })), '--^').toBeObservable(
          '--(f|)',
          { f: 'CircuitOpenError after 0 attempt(s), 0 ms' },
        );
      }),
    );

    it(
      'should stand in for a refusal by the bulkhead, full or after queueTimeout',
      marbles((m) => {
        const slots = pool(m.scheduler, { maxQueued: 1, queueTimeout: 2 });
        const p = new ResiliencePipeline({ bulkhead: slots, scheduler: m.scheduler });
        const fallback = ({ error, elapsed }: CallFailure) =>
          of(`${(error as BulkheadRejectedError).info.reason} after ${elapsed} ms`);
        // prettier-ignore
        const holder = m.cold('------|');
        m.expect(holder.pipe(resilient(p))).toBeObservable('------|');
        m.expect(m.cold('-a|').pipe(resilient(p, { fallback }))).toBeObservable('--(q|)', {
          q: 'queueTimeout after 2 ms',
        });
        m.expect(m.cold('-a|').pipe(resilient(p, { fallback }))).toBeObservable('(f|)', {
          f: 'full after 0 ms',
        });
      }),
    );

    it(
      'should stand in for the deadline',
      marbles((m) => {
        const p = new ResiliencePipeline({ deadline: 3, scheduler: m.scheduler });
        m.expect(m.cold('-----a|').pipe(resilient(p, { fallback: describeFailure }))).toBeObservable(
          '---(f|)',
          {
            f: 'TimeoutExceededError after 1 attempt(s), 3 ms',
          },
        );
      }),
    );

    it(
      'should error the call with what the fallback threw',
      marbles((m) => {
        const p = new ResiliencePipeline({ scheduler: m.scheduler });
        const fallback = (): never => {
          throw new RangeError('no stale copy');
        };
        m.expect(m.cold('--#').pipe(resilient(p, { fallback }))).toBeObservable(
          '--#',
          undefined,
          new RangeError('no stale copy'),
        );
      }),
    );

    it(
      'should not call the fallback for a call that succeeds or that the caller leaves',
      marbles((m) => {
        const p = new ResiliencePipeline({ scheduler: m.scheduler });
        let called = 0;
        const fallback = (): Observable<string> => {
          called++;
          return EMPTY;
        };
        m.expect(m.cold('-a|').pipe(resilient(p, { fallback }))).toBeObservable('-a|');
        m.expect(m.cold('---#').pipe(resilient(p, { fallback })), '^-!').toBeObservable('---');
        m.flush();
        expect(called).to.equal(0);
      }),
    );
  });

  describe('§2.7 CallFailure', () => {
    it(
      'should count only the attempts that reached the call, not the refused ones',
      marbles((m) => {
        // Open until reset: its refusals carry no finite retryAfter, so the retries are not held back.
        const breaker = touchyBreaker(m.scheduler, { openDuration: Infinity });
        const p = new ResiliencePipeline({
          breaker,
          retry: { maxRetries: 2, initialDelay: 1, jitter: 'none', shouldRetry: () => true },
          scheduler: m.scheduler,
        });
        // Attempt 1 fails at 1 and opens the breaker; retries at 2 and 4 are refused.
        // prettier-ignore
        const source = m.cold('-#');
        m.expect(source.pipe(resilient(p, { fallback: describeFailure }))).toBeObservable('----(f|)', {
          f: 'CircuitOpenError after 1 attempt(s), 4 ms',
        });
        m.expect(source).toHaveSubscriptions('^!');
      }),
    );

    it(
      "should measure elapsed from the call's subscribe to its failure",
      marbles((m) => {
        const p = new ResiliencePipeline({ scheduler: m.scheduler });
        // prettier-ignore
        const source = m.cold('--#', undefined, new Error('down'));
        m.expect(source.pipe(resilient(p, { fallback: describeFailure })), '---^').toBeObservable(
          '-----(f|)',
          {
            f: 'Error after 1 attempt(s), 2 ms',
          },
        );
      }),
    );
  });

  describe('§2.7 shared policies', () => {
    it(
      'should share one breaker and one pool between every call of a pipeline, and with hand-stacked calls',
      marbles((m) => {
        const slots = pool(m.scheduler, { maxQueued: 2 });
        const p = new ResiliencePipeline({ bulkhead: slots, scheduler: m.scheduler });
        const holder = new Subject<string>();
        holder.pipe(bulkhead(slots)).subscribe();
        // prettier-ignore
        const a = m.cold('-a|');
        const b = m.cold('-b|');
        m.expect(a.pipe(resilient(p))).toBeObservable('---a|');
        m.expect(b.pipe(resilient(p))).toBeObservable('-----b|');
        m.scheduler.schedule(() => holder.complete(), 2);
        m.flush();
        expect(slots.metrics()).to.include({ active: 0, queued: 0, enqueued: 2, started: 2 });
      }),
    );
  });

  describe('§2.10 retry budget (retry.budget)', () => {
    it(
      'should deposit once per call and withdraw each retry, refusing as retryBackoff does, with the same instants',
      marbles((m) => {
        // Two calls deposit 2000 tokens, a retry costs 2000: the first call to fail retries, the second
        // fails at once; the explicit stack does exactly the same with its own budget.
        const retryOf = (budget: RetryBudget) => ({
          maxRetries: 2,
          initialDelay: 1,
          jitter: 'none' as const,
          budget,
        });
        const budget = new RetryBudget({
          minRetriesPerSecond: 0,
          percentCanRetry: 0.5,
          scheduler: m.scheduler,
        });
        const p = new ResiliencePipeline({ retry: retryOf(budget), scheduler: m.scheduler });
        const stackBudget = new RetryBudget({
          minRetriesPerSecond: 0,
          percentCanRetry: 0.5,
          scheduler: m.scheduler,
        });
        // prettier-ignore
        const source = m.cold('-#');
        m.expect(source.pipe(resilient(p))).toBeObservable('---#');
        m.expect(source.pipe(resilient(p))).toBeObservable('-#');
        const stacked = source.pipe(retryBackoff({ ...retryOf(stackBudget), scheduler: m.scheduler }));
        m.expect(stacked, '----------^').toBeObservable('-------------#');
        m.expect(stacked, '----------^').toBeObservable('-----------#');
        m.flush();
        const counts = (b: RetryBudget) => {
          const { totalDeposits, totalWithdrawals, totalRefusals } = b.metrics();
          return { totalDeposits, totalWithdrawals, totalRefusals };
        };
        expect(counts(budget)).to.deep.equal({ totalDeposits: 2, totalWithdrawals: 1, totalRefusals: 2 });
        expect(counts(stackBudget)).to.deep.equal(counts(budget));
      }),
    );

    it('should never subscribe an attempt after an observer of the budget cancels the call, as the stack', () => {
      const scheduler = new TestScheduler(() => undefined);
      for (const at of ['deposited', 'withdrawn'] as const) {
        for (const stage of ['retry', 'hedge'] as const) {
          scheduler.run(() => {
            const budget = new RetryBudget();
            let subscribed = 0;
            const cancel = new Subject<void>();
            budget.events$.subscribe((e) => {
              if (e.type === at) cancel.next();
            });
            const p = new ResiliencePipeline(
              stage === 'retry'
                ? { retry: { maxRetries: 2, initialDelay: 1, budget, shouldRetry: () => true } }
                : { hedge: { delay: 2, maxAttempts: 3, budget } },
            );
            defer(() => {
              subscribed++;
              return stage === 'retry' ? throwError(() => new Error('down')) : NEVER;
            })
              .pipe(resilient(p), takeUntil(cancel))
              .subscribe({ error: () => undefined });
            scheduler.flush();
            expect(subscribed, `${stage}, cancelled at ${at}`).to.equal(at === 'deposited' ? 0 : 1);
          });
        }
      }
    });

    it('should deposit once for a call however retryBackoff layers sharing its budget wrap it, or sit inside', () => {
      // The storm of spec/operators/retryBackoff.spec.ts is capped with a pipeline in the stack; here, counted.
      for (const inside of [false, true]) {
        const budget = new RetryBudget();
        const p = new ResiliencePipeline({ retry: { maxRetries: 1, initialDelay: 1, budget } });
        const layer = retryBackoff<never>({ maxRetries: 1, initialDelay: 1, budget });
        const scheduler = new TestScheduler(() => undefined);
        scheduler.run(({ cold }) => {
          const failing = cold<never>('-#', undefined, new Error('down'));
          (inside ? failing.pipe(layer, resilient(p)) : failing.pipe(resilient(p), layer)).subscribe({
            error: () => undefined,
          });
        });
        expect(budget.metrics(), inside ? 'inside' : 'around').to.include({
          totalDeposits: 1,
          totalWithdrawals: 3,
        });
      }
    });

    it('should deposit with maxRetries 0 too', () => {
      const budget = new RetryBudget();
      const p = new ResiliencePipeline({ retry: { maxRetries: 0, initialDelay: 1, budget } });
      of(1).pipe(resilient(p)).subscribe();
      expect(budget.metrics().totalDeposits).to.equal(1);
    });
  });

  describe('§2.7 rate limiter: next to the wire, per key', () => {
    it(
      "should take a permit for the call's key once the attempt has its slot, the attempt timeout after the wait",
      marbles((m) => {
        const limiter = new RateLimiter({ limit: 1, interval: 4, maxWait: 4, scheduler: m.scheduler });
        const p = new ResiliencePipeline({ rateLimiter: limiter, attemptTimeout: 3, scheduler: m.scheduler });
        // prettier-ignore
        const first = m.cold('--a|');
        const second = m.cold('  --b|');
        const other = m.cold('   -c|');
        m.expect(first.pipe(resilient(p, { key: 'alice' }))).toBeObservable('--a|');
        // The same key waits its turn (4 ms), then has its full 3 ms on the wire.
        m.expect(second.pipe(resilient(p, { key: 'alice' }))).toBeObservable('------b|');
        m.expect(second).toHaveSubscriptions('----^--!');
        // Another key is not held back.
        m.expect(other.pipe(resilient(p, { key: 'bob' }))).toBeObservable('-c|');
      }),
    );

    it(
      'should fail fast on a refusal by the rate limiter, without retrying it',
      marbles((m) => {
        const limiter = new RateLimiter({ limit: 1, interval: 10, scheduler: m.scheduler });
        const p = new ResiliencePipeline({
          rateLimiter: limiter,
          retry: { maxRetries: 3, initialDelay: 1 },
          scheduler: m.scheduler,
        });
        m.expect(m.cold('(a|)').pipe(resilient(p))).toBeObservable('(a|)');
        m.expect(m.cold('(b|)').pipe(resilient(p, { fallback: describeFailure })), '--^').toBeObservable(
          '--(f|)',
          { f: 'RateLimitedError after 0 attempt(s), 0 ms' },
        );
      }),
    );

    it(
      "should hold every call to the key after a 429 or 503 carrying retryAfter (penalize), not other keys'",
      marbles((m) => {
        const limiter = new RateLimiter({ limit: 10, interval: 10, maxWait: 20, scheduler: m.scheduler });
        const p = new ResiliencePipeline({ rateLimiter: limiter, scheduler: m.scheduler });
        const tooMany = new HttpStatusError({
          status: 429,
          statusText: 'Too Many Requests',
          url: 'http://127.0.0.1/',
          retryAfter: 5,
          body: '',
        });
        // prettier-ignore
        const throttled = m.cold('-#', undefined, tooMany);
        const next = m.cold('       (a|)');
        const other = m.cold('      (b|)');
        m.expect(throttled.pipe(resilient(p, { key: 'alice' }))).toBeObservable('-#', undefined, tooMany);
        // Penalized at 1 for 5 ms: alice's next call, made at 2, starts at 6.
        m.expect(next.pipe(resilient(p, { key: 'alice' })), '--^').toBeObservable('------(a|)');
        m.expect(next).toHaveSubscriptions('------(^!)');
        m.expect(other.pipe(resilient(p, { key: 'bob' })), '--^').toBeObservable('--(b|)');
        m.flush();
        expect(limiter.metrics()).to.include({ penalties: 1 });
      }),
    );
  });

  describe('§2.7 hedge: extra attempts of a slow call, instead of retries', () => {
    it('should start a long run of attempts that fail synchronously in a loop, as hedge does: the stack stays flat', function () {
      // 100 000 attempts, each building an Error with its stack: 1.5 to 3 s of CPU, more on a loaded machine.
      // Nothing here is timed.
      this.timeout(30_000);
      let subscribed = 0;
      const errors: unknown[] = [];
      const p = new ResiliencePipeline({
        hedge: { delay: 5, maxAttempts: 100_000, shouldHedge: () => true },
      });
      defer(() => throwError(() => new Error(`attempt ${++subscribed}`)))
        .pipe(resilient(p))
        .subscribe({ error: (e: unknown) => errors.push(e) });
      expect(subscribed).to.equal(100_000);
      expect(errors).to.deep.equal([new Error('attempt 100000')]);
    });

    it(
      'should start another attempt after delay, let the first to answer win and cut the others',
      marbles((m) => {
        const p = new ResiliencePipeline({ hedge: { delay: 2, maxAttempts: 3 }, scheduler: m.scheduler });
        // prettier-ignore
        const slow = m.cold('------a|');
        const fast = m.cold('  ---b|');
        const late = m.cold('    ------c|');
        const source = attemptsOf(slow, fast, late);
        m.expect(source.pipe(resilient(p))).toBeObservable('-----b|');
        m.expect(slow).toHaveSubscriptions('^----!');
        m.expect(fast).toHaveSubscriptions('--^---!');
        m.expect(late).toHaveSubscriptions('----^!');
      }),
    );

    it(
      "should make each hedged attempt a call of the breaker and a slot of the pool, and give back the losers'",
      marbles((m) => {
        const breaker = new CircuitBreaker({ scheduler: m.scheduler });
        const slots = pool(m.scheduler, { maxConcurrent: 2 });
        const p = new ResiliencePipeline({
          hedge: { delay: 1, maxAttempts: 2 },
          breaker,
          bulkhead: slots,
          scheduler: m.scheduler,
        });
        // prettier-ignore
        const slow = m.cold('-----a|');
        const fast = m.cold(' -b|');
        m.expect(attemptsOf(slow, fast).pipe(resilient(p))).toBeObservable('--b|');
        m.flush();
        // The loser was cut before any value: recorded as nothing; the winner is one success.
        expect(breaker.metrics()).to.include({ calls: 1, failures: 0, inFlight: 0 });
        expect(slots.metrics()).to.include({ active: 0, admitted: 2, released: 2 });
      }),
    );

    it(
      'should start the next attempt at once when one fails, and fail with the last error when none is left',
      marbles((m) => {
        const p = new ResiliencePipeline({ hedge: { delay: 10, maxAttempts: 2 }, scheduler: m.scheduler });
        const down = new Error('down');
        // prettier-ignore
        const first = m.cold('-#', undefined, down);
        const second = m.cold(' --#', undefined, down);
        m.expect(attemptsOf(first, second).pipe(resilient(p, { fallback: describeFailure }))).toBeObservable(
          '---(f|)',
          { f: 'Error after 2 attempt(s), 3 ms' },
        );
        m.expect(second).toHaveSubscriptions('-^-!');
      }),
    );
  });
});
