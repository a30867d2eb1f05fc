import { expect } from 'chai';
import {
  Observable,
  Subject,
  defer,
  identity,
  mergeMap,
  of,
  take,
  takeUntil,
  type ObservableInput,
} from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { BulkheadRejectedError } from '../../src/errors/BulkheadRejectedError';
import { CircuitOpenError } from '../../src/errors/CircuitOpenError';
import { HttpStatusError } from '../../src/errors/HttpStatusError';
import { InvalidConfigError } from '../../src/errors/InvalidConfigError';
import { TimeoutExceededError } from '../../src/errors/TimeoutExceededError';
import { RetryBudget } from '../../src/budget/RetryBudget';
import { hedge } from '../../src/operators/hedge';
import { retryBackoff, type RetryBackoffConfig } from '../../src/operators/retryBackoff';
import { ResiliencePipeline } from '../../src/pipeline/ResiliencePipeline';
import { resilient } from '../../src/pipeline/resilient';
import { captureError, captureThrow } from '../helpers/captureError';
import { countingScheduler } from '../helpers/countingScheduler';
import { firehose } from '../helpers/firehose';
import { marbles, type Context } from '../helpers/marbles';
import { seededRandom } from '../../src/chaos/seededRandom';

/** Each subscription gets the next observable of `attempts` (the last one repeats). */
function attemptsOf<T>(attempts: ReadonlyArray<ObservableInput<T>>): Observable<T> {
  let index = 0;
  return defer(() => attempts[Math.min(index++, attempts.length - 1)]!);
}

/** A `random` that returns the given draws in order, then fails the test if drawn again. */
function draws(...values: number[]): () => number {
  let index = 0;
  return () => {
    if (index >= values.length) throw new Error('random drawn more often than expected');
    return values[index++]!;
  };
}

/**
 * Subscribes to `source` in a fresh TestScheduler (cold('--#') attempts) and returns the frames at
 * which the attempts were subscribed, which are the cumulative retry delays.
 */
function subscribeFrames(config: RetryBackoffConfig, failure: unknown = '--#'): number[] {
  const scheduler = new TestScheduler(() => undefined);
  const frames: number[] = [];
  scheduler.run(({ cold }) => {
    // A marble string, or the error of attempts that fail 2 frames after they are subscribed.
    const attempt = typeof failure === 'string' ? cold(failure) : cold('--#', undefined, failure);
    defer(() => {
      frames.push(scheduler.now());
      return attempt;
    })
      .pipe(retryBackoff(config))
      .subscribe({ error: () => undefined });
  });
  return frames;
}

