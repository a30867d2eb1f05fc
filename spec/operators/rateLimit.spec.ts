import { expect } from 'chai';
import {
  Observable,
  Subject,
  asyncScheduler,
  takeUntil,
  defer,
  mergeMap,
  of,
  retry,
  take,
  timer,
  map,
} from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { InvalidConfigError } from '../../src/errors/InvalidConfigError';
import { RateLimitedError, isRateLimitedError } from '../../src/errors/RateLimitedError';
import { RateLimiter, type RateLimiterConfig } from '../../src/limiter/RateLimiter';
import type { RateLimiterEvent } from '../../src/limiter/RateLimiterEvent';
import type { RateLimitAnswer, RateLimitRule, RateLimitStore } from '../../src/limiter/RateLimitStore';
import { MemoryRateLimitStore } from '../../src/limiter/MemoryRateLimitStore';
import { rateLimit } from '../../src/operators/rateLimit';
import { captureError, captureThrow } from '../helpers/captureError';
import { countingScheduler } from '../helpers/countingScheduler';
import { firehose } from '../helpers/firehose';
import { marbles } from '../helpers/marbles';

const refused = (retryAfter: number, key = '', limiter = 'rateLimiter'): RateLimitedError =>
  new RateLimitedError({ limiter, key, retryAfter });

/** One permit per 2 ms unless told otherwise. */
const limiterOf = (config: Partial<RateLimiterConfig> = {}): RateLimiter =>
  new RateLimiter({ limit: 1, interval: 2, ...config });

/** A store that answers what the memory store would, `latency` frames later (an asynchronous store). */
function laggingStore(latency: number): RateLimitStore & { asked: number } {
  const memory = new MemoryRateLimitStore();
  const store = {
    asked: 0,
    acquire(key: string, cost: number, rule: RateLimitRule, now: number): Observable<RateLimitAnswer> {
      store.asked++;
      return timer(latency).pipe(map(() => memory.acquire(key, cost, rule, now + latency)));
    },
    penalize(key: string, ms: number, rule: RateLimitRule, now: number): void {
      memory.penalize(key, ms, rule, now);
    },
  };
  return store;
}