describe('retryBackoff', () => {
  describe('retries', () => {
    it(
      'should resubscribe after exponential delays, then re-emit the error (DESIGN 2.3)',
      marbles((m) => {
        // prettier-ignore
        const source = m.cold('--#');
        const subs = ['        ^-!', '        ---^-!', '        -------^-!'];
        const expected = '     ---------#';
        const result = source.pipe(retryBackoff({ maxRetries: 2, initialDelay: 1, jitter: 'none' }));
        m.expect(result).toBeObservable(expected);
        m.expect(source).toHaveSubscriptions(subs);
      }),
    );

    it(
      'should deliver what a later attempt gives once one succeeds',
      marbles((m) => {
        // prettier-ignore
        const first = m.cold('  --#');
        const second = m.cold(' -#');
        const third = m.cold('  -a|');
        const firstSubs = '     ^-!';
        const secondSubs = '    ----^!';
        const thirdSubs = '     ---------^-!';
        const expected = '      ----------a|';
        const result = attemptsOf([first, second, third]).pipe(
          retryBackoff({ maxRetries: 3, initialDelay: 2, jitter: 'none' }),
        );
        m.expect(result).toBeObservable(expected);
        m.expect(first).toHaveSubscriptions(firstSubs);
        m.expect(second).toHaveSubscriptions(secondSubs);
        m.expect(third).toHaveSubscriptions(thirdSubs);
      }),
    );

    it('should re-emit the original error object when the retries run out', () => {
      const original = new Error('down');
      const error = captureError((s) =>
        s
          .createColdObservable('--#', undefined, original)
          .pipe(retryBackoff({ maxRetries: 2, initialDelay: 1, scheduler: s })),
      );
      expect(error).to.equal(original);
    });

    it('should cap delays at maxDelay', () => {
      const config = { maxRetries: 4, initialDelay: 1, maxDelay: 3, jitter: 'none' } as const;
      // delays 1, 2, 3, 3 between an error (2 frames after each subscribe) and the next subscribe
      expect(subscribeFrames(config)).to.deep.equal([0, 3, 7, 12, 17]);
    });

    it('should use multiplier', () => {
      const config = { maxRetries: 3, initialDelay: 1, multiplier: 3, jitter: 'none' } as const;
      expect(subscribeFrames(config)).to.deep.equal([0, 3, 8, 19]);
    });

    it('should cap a delay longer than a real timer can hold at 2^31 - 1 ms', () => {
      const scheduler = new TestScheduler(() => undefined);
      scheduler.run(({ cold }) => {
        const counting = countingScheduler(scheduler);
        cold('#')
          .pipe(retryBackoff({ maxRetries: 2, initialDelay: 2 ** 31, jitter: 'none', scheduler: counting }))
          .subscribe({ error: () => undefined });
        scheduler.flush();
        expect(counting.calls.map((call) => call.delay)).to.deep.equal([2 ** 31 - 1, 2 ** 31 - 1]);
      });
    });

    it('should never wait a NaN delay: initialDelay 0 keeps retrying at once past retry 1024', () => {
      const frames = subscribeFrames({ maxRetries: 1100, initialDelay: 0, jitter: 'none' });
      expect(frames).to.have.length(1101);
      expect(frames[1100]).to.equal(2200);
    });

    it('should never wait a NaN delay: a zero draw of an overflowed delay is no delay', () => {
      const frames = subscribeFrames({ maxRetries: 1100, initialDelay: 1, random: () => 0 });
      expect(frames).to.have.length(1101);
      expect(frames[1100]).to.equal(2200);
    });

    it('should keep one timer for many calls waiting to retry', () => {
      const scheduler = new TestScheduler(() => undefined);
      scheduler.run(({ cold }) => {
        const counting = countingScheduler(scheduler);
        const attempt = cold('--#');
        const errors: number[] = [];
        for (let i = 0; i < 100; i++) {
          attempt
            .pipe(retryBackoff({ maxRetries: 2, initialDelay: 10, jitter: 'none', scheduler: counting }))
            .subscribe({ error: () => errors.push(scheduler.now()) });
        }
        scheduler.flush();
        expect(errors).to.have.length(100);
        expect(new Set(errors)).to.deep.equal(new Set([36]));
        expect(counting.calls).to.have.length(2);
      });
    });

    it(
      'should leave the source as it is with maxRetries 0',
      marbles((m) => {
        expect(retryBackoff({ maxRetries: 0, initialDelay: 10 })).to.equal(identity);
        // prettier-ignore
        const source = m.cold('--#');
        const subs = '         ^-!';
        const expected = '     --#';
        m.expect(source.pipe(retryBackoff({ maxRetries: 0, initialDelay: 10 }))).toBeObservable(expected);
        m.expect(source).toHaveSubscriptions(subs);
      }),
    );
  });

  describe('jitter', () => {
    it('should draw full jitter as random() * d', () => {
      const config = {
        maxRetries: 3,
        initialDelay: 10,
        random: draws(0.5, 0.25, 0.75),
        jitter: 'full',
      } as const;
      // delays 5, 5, 30
      expect(subscribeFrames(config)).to.deep.equal([0, 7, 14, 46]);
    });

    it('should use full jitter by default', () => {
      const config = { maxRetries: 3, initialDelay: 10, random: draws(0.5, 0.25, 0.75) };
      expect(subscribeFrames(config)).to.deep.equal([0, 7, 14, 46]);
    });

    it('should draw equal jitter as d/2 + random() * d/2', () => {
      const config = { maxRetries: 2, initialDelay: 10, random: draws(0, 0.5), jitter: 'equal' } as const;
      // delays 5, 15
      expect(subscribeFrames(config)).to.deep.equal([0, 7, 24]);
    });

    it('should draw decorrelated jitter from the previous delay, capped at maxDelay', () => {
      const random = draws(0.5, 0.5, 0.5);
      const config = {
        maxRetries: 3,
        initialDelay: 10,
        maxDelay: 30,
        random,
        jitter: 'decorrelated',
      } as const;
      // 10 + 0.5 * (30 - 10) = 20; 10 + 0.5 * (60 - 10) = 35 -> 30; 10 + 0.5 * (90 - 10) = 50 -> 30
      expect(subscribeFrames(config)).to.deep.equal([0, 22, 54, 86]);
    });

    it('should keep the decorrelated sequence of each subscription apart', () => {
      const scheduler = new TestScheduler(() => undefined);
      const erroredAt: Record<string, number> = {};
      scheduler.run(({ cold }) => {
        const source = cold('--#').pipe(
          retryBackoff({
            maxRetries: 2,
            initialDelay: 10,
            jitter: 'decorrelated',
            // A retry 1 at 2 (20), B retry 1 at 5 (10), B retry 2 at 17 (10), A retry 2 at 24
            random: draws(0.5, 0, 0, 0.5),
          }),
        );
        source.subscribe({ error: () => (erroredAt['A'] = scheduler.now()) });
        scheduler.schedule(() => source.subscribe({ error: () => (erroredAt['B'] = scheduler.now()) }), 3);
      });
      // A's retry 2 grows from its own previous 20 (35), not from B's 10 (which would give 20).
      expect(erroredAt).to.deep.equal({ A: 61, B: 29 });
    });

    it('should give the same delays for the same seed, for every strategy', () => {
      for (const jitter of ['full', 'equal', 'decorrelated'] as const) {
        const run = (seed: number): number[] =>
          subscribeFrames({ maxRetries: 5, initialDelay: 100, jitter, random: seededRandom(seed) });
        expect(run(5), jitter).to.deep.equal(run(5));
        expect(run(5), jitter).to.not.deep.equal(run(6));
      }
    });

    it('should error the stream when random() returns a number outside [0, 1)', () => {
      for (const bad of [1, -0.1, NaN]) {
        const error = captureError((s) =>
          s
            .createColdObservable('--#')
            .pipe(retryBackoff({ maxRetries: 2, initialDelay: 10, random: () => bad })),
        );
        expect(error).to.be.instanceOf(RangeError);
        expect((error as Error).message).to.equal(
          `retryBackoff: random() must return a number in [0, 1), got ${String(bad)} (number)`,
        );
      }
    });
  });

  describe('shouldRetry', () => {
    it(
      'should re-emit the error at once when shouldRetry says no',
      marbles((m) => {
        // prettier-ignore
        const source = m.cold('--#', undefined, new Error('fatal'));
        const subs = '         ^-!';
        const expected = '     --#';
        const result = source.pipe(
          retryBackoff({ maxRetries: 3, initialDelay: 1, shouldRetry: () => false }),
        );
        m.expect(result).toBeObservable(expected, undefined, new Error('fatal'));
        m.expect(source).toHaveSubscriptions(subs);
      }),
    );

    it('should ask with the error and the retry number, and never after the last retry', () => {
      const asked: Array<[unknown, number]> = [];
      const original = new Error('flaky');
      const error = captureError((s) =>
        s.createColdObservable('--#', undefined, original).pipe(
          retryBackoff({
            maxRetries: 2,
            initialDelay: 1,
            shouldRetry: (e, n) => {
              asked.push([e, n]);
              return true;
            },
          }),
        ),
      );
      expect(asked).to.deep.equal([
        [original, 1],
        [original, 2],
      ]);
      expect(asked[0]![0]).to.equal(original);
      expect(error).to.equal(original);
    });

    it('should retry only the errors shouldRetry accepts', () => {
      const transient = new Error('503');
      const fatal = new Error('404');
      const frames: number[] = [];
      const error = captureError((s) =>
        attemptsOf([
          s.createColdObservable('-#', undefined, transient),
          s.createColdObservable('-#', undefined, fatal),
        ]).pipe(
          retryBackoff({
            maxRetries: 5,
            initialDelay: 1,
            jitter: 'none',
            shouldRetry: (e) => {
              frames.push(s.now());
              return e === transient;
            },
          }),
        ),
      );
      expect(error).to.equal(fatal);
      expect(frames).to.deep.equal([1, 3]);
    });

    it(
      'should error the stream with what shouldRetry throws',
      marbles((m) => {
        // prettier-ignore
        const source = m.cold('--#');
        const subs = '         ^-!';
        const expected = '     --#';
        const result = source.pipe(
          retryBackoff({
            maxRetries: 3,
            initialDelay: 1,
            shouldRetry: () => {
              throw new Error('predicate failed');
            },
          }),
        );
        m.expect(result).toBeObservable(expected, undefined, new Error('predicate failed'));
        m.expect(source).toHaveSubscriptions(subs);
      }),
    );
  });

  describe('defaults of DESIGN 2.1 and 2.3: isTransient, retryAfter', () => {
    const http = (status: number, retryAfter?: number): HttpStatusError =>
      new HttpStatusError({ status, statusText: '', url: 'http://127.0.0.1/', retryAfter, body: '' });

    it('should fail fast on a refusal or a 4xx by default, and retry a 503, a 429 and a timeout', () => {
      const refusals: unknown[] = [
        new BulkheadRejectedError({
          bulkhead: 'b',
          reason: 'full',
          active: 1,
          maxConcurrent: 1,
          queued: 0,
          maxQueued: 0,
        }),
        new CircuitOpenError({ breaker: 'c', state: 'open', retryAfter: 5 }),
        http(404),
        http(400),
      ];
      const transient: unknown[] = [
        http(503),
        http(429),
        http(408),
        new TimeoutExceededError({ limit: 'total', after: 1, seen: 0, meta: undefined }),
        new Error('unknown'),
      ];
      for (const [errors, attempts] of [
        [refusals, 1],
        [transient, 3],
      ] as const) {
        for (const error of errors) {
          const frames = subscribeFrames({ maxRetries: 2, initialDelay: 1, jitter: 'none' }, error);
          expect(frames, String(error)).to.have.length(attempts);
        }
      }
    });

    it("should wait at least the error's retryAfter, which maxDelay does not cap", () => {
      const config = { maxRetries: 2, initialDelay: 1, maxDelay: 4, jitter: 'none' } as const;
      // attempts fail 2 frames after each subscribe: delays max(1, 50) then max(2, 50)
      expect(subscribeFrames(config, http(503, 50))).to.deep.equal([0, 52, 104]);
      // a retryAfter shorter than the computed delay changes nothing
      expect(subscribeFrames(config, http(503, 0))).to.deep.equal([0, 3, 7]);
    });

    it('should ignore a retryAfter that is not a finite number', () => {
      const config = { maxRetries: 1, initialDelay: 3, jitter: 'none' } as const;
      for (const retryAfter of [undefined, Infinity, NaN, '50']) {
        const error = Object.assign(new Error('x'), { info: { retryAfter } });
        expect(subscribeFrames(config, error), String(retryAfter)).to.deep.equal([0, 5]);
      }
    });

    it('should refuse a maxDelay below initialDelay with InvalidConfigError', () => {
      const error = captureThrow(() => retryBackoff({ maxRetries: 3, initialDelay: 100, maxDelay: 50 }));
      expect(error).to.be.instanceOf(InvalidConfigError);
      expect((error as Error).message).to.equal(
        'retryBackoff: invalid config: `maxDelay` must be at least `initialDelay` (100), got 50 (number)',
      );
      expect(() => retryBackoff({ maxRetries: 3, initialDelay: 100, maxDelay: 100 })).not.to.throw();
    });
  });

  describe('budget (DESIGN 2.10)', () => {
    it(
      'should deposit once per subscription and withdraw each retry it makes',
      marbles((m) => {
        const budget = new RetryBudget({ minRetriesPerSecond: 0, percentCanRetry: 1 });
        // prettier-ignore
        const source = m.cold('--#');
        const result = source.pipe(retryBackoff({ maxRetries: 1, initialDelay: 1, jitter: 'none', budget }));
        m.expect(result).toBeObservable('-----#');
        m.expect(source).toHaveSubscriptions(['^-!', '---^-!']);
        m.flush();
        expect(budget.metrics()).to.include({ totalDeposits: 1, totalWithdrawals: 1, totalRefusals: 0 });
      }),
    );

    it(
      'should not make a retry the budget refuses: the error is re-emitted at once',
      marbles((m) => {
        // One call deposits 1000 tokens, a retry costs 2000: no retry, and no delay before the error.
        const budget = new RetryBudget({ minRetriesPerSecond: 0, percentCanRetry: 0.5 });
        // prettier-ignore
        const source = m.cold('--#', undefined, new Error('down'));
        const result = source.pipe(retryBackoff({ maxRetries: 3, initialDelay: 5, jitter: 'none', budget }));
        m.expect(result).toBeObservable('--#', undefined, new Error('down'));
        m.expect(source).toHaveSubscriptions(['^-!']);
        m.flush();
        expect(budget.metrics()).to.include({ totalDeposits: 1, totalWithdrawals: 0, totalRefusals: 1 });
      }),
    );

    it(
      'should share one budget between calls: a retry allowed to one is refused to the next',
      marbles((m) => {
        const budget = new RetryBudget({ minRetriesPerSecond: 0, percentCanRetry: 0.5 });
        // prettier-ignore
        const source = m.cold('-#');
        const call = source.pipe(retryBackoff({ maxRetries: 1, initialDelay: 1, jitter: 'none', budget }));
        // Two calls deposit 2000 tokens: one retry of 2000. The first to fail takes it.
        m.expect(call).toBeObservable('---#');
        m.expect(call).toBeObservable('-#');
        m.expect(source).toHaveSubscriptions(['^!', '^!', '--^!']);
      }),
    );

    it('should ask the budget only for retries it would make (not after shouldRetry says no, nor past maxRetries)', () => {
      const budget = new RetryBudget({ percentCanRetry: 1000 });
      subscribeFrames({ maxRetries: 2, initialDelay: 1, jitter: 'none', budget });
      expect(budget.metrics()).to.include({ totalDeposits: 1, totalWithdrawals: 2, totalRefusals: 0 });
      subscribeFrames({ maxRetries: 2, initialDelay: 1, budget, shouldRetry: () => false });
      expect(budget.metrics()).to.include({ totalDeposits: 2, totalWithdrawals: 2, totalRefusals: 0 });
    });

    it('should deposit with maxRetries 0 too, and with every jitter', () => {
      const budget = new RetryBudget();
      subscribeFrames({ maxRetries: 0, initialDelay: 1, budget });
      subscribeFrames({ maxRetries: 1, initialDelay: 1, jitter: 'decorrelated', random: () => 0.5, budget });
      expect(budget.metrics()).to.include({ totalDeposits: 2, totalWithdrawals: 1 });
    });

    it('should never subscribe the source of a call an observer of the budget cancels at its deposit', () => {
      for (const maxRetries of [0, 2]) {
        const budget = new RetryBudget();
        let subscribed = 0;
        const cancel = new Subject<void>();
        budget.events$.subscribe((e) => {
          if (e.type === 'deposited') cancel.next();
        });
        defer(() => {
          subscribed++;
          return of(1);
        })
          .pipe(retryBackoff({ maxRetries, initialDelay: 1, budget }), takeUntil(cancel))
          .subscribe();
        expect(subscribed, `maxRetries ${maxRetries}`).to.equal(0);
      }
    });

    it('should cap a storm: 1 000 failing calls with 3 retries each send at most 1 000 x 1.2 + the reserve requests', () => {
      /** Requests sent by 1 000 calls, one every ms, to a dependency that always fails. */
      const storm = (budget: RetryBudget | undefined): number => {
        const scheduler = new TestScheduler(() => undefined);
        let requests = 0;
        scheduler.run(({ cold }) => {
          const failing = cold('-#', undefined, new Error('503'));
          const call = defer(() => {
            requests++;
            return failing;
          }).pipe(retryBackoff({ maxRetries: 3, initialDelay: 10, random: seededRandom(3), budget }));
          for (let i = 0; i < 1000; i++)
            scheduler.schedule(() => call.subscribe({ error: () => undefined }), i);
        });
        return requests;
      };
      const budget = new RetryBudget(); // Finagle's defaults: 20%, and a reserve of 10 per second over 10 s
      const capped = storm(budget);
      const reserve = budget.metrics().reserve;
      expect(reserve).to.equal(100);
      expect(storm(undefined), 'without a budget: every retry is sent').to.equal(4000);
      expect(capped).to.be.at.most(1000 * 1.2 + reserve);
      expect(capped, 'the budget is used, not merely never asked').to.be.at.least(1000 * 1.2);
      expect(budget.metrics()).to.include({ totalDeposits: 1000, totalWithdrawals: capped - 1000 });
    });
  });

  describe('layers sharing one budget (DESIGN 2.10: capped whatever the number of layers)', () => {
    type Layer = (call: Observable<unknown>, budget: RetryBudget | undefined) => Observable<unknown>;
    const retrying: Layer = (call, budget) =>
      call.pipe(retryBackoff({ maxRetries: 3, initialDelay: 10, jitter: 'none', budget }));
    const hedging: Layer = (call, budget) =>
      call.pipe(hedge({ delay: 0.5, maxAttempts: 3, shouldHedge: () => true, budget }));
    const piped: Layer = (call, budget) =>
      call.pipe(
        resilient(
          new ResiliencePipeline({ retry: { maxRetries: 3, initialDelay: 10, jitter: 'none', budget } }),
        ),
      );

    /** Requests sent by 1 000 calls, one every ms, through `layers` (innermost first) to a failing dependency. */
    const storm = (layers: Layer[], budget: RetryBudget | undefined): number => {
      const scheduler = new TestScheduler(() => undefined);
      let requests = 0;
      scheduler.run(({ cold }) => {
        const failing = cold('-#', undefined, new Error('503'));
        let call: Observable<unknown> = defer(() => {
          requests++;
          return failing;
        });
        for (const layer of layers) call = layer(call, budget);
        for (let i = 0; i < 1000; i++)
          scheduler.schedule(() => call.subscribe({ error: () => undefined }), i);
      });
      return requests;
    };

    it('should count a call once however many layers retry it: at most 1 000 x 1.2 + the reserve requests', function () {
      // Twelve storms in virtual time, up to 64 000 requests each: about 1.5 s of CPU alone, 4 s or more on a
      // loaded machine, so more than mocha's default 5 s. Nothing here is timed.
      this.timeout(30_000);
      const stacks: Array<[string, Layer[], number]> = [
        ['retryBackoff in retryBackoff', [retrying, retrying], 16_000],
        ['three retryBackoff layers', [retrying, retrying, retrying], 64_000],
        ['hedge in retryBackoff', [hedging, retrying], 12_000],
        ['retryBackoff in hedge', [retrying, hedging], 12_000],
        ['a pipeline in retryBackoff', [piped, retrying], 16_000],
        ['retryBackoff in a pipeline', [retrying, piped], 16_000],
      ];
      for (const [name, layers, unbudgeted] of stacks) {
        const budget = new RetryBudget();
        const capped = storm(layers, budget);
        expect(storm(layers, undefined), `${name}, without a budget`).to.equal(unbudgeted);
        expect(capped, name).to.be.at.most(1000 * 1.2 + 100);
        expect(capped, `${name}: the budget is used`).to.be.at.least(1000 * 1.2);
        expect(budget.metrics(), name).to.include({ totalDeposits: 1000, totalWithdrawals: capped - 1000 });
      }
    });

    it('should let a call made downstream of a synchronous value deposit as a call of its own', () => {
      const budget = new RetryBudget();
      of(1, 2, 3)
        .pipe(
          retryBackoff({ maxRetries: 1, initialDelay: 1, budget }),
          mergeMap((id) => of(id).pipe(retryBackoff({ maxRetries: 1, initialDelay: 1, budget }))),
        )
        .subscribe();
      expect(budget.metrics().totalDeposits).to.equal(4);
      const shared = new RetryBudget();
      const pipeline = new ResiliencePipeline({ retry: { maxRetries: 1, initialDelay: 1, budget: shared } });
      of(1, 2, 3)
        .pipe(
          resilient(pipeline),
          mergeMap((id) => of(id).pipe(retryBackoff({ maxRetries: 1, initialDelay: 1, budget: shared }))),
        )
        .subscribe();
      expect(shared.metrics().totalDeposits, 'downstream of a pipeline').to.equal(4);
    });
  });

  describe('resetOnSuccess', () => {
    const attempts = (m: Context): Observable<string> =>
      attemptsOf([m.cold('-a#'), m.cold('-a#'), m.cold('-#')]);

    it(
      'should start the retry count and the backoff again after a value',
      marbles((m) => {
        // retry 1 after each value (delay 1 each time), then retry 1 and 2 of the last run
        const expected = '-a--a--#';
        const asked: number[] = [];
        const result = attempts(m).pipe(
          retryBackoff({
            maxRetries: 1,
            initialDelay: 1,
            jitter: 'none',
            resetOnSuccess: true,
            shouldRetry: (_e, n) => asked.push(n) > 0,
          }),
        );
        m.expect(result).toBeObservable(expected);
        m.flush();
        expect(asked).to.deep.equal([1, 1]);
      }),
    );

    it('should restart the decorrelated sequence from initialDelay after a value', () => {
      const scheduler = new TestScheduler(() => undefined);
      const frames: number[] = [];
      scheduler.run(({ cold }) => {
        const runs = [cold('--#'), cold('-a#'), cold('-#')];
        defer(() => runs[frames.push(scheduler.now()) - 1]!)
          .pipe(
            retryBackoff({
              maxRetries: 1,
              initialDelay: 10,
              jitter: 'decorrelated',
              resetOnSuccess: true,
              random: draws(0.5, 0.5),
            }),
          )
          .subscribe({ error: () => undefined });
      });
      // both retries are "retry 1": 10 + 0.5 * (30 - 10) = 20 each (not 35 from the previous 20)
      expect(frames).to.deep.equal([0, 22, 44]);
    });

    it(
      'should keep counting across values by default',
      marbles((m) => {
        const expected = '-a--a#';
        const result = attempts(m).pipe(retryBackoff({ maxRetries: 1, initialDelay: 1, jitter: 'none' }));
        m.expect(result).toBeObservable(expected);
      }),
    );
  });

  describe('standard battery', () => {
    for (const jitter of ['none', 'decorrelated'] as const) {
      it(
        `should neither wait nor resubscribe when shouldRetry cancels the call (jitter: ${jitter})`,
        marbles((m) => {
          const cancel = new Subject<void>();
          // prettier-ignore
          const source = m.cold('-#');
          const result = source.pipe(
            retryBackoff({
              maxRetries: 3,
              initialDelay: 2,
              jitter,
              random: () => 0.5,
              scheduler: m.scheduler,
              shouldRetry: () => {
                cancel.next(); // the caller leaves while the retry is decided
                return true;
              },
            }),
            takeUntil(cancel),
          );
          m.expect(result).toBeObservable('-|');
          m.expect(source).toHaveSubscriptions('^!');
          m.flush();
          expect(m.scheduler.actions).to.have.length(0);
        }),
      );
    }

    it(
      'should pass values and completion through',
      marbles((m) => {
        // prettier-ignore
        const source = m.cold('-a-b|');
        const subs = '         ^---!';
        const expected = '     -a-b|';
        m.expect(source.pipe(retryBackoff({ maxRetries: 3, initialDelay: 5 }))).toBeObservable(expected);
        m.expect(source).toHaveSubscriptions(subs);
      }),
    );

    it(
      'should pass foreign errors through once the retries are spent',
      marbles((m) => {
        // prettier-ignore
        const source = m.cold('-a#', undefined, new Error('upstream'));
        const subs = ['        ^-!', '        ---^-!'];
        const expected = '     -a--a#';
        const result = source.pipe(retryBackoff({ maxRetries: 1, initialDelay: 1, jitter: 'none' }));
        m.expect(result).toBeObservable(expected, undefined, new Error('upstream'));
        m.expect(source).toHaveSubscriptions(subs);
      }),
    );

    it(
      'should cancel the source and a pending delay on early unsubscribe',
      marbles((m) => {
        const counting = countingScheduler(m.scheduler);
        // prettier-ignore
        const source = m.cold('--#');
        const unsub = '        ^----!';
        const subs = '         ^-!';
        const expected = '     -----';
        const result = source.pipe(
          retryBackoff({ maxRetries: 3, initialDelay: 10, jitter: 'none', scheduler: counting }),
        );
        m.expect(result, unsub).toBeObservable(expected);
        m.expect(source).toHaveSubscriptions(subs);
        m.flush();
        expect(counting.calls).to.have.length(1);
        expect(counting.calls[0]!.action.closed).to.equal(true);
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
          retryBackoff({ maxRetries: 2, initialDelay: 1 }),
          mergeMap((x) => of(x)),
        );
        m.expect(result, unsub).toBeObservable(expected);
        m.expect(source).toHaveSubscriptions(subs);
      }),
    );

    it('should stop a synchronous source under take(n)', () => {
      for (const jitter of ['full', 'decorrelated'] as const) {
        const emitted: number[] = [];
        const seen: number[] = [];
        firehose(1000, emitted)
          .pipe(retryBackoff({ maxRetries: 3, initialDelay: 10, jitter }), take(3))
          .subscribe((v) => seen.push(v));
        expect(seen, jitter).to.deep.equal([0, 1, 2]);
        expect(emitted, jitter).to.deep.equal([0, 1, 2]);
      }
    });

    it(
      'should keep two subscriptions independent',
      marbles((m) => {
        // prettier-ignore
        const source = m.cold('--#');
        const result = source.pipe(retryBackoff({ maxRetries: 1, initialDelay: 2, jitter: 'none' }));
        const first = '        ------#';
        const second = '       ---------#';
        m.expect(result).toBeObservable(first);
        m.expect(result, '---^').toBeObservable(second);
        m.expect(source).toHaveSubscriptions(['^-!', '---^-!', '----^-!', '-------^-!']);
      }),
    );

    it('should run on an explicit scheduler', () => {
      // Outside `run`, the default asyncScheduler is real: only the given scheduler makes this virtual.
      const scheduler = new TestScheduler(() => undefined);
      const subscribedAt: number[] = [];
      let erroredAt = -1;
      defer(() => {
        subscribedAt.push(scheduler.now());
        return scheduler.createColdObservable('--#');
      })
        .pipe(retryBackoff({ maxRetries: 2, initialDelay: 10, jitter: 'none', scheduler }))
        .subscribe({ error: () => (erroredAt = scheduler.now()) });
      scheduler.flush();
      expect(subscribedAt).to.deep.equal([0, 30, 70]);
      expect(erroredAt).to.equal(90);
    });

    it('should throw InvalidConfigError with its exact message for a bad config', () => {
      const cases: Array<[unknown, string]> = [
        [
          { maxRetries: -1, initialDelay: 10 },
          'retryBackoff: invalid config: `maxRetries` must be a non-negative integer, got -1 (number)',
        ],
        [
          { maxRetries: 3 },
          'retryBackoff: invalid config: `initialDelay` must be a finite non-negative number of milliseconds, got undefined',
        ],
        [
          { maxRetries: 3, initialDelay: Infinity },
          'retryBackoff: invalid config: `initialDelay` must be a finite non-negative number of milliseconds, got Infinity (number)',
        ],
        [
          { maxRetries: 3, initialDelay: 10, multiplier: 0.5, jitter: 'random', maxDelay: -1 },
          "retryBackoff: invalid config: `maxDelay` must be a non-negative number of milliseconds, got -1 (number); `multiplier` must be a finite number >= 1, got 0.5 (number); `jitter` must be 'none' | 'full' | 'equal' | 'decorrelated', got \"random\" (string)",
        ],
        [
          {
            maxRetries: 3,
            initialDelay: 10,
            shouldRetry: true,
            resetOnSuccess: 1,
            random: 0.5,
            scheduler: null,
          },
          'retryBackoff: invalid config: `shouldRetry` must be a function, got true (boolean); `resetOnSuccess` must be a boolean, got 1 (number); `random` must be a function, got 0.5 (number); `scheduler` must be a SchedulerLike (an object with now() and schedule()), got null',
        ],
        [
          { maxRetries: 3, initialDelay: 10, retries: 3 },
          'retryBackoff: invalid config: unknown option `retries`: expected one of the known options (`maxRetries`, `initialDelay`, `maxDelay`, `multiplier`, `jitter`, `shouldRetry`, `resetOnSuccess`, `budget`, `random`, `scheduler`), got 3 (number)',
        ],
        [
          { maxRetries: 3, initialDelay: 10, budget: { tryWithdraw: () => true } },
          'retryBackoff: invalid config: `budget` must be a RetryBudget (new RetryBudget({ ... })), got {} (object)',
        ],
        [3, 'retryBackoff: invalid config: config must be an object, got 3 (number)'],
      ];
      for (const [config, message] of cases) {
        const error = captureThrow(() => retryBackoff(config as RetryBackoffConfig));
        expect(error).to.be.instanceOf(InvalidConfigError);
        expect((error as Error).message).to.equal(message);
      }
    });
  });
});