describe('rateLimit', () => {
  describe('standard battery', () => {
    it(
      'should pass values and completion through when a permit is free',
      marbles((m) => {
        const limiter = limiterOf();
        // prettier-ignore
        const source = m.cold('-a-b-|');
        const subs = '         ^----!';
        const expected = '     -a-b-|';
        m.expect(source.pipe(rateLimit(limiter))).toBeObservable(expected);
        m.expect(source).toHaveSubscriptions(subs);
      }),
    );

    it(
      'should pass foreign errors through untouched',
      marbles((m) => {
        const limiter = limiterOf();
        // prettier-ignore
        const source = m.cold('-a-#', undefined, new TypeError('upstream'));
        const expected = '     -a-#';
        m.expect(source.pipe(rateLimit(limiter))).toBeObservable(
          expected,
          undefined,
          new TypeError('upstream'),
        );
      }),
    );

    it(
      'should unsubscribe the source on early unsubscribe',
      marbles((m) => {
        const limiter = limiterOf();
        // prettier-ignore
        const source = m.cold('-a-b-c|');
        const unsub = '        ^--!';
        const subs = '         ^--!';
        m.expect(source.pipe(rateLimit(limiter)), unsub).toBeObservable('-a-');
        m.expect(source).toHaveSubscriptions(subs);
      }),
    );

    it(
      'should cancel the wait of a waiting call on early unsubscribe, so it never starts',
      marbles((m) => {
        const limiter = limiterOf({ maxWait: 10 });
        const clock = countingScheduler(m.scheduler);
        const counted = new RateLimiter({ limit: 1, interval: 4, maxWait: 10, scheduler: clock });
        // prettier-ignore
        const first = m.cold('(a|)');
        const waiting = m.cold('(b|)');
        const leave = '         ^-!';
        m.expect(first.pipe(rateLimit(counted))).toBeObservable('(a|)');
        m.expect(waiting.pipe(rateLimit(counted)), leave).toBeObservable('--');
        m.expect(waiting).toHaveSubscriptions([]);
        m.flush();
        expect(clock.calls.map((c) => [c.delay, c.action.closed])).to.deep.equal([[4, true]]);
        expect(counted.metrics()).to.include({ delayed: 1, abandoned: 1, waiting: 0, started: 0 });
        expect(limiter.metrics().calls).to.equal(0);
      }),
    );

    it(
      'should not break unsubscription chains (mergeMap sandwich)',
      marbles((m) => {
        const limiter = limiterOf();
        // prettier-ignore
        const source = m.cold('-a-b-c-|');
        const unsub = '        ^---!';
        const subs = '         ^---!';
        const result = source.pipe(
          mergeMap((x) => of(x)),
          rateLimit(limiter),
          mergeMap((x) => of(x)),
        );
        m.expect(result, unsub).toBeObservable('-a-b');
        m.expect(source).toHaveSubscriptions(subs);
      }),
    );

    it('should stop a synchronous source when take(n) unsubscribes', () => {
      const limiter = limiterOf();
      const emitted: number[] = [];
      const seen: number[] = [];
      firehose(1000, emitted)
        .pipe(rateLimit(limiter), take(3))
        .subscribe((v) => seen.push(v));
      expect(seen).to.deep.equal([0, 1, 2]);
      expect(emitted).to.deep.equal([0, 1, 2]);
    });

    it(
      'should error the call when the source throws while subscribing',
      marbles((m) => {
        const limiter = limiterOf();
        const boom = defer((): Observable<string> => {
          throw new Error('boom');
        });
        m.expect(boom.pipe(rateLimit(limiter))).toBeObservable('#', undefined, new Error('boom'));
      }),
    );

    it(
      'should error the call when the store throws, without counting it as admitted',
      marbles((m) => {
        const store: RateLimitStore = {
          acquire: () => {
            throw new Error('store down');
          },
          penalize: () => undefined,
        };
        const limiter = limiterOf({ store });
        // prettier-ignore
        const source = m.cold('(a|)');
        m.expect(source.pipe(rateLimit(limiter))).toBeObservable('#', undefined, new Error('store down'));
        m.expect(source).toHaveSubscriptions([]);
        m.flush();
        expect(limiter.metrics()).to.include({ calls: 1, admitted: 0, failed: 1 });
      }),
    );

    it(
      'should count two subscriptions as two independent calls',
      marbles((m) => {
        const limiter = limiterOf({ maxWait: 2 });
        // prettier-ignore
        const source = m.cold('(a|)');
        const call = source.pipe(rateLimit(limiter));
        m.expect(call).toBeObservable('(a|)');
        m.expect(call).toBeObservable('--(a|)');
        m.expect(source).toHaveSubscriptions(['(^!)', '--(^!)']);
      }),
    );

    it('should use an explicit scheduler for the waits', () => {
      const scheduler = new TestScheduler(() => undefined);
      const clock = countingScheduler(scheduler);
      const limiter = new RateLimiter({ limit: 1, interval: 5, maxWait: 5, scheduler: clock });
      const at: number[] = [];
      of(1, 2)
        .pipe(mergeMap(() => defer(() => of(scheduler.now())).pipe(rateLimit(limiter))))
        .subscribe((t) => at.push(t));
      scheduler.flush();
      expect(at).to.deep.equal([0, 5]);
      expect(clock.calls.map((c) => c.delay)).to.deep.equal([5]);
      expect(limiter.scheduler).to.equal(clock);
      expect(limiterOf().scheduler).to.equal(asyncScheduler);
    });

    it('should throw InvalidConfigError naming every bad field', () => {
      const limiter = limiterOf({ burst: 3 });
      const messages = [
        [
          () => rateLimit({} as RateLimiter),
          'rateLimit: invalid config: `limiter` must be a RateLimiter (new RateLimiter({ limit, interval, ... })), got {} (object)',
        ],
        [
          () => rateLimit(limiter, { cost: 0 }),
          'rateLimit: invalid config: `cost` must be a positive integer, got 0 (number)',
        ],
        [
          () => rateLimit(limiter, { cost: 1.5 }),
          'rateLimit: invalid config: `cost` must be a positive integer, got 1.5 (number)',
        ],
        [
          () => rateLimit(limiter, { cost: 4 }),
          "rateLimit: invalid config: `cost` must be at most the limiter's burst (3), got 4 (number)",
        ],
        [
          () => rateLimit(limiter, { key: 7 as unknown as string }),
          'rateLimit: invalid config: `key` must be a string, got 7 (number)',
        ],
        [
          () => rateLimit(limiter, { kee: 'a' } as never),
          'rateLimit: invalid config: unknown option `kee`: expected one of the known options (`key`, `cost`), got "a" (string)',
        ],
        [
          () => rateLimit(limiter, null as never),
          'rateLimit: invalid config: config must be an object, got null',
        ],
      ] as const;
      for (const [build, message] of messages) {
        const error = captureThrow(build);
        expect(error).to.be.instanceOf(InvalidConfigError);
        expect((error as Error).message).to.equal(message);
      }
      expect(() => rateLimit(limiter, { cost: 3, key: 'k' })).not.to.throw();
    });
  });

  describe('rules (DESIGN 2.9)', () => {
    it(
      'should admit a call at once when next - T * burst <= now, and exactly at that instant',
      marbles((m) => {
        // T = 2: the second call is due at 2 exactly.
        const limiter = limiterOf();
        // prettier-ignore
        const source = m.cold('(a|)');
        m.expect(source.pipe(rateLimit(limiter))).toBeObservable('(a|)');
        m.expect(source.pipe(rateLimit(limiter)), '--^').toBeObservable('--(a|)');
        m.expect(source.pipe(rateLimit(limiter)), '----^').toBeObservable('----(a|)');
        m.expect(source).toHaveSubscriptions(['(^!)', '--(^!)', '----(^!)']);
      }),
    );

    it(
      'should admit up to burst calls at once after a quiet spell, and refuse the next',
      marbles((m) => {
        const limiter = limiterOf({ limit: 1, interval: 2, burst: 3 });
        // prettier-ignore
        const source = m.cold('(a|)');
        const call = source.pipe(rateLimit(limiter));
        m.expect(call).toBeObservable('(a|)');
        m.expect(call).toBeObservable('(a|)');
        m.expect(call).toBeObservable('(a|)');
        m.expect(call).toBeObservable('#', undefined, refused(2));
        // Quiet for T * burst = 6: three again.
        m.expect(call, '------^').toBeObservable('------(a|)');
        m.expect(call, '------^').toBeObservable('------(a|)');
        m.expect(call, '------^').toBeObservable('------(a|)');
        m.expect(call, '------^').toBeObservable('------#', undefined, refused(2));
      }),
    );

    it(
      'should make a call wait w = next - T * burst - now when w <= maxWait (exactly maxWait too), reserving its permit',
      marbles((m) => {
        const limiter = limiterOf({ maxWait: 4 });
        // prettier-ignore
        const a = m.cold('(a|)');
        const b = m.cold('(b|)');
        const c = m.cold('(c|)');
        const d = m.cold('(d|)');
        m.expect(a.pipe(rateLimit(limiter))).toBeObservable('(a|)');
        m.expect(b.pipe(rateLimit(limiter))).toBeObservable('--(b|)');
        m.expect(c.pipe(rateLimit(limiter))).toBeObservable('----(c|)');
        m.expect(d.pipe(rateLimit(limiter))).toBeObservable('#', undefined, refused(6));
        m.expect(a).toHaveSubscriptions('(^!)');
        m.expect(b).toHaveSubscriptions('--(^!)');
        m.expect(c).toHaveSubscriptions('----(^!)');
        m.expect(d).toHaveSubscriptions([]);
      }),
    );

    it(
      'should refuse at once with the exact retryAfter and leave tat unchanged',
      marbles((m) => {
        const limiter = limiterOf({ limit: 2, interval: 10 });
        // T = 5, burst 2: two at 0, the third refused with retryAfter 5 (twice: a refusal takes
        // nothing), then admitted at exactly 5.
        // prettier-ignore
        const source = m.cold('(x|)');
        const call = source.pipe(rateLimit(limiter));
        m.expect(call).toBeObservable('(x|)');
        m.expect(call).toBeObservable('(x|)');
        m.expect(call).toBeObservable('#', undefined, refused(5));
        m.expect(call, '--^').toBeObservable('--#', undefined, refused(3));
        m.expect(call, '-----^').toBeObservable('-----(x|)');
        m.expect(call, '-----^').toBeObservable('-----#', undefined, refused(5));
      }),
    );

    it('should carry limiter, key and exact retryAfter in the error info', () => {
      const error = captureError(() => {
        const limiter = new RateLimiter({ name: 'api', limit: 3, interval: 1000, burst: 1 });
        const call = of(1).pipe(rateLimit(limiter, { key: 'alice' }));
        return defer(() => {
          call.subscribe();
          return call;
        });
      });
      expect(isRateLimitedError(error)).to.equal(true);
      expect((error as RateLimitedError).info).to.deep.equal({
        limiter: 'api',
        key: 'alice',
        retryAfter: 1000 / 3,
      });
      expect((error as Error).message).to.equal(
        `Rate limiter "api" refused a call for key "alice" (retry after ${1000 / 3}ms)`,
      );
    });

    it('should keep sums of emission intervals exact (limit 7 per 100 ms admits a burst of 7)', () => {
      const scheduler = new TestScheduler(() => undefined);
      scheduler.run(() => {
        const limiter = new RateLimiter({ limit: 7, interval: 100 });
        const outcomes: string[] = [];
        for (let i = 0; i < 8; i++) {
          of(i)
            .pipe(rateLimit(limiter))
            .subscribe({
              next: () => outcomes.push('ok'),
              error: (e: RateLimitedError) => outcomes.push(`${e.info.retryAfter}`),
            });
        }
        expect(outcomes).to.deep.equal(['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', String(100 / 7)]);
      });
    });

    it(
      'should never start a waiting call that is unsubscribed, and not give its permit back',
      marbles((m) => {
        const limiter = limiterOf({ maxWait: 4 });
        // prettier-ignore
        const a = m.cold('(a|)');
        const leaving = m.cold('(l|)');
        const leave = '        ^-!';
        const c = m.cold('(c|)');
        m.expect(a.pipe(rateLimit(limiter))).toBeObservable('(a|)');
        m.expect(leaving.pipe(rateLimit(limiter)), leave).toBeObservable('--');
        m.expect(c.pipe(rateLimit(limiter)), '-^').toBeObservable('----(c|)');
        m.expect(leaving).toHaveSubscriptions([]);
        m.expect(c).toHaveSubscriptions('----(^!)');
      }),
    );

    it(
      'should count each subscription as one call (a retry asks again)',
      marbles((m) => {
        const limiter = limiterOf({ maxWait: 2 });
        // prettier-ignore
        const source = m.cold('#');
        const subs = ['(^!)', '--(^!)', '----(^!)'];
        m.expect(source.pipe(rateLimit(limiter), retry(2))).toBeObservable('----#');
        m.expect(source).toHaveSubscriptions(subs);
        m.flush();
        expect(limiter.metrics()).to.include({ calls: 3, admitted: 1, delayed: 2, started: 2 });
      }),
    );

    it(
      'should count keys apart',
      marbles((m) => {
        const limiter = limiterOf();
        // prettier-ignore
        const source = m.cold('(x|)');
        m.expect(source.pipe(rateLimit(limiter, { key: 'a' }))).toBeObservable('(x|)');
        m.expect(source.pipe(rateLimit(limiter, { key: 'b' }))).toBeObservable('(x|)');
        m.expect(source.pipe(rateLimit(limiter, { key: 'a' }))).toBeObservable(
          '#',
          undefined,
          refused(2, 'a'),
        );
        m.expect(source.pipe(rateLimit(limiter))).toBeObservable('(x|)');
      }),
    );

    it(
      'should take cost permits: next = max(tat, now) + T * cost',
      marbles((m) => {
        const limiter = limiterOf({ limit: 1, interval: 2, burst: 4, maxWait: 10 });
        // prettier-ignore
        const source = m.cold('(x|)');
        // cost 3 of a burst of 4: tat 6; cost 3 again: next 12, w = 12 - 8 = 4.
        m.expect(source.pipe(rateLimit(limiter, { cost: 3 }))).toBeObservable('(x|)');
        m.expect(source.pipe(rateLimit(limiter, { cost: 3 }))).toBeObservable('----(x|)');
        m.expect(source.pipe(rateLimit(limiter, { cost: 4 }))).toBeObservable('#', undefined, refused(12));
        m.expect(source.pipe(rateLimit(limiter, { cost: 1 }))).toBeObservable('------(x|)');
      }),
    );

    it(
      'should hold every call to a key until now + ms after penalize(ms, key), and resume the rate from there',
      marbles((m) => {
        const limiter = limiterOf({ limit: 1, interval: 2, burst: 3, maxWait: 20 });
        // prettier-ignore
        const source = m.cold('(x|)');
        m.scheduler.schedule(() => limiter.penalize(5, 'api'), 1);
        m.expect(source.pipe(rateLimit(limiter, { key: 'api' })), '--^').toBeObservable('------(x|)');
        m.expect(source.pipe(rateLimit(limiter, { key: 'api' })), '--^').toBeObservable('--------(x|)');
        m.expect(source.pipe(rateLimit(limiter, { key: 'other' })), '--^').toBeObservable('--(x|)');
      }),
    );

    it(
      'should admit a call exactly at now + ms after penalize, and refuse it before with the exact retryAfter',
      marbles((m) => {
        const limiter = limiterOf({ limit: 1, interval: 2, burst: 3 });
        // prettier-ignore
        const source = m.cold('(x|)');
        limiter.penalize(4);
        m.expect(source.pipe(rateLimit(limiter)), '-^').toBeObservable('-#', undefined, refused(3));
        m.expect(source.pipe(rateLimit(limiter)), '----^').toBeObservable('----(x|)');
      }),
    );

    it('should not shorten an existing hold with a shorter penalty', () => {
      const scheduler = new TestScheduler(() => undefined);
      scheduler.run(() => {
        const limiter = new RateLimiter({ limit: 1, interval: 2 });
        limiter.penalize(10);
        limiter.penalize(3);
        const error = captureError(() => of(1).pipe(rateLimit(limiter)));
        expect((error as RateLimitedError).info.retryAfter).to.equal(10);
      });
    });

    it('should throw InvalidConfigError from penalize given a bad ms or key', () => {
      const limiter = limiterOf();
      const error = captureThrow(() => limiter.penalize(-1, 3 as unknown as string));
      expect(error).to.be.instanceOf(InvalidConfigError);
      expect((error as Error).message).to.equal(
        'RateLimiter.penalize: invalid config: `ms` must be a finite non-negative number of milliseconds, got -1 (number); `key` must be a string, got 3 (number)',
      );
      expect((captureThrow(() => limiter.penalize(Infinity)) as Error).message).to.equal(
        'RateLimiter.penalize: invalid config: `ms` must be a finite non-negative number of milliseconds, got Infinity (number)',
      );
    });

    it('should forget keys quiet for T * burst', () => {
      const scheduler = new TestScheduler(() => undefined);
      scheduler.run(() => {
        const limiter = new RateLimiter({ limit: 1, interval: 10, burst: 2 });
        for (const key of ['a', 'b', 'c']) of(1).pipe(rateLimit(limiter, { key })).subscribe();
        expect(limiter.metrics().keys).to.equal(3);
        scheduler.schedule(() => {
          expect(limiter.metrics().keys).to.equal(3);
          of(1)
            .pipe(rateLimit(limiter, { key: 'd' }))
            .subscribe();
          expect(limiter.metrics().keys, 'all three were quiet at 10').to.equal(1);
        }, 10);
      });
    });
  });

  describe('a store that answers asynchronously', () => {
    it(
      'should start, wait or refuse once the answer arrives',
      marbles((m) => {
        const limiter = limiterOf({ maxWait: 2, store: laggingStore(3) });
        // prettier-ignore
        const source = m.cold('(x|)');
        const call = source.pipe(rateLimit(limiter));
        m.expect(call).toBeObservable('---(x|)');
        m.expect(call).toBeObservable('-----(x|)');
        m.expect(call).toBeObservable('---#', undefined, refused(4));
        m.expect(source).toHaveSubscriptions(['---(^!)', '-----(^!)']);
      }),
    );

    it(
      'should never start a call whose subscriber left before the answer',
      marbles((m) => {
        const store = laggingStore(3);
        const limiter = limiterOf({ store });
        // prettier-ignore
        const source = m.cold('(x|)');
        m.expect(source.pipe(rateLimit(limiter)), '^-!').toBeObservable('--');
        m.expect(source).toHaveSubscriptions([]);
        m.flush();
        expect(store.asked).to.equal(1);
        expect(limiter.metrics()).to.include({ calls: 1, abandoned: 1, deciding: 0, admitted: 0 });
      }),
    );

    it('should fail the call when the answer is neither a number, a promise nor an Observable', () => {
      const limiter = new RateLimiter({
        limit: 1,
        interval: 1000,
        store: { acquire: () => ({}) as never, penalize: () => undefined },
      });
      const errors: unknown[] = [];
      of(1)
        .pipe(rateLimit(limiter))
        .subscribe({ error: (e: unknown) => errors.push(e) });
      expect(errors).to.have.length(1);
      expect(errors[0]).to.be.instanceOf(TypeError);
      expect(limiter.metrics()).to.include({ calls: 1, failed: 1, deciding: 0, abandoned: 0 });
    });

    it('should fail the call, as counted and told, when a store (untyped) answers null or undefined', () => {
      for (const answer of [null, undefined]) {
        const limiter = new RateLimiter({
          limit: 1,
          interval: 1000,
          store: { acquire: () => answer as never, penalize: () => undefined },
        });
        const events: string[] = [];
        limiter.events$.subscribe((e) => events.push(e.type));
        const errors: unknown[] = [];
        of(1)
          .pipe(rateLimit(limiter))
          .subscribe({ error: (e: unknown) => errors.push(e) });
        expect(errors).to.have.length(1);
        expect((errors[0] as Error).message).to.match(
          /^You provided '(null|undefined)' where a stream was expected/,
        );
        expect(events).to.deep.equal([]);
        expect(limiter.metrics()).to.include({ calls: 1, failed: 1, deciding: 0, abandoned: 0 });
      }
    });

    it(
      'should fail the call when the store answers a wait above maxWait (Infinity included), not hang it',
      marbles((m) => {
        const answers = [Infinity, 1e300, 3.5, 3];
        let i = 0;
        const store = { acquire: () => answers[i++]!, penalize: () => undefined };
        const limiter = limiterOf({ maxWait: 3, store });
        // prettier-ignore
        const source = m.cold('(x|)');
        const call = source.pipe(rateLimit(limiter));
        for (const wait of [Infinity, 1e300, 3.5]) {
          m.expect(call).toBeObservable(
            '#',
            undefined,
            new TypeError(`RateLimitStore: answered a wait of ${wait} ms, above maxWait (3 ms)`),
          );
        }
        m.expect(call).toBeObservable('---(x|)');
        m.flush();
        expect(limiter.metrics()).to.include({ calls: 4, failed: 3, delayed: 1, started: 1, waiting: 0 });
      }),
    );

    it('should accept a promise as the answer', async () => {
      const limiter = new RateLimiter({
        limit: 1,
        interval: 1000,
        store: { acquire: () => Promise.resolve(0), penalize: () => undefined },
      });
      const values: number[] = [];
      await new Promise<void>((resolve, reject) =>
        of(7)
          .pipe(rateLimit(limiter))
          .subscribe({ next: (v) => values.push(v), complete: resolve, error: reject }),
      );
      expect(values).to.deep.equal([7]);
      expect(limiter.metrics()).to.include({ admitted: 1, deciding: 0 });
    });

    it(
      'should error the call when the answer errors, completes empty, or is not a number',
      marbles((m) => {
        const answers: Array<Observable<unknown>> = [
          m.cold('-#', undefined, new Error('redis down')),
          m.cold('-|'),
          m.cold('-(n|)', { n: 'soon' }),
        ];
        let i = 0;
        const store = {
          acquire: () => answers[i++] as Observable<RateLimitAnswer>,
          penalize: () => undefined,
        };
        const limiter = limiterOf({ store });
        // prettier-ignore
        const source = m.cold('(x|)');
        const call = source.pipe(rateLimit(limiter));
        m.expect(call).toBeObservable('-#', undefined, new Error('redis down'));
        m.expect(call).toBeObservable(
          '-#',
          undefined,
          new Error('RateLimitStore: the answer completed without a value'),
        );
        m.expect(call).toBeObservable(
          '-#',
          undefined,
          new TypeError('RateLimitStore: answered soon, not a number'),
        );
        m.expect(source).toHaveSubscriptions([]);
        m.flush();
        expect(limiter.metrics()).to.include({ calls: 3, failed: 3, deciding: 0 });
      }),
    );
  });

  describe('events$ and metrics()', () => {
    it(
      'should report each decision with at, and keep the metrics equation',
      marbles((m) => {
        const limiter = limiterOf({ name: 'api', maxWait: 2 });
        const events: RateLimiterEvent[] = [];
        limiter.events$.subscribe((e) => events.push(e));
        // prettier-ignore
        const source = m.cold('(x|)');
        const call = source.pipe(rateLimit(limiter, { key: 'k' }));
        m.expect(call).toBeObservable('(x|)');
        m.expect(call).toBeObservable('--(x|)');
        m.expect(call).toBeObservable('#', undefined, refused(4, 'k', 'api'));
        m.expect(call).toBeObservable('#', undefined, refused(4, 'k', 'api'));
        m.scheduler.schedule(() => limiter.penalize(3, 'k'), 5);
        m.flush();
        expect(events).to.deep.equal([
          { type: 'admitted', limiter: 'api', at: 0, key: 'k', cost: 1 },
          { type: 'delayed', limiter: 'api', at: 0, key: 'k', cost: 1, wait: 2 },
          { type: 'rejected', limiter: 'api', at: 0, key: 'k', cost: 1, retryAfter: 4 },
          { type: 'rejected', limiter: 'api', at: 0, key: 'k', cost: 1, retryAfter: 4 },
          { type: 'started', limiter: 'api', at: 2, key: 'k', cost: 1, waited: 2 },
          { type: 'penalized', limiter: 'api', at: 5, key: 'k', ms: 3 },
        ]);
        const metrics = limiter.metrics();
        expect(metrics).to.deep.equal({
          name: 'api',
          at: 5,
          limit: 1,
          interval: 2,
          burst: 1,
          maxWait: 2,
          calls: 4,
          admitted: 1,
          delayed: 1,
          started: 1,
          rejected: 2,
          abandoned: 0,
          failed: 0,
          deciding: 0,
          waiting: 0,
          penalties: 1,
          keys: 1,
        });
      }),
    );

    it(
      'should report an abandoned waiting call',
      marbles((m) => {
        const limiter = limiterOf({ maxWait: 2 });
        const events: RateLimiterEvent[] = [];
        limiter.events$.subscribe((e) => events.push(e));
        // prettier-ignore
        const source = m.cold('(x|)');
        m.expect(source.pipe(rateLimit(limiter))).toBeObservable('(x|)');
        m.expect(source.pipe(rateLimit(limiter)), '^!').toBeObservable('-');
        m.flush();
        expect(events.map((e) => [e.type, e.at])).to.deep.equal([
          ['admitted', 0],
          ['delayed', 0],
          ['abandoned', 1],
        ]);
        const { calls, admitted, started, rejected, abandoned, failed, deciding, waiting } =
          limiter.metrics();
        expect(calls).to.equal(admitted + started + rejected + abandoned + failed + deciding + waiting);
      }),
    );

    it('should never subscribe the source of a call an events$ observer cancels on admitted or started', () => {
      const scheduler = new TestScheduler(() => undefined);
      scheduler.run(() => {
        const limiter = new RateLimiter({ limit: 1, interval: 2, maxWait: 2 });
        const cancels: Array<Subject<void>> = [];
        let subscribed = 0;
        const source = new Observable<number>((subscriber) => {
          subscribed++;
          subscriber.next(1);
        });
        limiter.events$.subscribe((e) => {
          if (e.type === 'admitted' || e.type === 'started') cancels[cancels.length - 1]!.next();
        });
        const call = (): void => {
          const cancel = new Subject<void>();
          cancels.push(cancel);
          source.pipe(rateLimit(limiter), takeUntil(cancel)).subscribe();
        };
        call();
        call();
        scheduler.flush();
        expect(subscribed).to.equal(0);
        expect(limiter.metrics()).to.include({ admitted: 1, delayed: 1, started: 1 });
      });
    });

    it('should never start a call an events$ observer cancels on delayed, and count it abandoned once', () => {
      const scheduler = new TestScheduler(() => undefined);
      scheduler.run(() => {
        const limiter = new RateLimiter({ limit: 1, interval: 2, maxWait: 2 });
        let subscribed = 0;
        const source = defer(() => {
          subscribed++;
          return of(1);
        });
        const cancel = new Subject<void>();
        const events: string[] = [];
        // The observer leaves once it has cancelled: nobody watches when the turn would have come.
        const watching = limiter.events$.subscribe((e) => {
          events.push(`${e.type}@${e.at}`);
          if (e.type === 'delayed') {
            cancel.next();
            watching.unsubscribe();
          }
        });
        source.pipe(rateLimit(limiter)).subscribe();
        source.pipe(rateLimit(limiter), takeUntil(cancel)).subscribe();
        scheduler.flush();
        expect(events).to.deep.equal(['admitted@0', 'delayed@0']);
        expect(subscribed, 'only the admitted call reached the source').to.equal(1);
        const { calls, admitted, started, rejected, abandoned, failed, deciding, waiting } =
          limiter.metrics();
        expect({ started, abandoned, waiting }).to.deep.equal({ started: 0, abandoned: 1, waiting: 0 });
        expect(calls).to.equal(admitted + started + rejected + abandoned + failed + deciding + waiting);
      });
    });

    it('should build no event while events$ is not observed', () => {
      const limiter = limiterOf();
      of(1).pipe(rateLimit(limiter)).subscribe();
      expect((limiter as unknown as { subject: unknown }).subject).to.equal(null);
    });
  });
});
