import { expect } from 'chai';
import { NEVER, Observable, Subject, Subscription, defer, of, takeUntil, throwError } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { CircuitBreaker, type CircuitBreakerConfig } from '../../src/breaker/CircuitBreaker';
import type { CircuitBreakerEvent } from '../../src/breaker/CircuitBreakerEvent';
import type { CircuitState } from '../../src/breaker/CircuitState';
import { circuitBreaker } from '../../src/operators/circuitBreaker';
import { InvalidConfigError } from '../../src/errors/InvalidConfigError';
import { BufferOverflowError } from '../../src/errors/BufferOverflowError';
import { BulkheadRejectedError } from '../../src/errors/BulkheadRejectedError';
import { CircuitOpenError, isCircuitOpenError } from '../../src/errors/CircuitOpenError';
import { HttpStatusError } from '../../src/errors/HttpStatusError';
import { RateLimitedError } from '../../src/errors/RateLimitedError';
import { captureThrow } from '../helpers/captureError';
import { marbles } from '../helpers/marbles';
import { ManualClock } from './manualClock';
import { stateTimeline, type StateTimeline } from '../../src/testing/stateTimeline';

type Seen = 'ok' | 'failed' | 'refused';

/** Drives calls through a breaker on a ManualClock and counts upstream subscriptions. */
class Driver {
  readonly clock = new ManualClock();
  readonly breaker: CircuitBreaker;
  /** Upstream subscriptions made (a refused call makes none). */
  subscribed = 0;

  constructor(config: CircuitBreakerConfig = {}) {
    this.breaker = new CircuitBreaker({ ...config, scheduler: this.clock });
  }

  /** A call whose upstream succeeds at once. */
  succeed(): Seen {
    return this.call(of('ok'));
  }

  /** A call whose upstream fails at once with `error`. */
  fail(error: unknown = new Error('down')): Seen {
    return this.call(throwError(() => error));
  }

  /** A call that ends after `ms` (a success or a failure); unsubscribe it to cancel it. */
  lasting(ms: number, outcome: 'succeed' | 'fail' = 'succeed'): Subscription {
    const upstream = new Observable<never>((subscriber) => {
      const timer = this.clock.schedule(
        () => (outcome === 'succeed' ? subscriber.complete() : subscriber.error(new Error('down'))),
        ms,
      );
      return () => timer.unsubscribe();
    });
    return this.tracked(upstream)
      .pipe(circuitBreaker(this.breaker))
      .subscribe({ error: () => undefined });
  }

  /** A call whose upstream never ends. */
  hang(): Subscription {
    return this.tracked(NEVER)
      .pipe(circuitBreaker(this.breaker))
      .subscribe({ error: () => undefined });
  }

  at(time: number): this {
    this.clock.advanceTo(time);
    return this;
  }

  private call(upstream: Observable<string>): Seen {
    let seen: Seen = 'failed';
    this.tracked(upstream)
      .pipe(circuitBreaker(this.breaker))
      .subscribe({
        complete: () => (seen = 'ok'),
        error: (e: unknown) => (seen = isCircuitOpenError(e) ? 'refused' : 'failed'),
      });
    return seen;
  }

  private tracked<T>(upstream: Observable<T>): Observable<T> {
    return new Observable<T>((subscriber) => {
      this.subscribed++;
      return upstream.subscribe(subscriber);
    });
  }
}

function messageOf(fn: () => unknown): string {
  const error = captureThrow(fn);
  expect(error).to.be.instanceOf(InvalidConfigError);
  return (error as Error).message;
}

describe('CircuitBreaker', () => {
  describe('config', () => {
    it('should use the documented defaults', () => {
      const d = new Driver();
      expect(d.breaker.name).to.equal('unnamed');
      // minimumCalls 10, failureRateThreshold 0.5, count window of 20
      for (let i = 0; i < 9; i++) d.fail();
      expect(d.breaker.state).to.equal('closed');
      d.fail();
      expect(d.breaker.metrics()).to.include({ state: 'open', calls: 10, failures: 10, retryAfter: 30000 });
      // halfOpenCalls 1: one probe, its success closes
      d.at(30000);
      d.lasting(1);
      expect(d.succeed()).to.equal('refused');
      d.at(30001);
      expect(d.breaker.state).to.equal('closed');
    });

    it('should count only transient errors by default (isTransient): never a refusal or a 4xx', () => {
      const d = new Driver({ minimumCalls: 1, window: { type: 'count', size: 1 } });
      const http = (status: number) =>
        new HttpStatusError({
          status,
          statusText: '',
          url: 'http://127.0.0.1/x',
          retryAfter: undefined,
          body: '',
        });
      const notTheDependency = [
        new CircuitOpenError({ breaker: 'inner', state: 'open', retryAfter: 5 }),
        new BulkheadRejectedError({
          bulkhead: 'pool',
          reason: 'full',
          active: 1,
          maxConcurrent: 1,
          queued: 0,
          maxQueued: 0,
        }),
        new RateLimitedError({ limiter: 'api', key: '', retryAfter: 10 }),
        new BufferOverflowError({ capacity: 0 }),
        http(400),
        http(404),
        http(422),
      ];
      notTheDependency.forEach((error, i) => {
        d.fail(error); // the dependency was called and answered with this error
        expect(d.subscribed, String(error)).to.equal(i + 1);
        expect(d.breaker.metrics(), String(error)).to.include({ state: 'closed', calls: 0, inFlight: 0 });
      });
      for (const error of [http(503), http(429), http(408), new Error('ECONNRESET'), 'a string']) {
        d.breaker.reset();
        d.fail(error);
        expect(d.breaker.metrics(), String(error)).to.include({ state: 'open', calls: 1, failures: 1 });
      }
    });

    it('should keep 20 outcomes in the default window and open at a 50 % failure rate', () => {
      const d = new Driver();
      for (let i = 0; i < 20; i++) d.succeed();
      for (let i = 0; i < 9; i++) d.fail();
      expect(d.breaker.state).to.equal('closed'); // 9 of 20
      d.fail();
      expect(d.breaker.state).to.equal('open'); // 10 of 20
    });

    it('should cap the default minimumCalls to a smaller count window', () => {
      const d = new Driver({ window: { type: 'count', size: 4 } });
      for (let i = 0; i < 3; i++) d.fail();
      expect(d.breaker.state).to.equal('closed');
      d.fail();
      expect(d.breaker.state).to.equal('open');
    });

    it('should not time calls or open on slow calls by default', () => {
      const d = new Driver({ minimumCalls: 1, window: { type: 'count', size: 1 } });
      d.lasting(1e9);
      d.at(1e9);
      expect(d.breaker.metrics()).to.include({ state: 'closed', calls: 1, slowCalls: 0 });
    });

    const bad: Array<[string, unknown, string]> = [
      ['a non-object', 5, 'config must be an object, got 5 (number)'],
      [
        'a zero window size',
        { window: { type: 'count', size: 0 } },
        '`window.size` must be a positive integer up to 1000000, got 0 (number)',
      ],
      [
        'an unknown window type',
        { window: { type: 'sliding', size: 3 } },
        "`window.type` must be 'count' | 'time', got \"sliding\" (string)",
      ],
      [
        'an infinite time window',
        { window: { type: 'time', duration: Infinity } },
        '`window.duration` must be a finite positive number of milliseconds, got Infinity (number)',
      ],
      [
        'a time window whose buckets round to nothing',
        { window: { type: 'time', duration: Number.MIN_VALUE } },
        '`window.duration` must be at least 0.000001 ms per bucket (10 buckets), got 5e-324 (number)',
      ],
      [
        'a time window of buckets shorter than 1 ns',
        { window: { type: 'time', duration: 1e-5, buckets: 20 } },
        '`window.duration` must be at least 0.000001 ms per bucket (20 buckets), got 0.00001 (number)',
      ],
      [
        'an unknown window key',
        { window: { type: 'time', duration: 1000, bucket: 5 } },
        'unknown option `window.bucket`: expected one of the known options (`type`, `duration`, `buckets`), got 5 (number)',
      ],
      [
        'a failure rate of 0',
        { failureRateThreshold: 0 },
        '`failureRateThreshold` must be a number in (0, 1], got 0 (number)',
      ],
      [
        'a percentage for a rate',
        { slowCallRateThreshold: 50 },
        '`slowCallRateThreshold` must be a number in (0, 1], got 50 (number)',
      ],
      [
        'a negative openDuration',
        { openDuration: -1 },
        '`openDuration` must be a non-negative number of milliseconds or a function, got -1 (number)',
      ],
      [
        'zero halfOpenCalls',
        { halfOpenCalls: 0 },
        '`halfOpenCalls` must be a positive integer, got 0 (number)',
      ],
      [
        'a zero maxHalfOpenDuration',
        { maxHalfOpenDuration: 0 },
        '`maxHalfOpenDuration` must be a positive number of milliseconds, got 0 (number)',
      ],
      ['an empty name', { name: '' }, '`name` must be a non-empty string, got "" (string)'],
      ['a non-function isFailure', { isFailure: true }, '`isFailure` must be a function, got true (boolean)'],
      [
        'a scheduler without schedule()',
        { scheduler: { now: () => 0 } },
        '`scheduler` must be a SchedulerLike (an object with now() and schedule()), got {} (object)',
      ],
      [
        'minimumCalls above the window size',
        { window: { type: 'count', size: 5 }, minimumCalls: 6 },
        '`minimumCalls` must be at most `window.size` (5), or the breaker could never open, got 6 (number)',
      ],
    ];
    for (const [what, config, issue] of bad) {
      it(`should throw InvalidConfigError for ${what}`, () => {
        expect(messageOf(() => new CircuitBreaker(config as never))).to.equal(
          `CircuitBreaker: invalid config: ${issue}`,
        );
      });
    }

    it('should name every bad field and unknown key in one message', () => {
      expect(messageOf(() => new CircuitBreaker({ minimumCalls: -1, halfOpenCall: 2 } as never))).to.equal(
        'CircuitBreaker: invalid config: `minimumCalls` must be a positive integer, got -1 (number); ' +
          'unknown option `halfOpenCall`: expected one of the known options (`name`, `window`, `minimumCalls`, ' +
          '`failureRateThreshold`, `slowCallDuration`, `slowCallRateThreshold`, `openDuration`, `halfOpenCalls`, ' +
          '`maxHalfOpenDuration`, `isFailure`, `scheduler`), got 2 (number)',
      );
    });

    it('should count a negative openDuration result as 0, and Infinity as until reset', () => {
      const d = new Driver({ minimumCalls: 1, openDuration: () => -5 });
      d.fail();
      expect(d.breaker.state).to.equal('halfOpen');
      const forever = new Driver({ minimumCalls: 1, openDuration: () => Infinity });
      forever.fail();
      forever.at(1e12);
      expect(forever.breaker.metrics()).to.include({ state: 'open', retryAfter: Infinity });
    });

    it('should report a throwing or non-number openDuration on events$ and stay open the default 30 s', () => {
      const thrown = new Error('backoff table missing');
      const cases: Array<[string, () => number, unknown]> = [
        [
          'a throw',
          () => {
            throw thrown;
          },
          thrown,
        ],
        ['NaN', () => NaN, 'returned NaN (number)'],
        ['a string', () => '5' as unknown as number, 'returned "5" (string)'],
        ['undefined', () => undefined as unknown as number, 'returned undefined'],
      ];
      for (const [what, openDuration, error] of cases) {
        const d = new Driver({ name: 'prices', minimumCalls: 1, openDuration });
        const events: CircuitBreakerEvent[] = [];
        d.breaker.events$.subscribe((e) => events.push(e));
        d.at(5);
        d.fail();
        const reported = events.filter((e) => e.type === 'openDurationError' || e.type === 'transition');
        expect(reported, what).to.have.length(2);
        const [report, transition] = reported;
        expect(report, what).to.deep.include({
          type: 'openDurationError',
          at: 5,
          opening: 1,
          fallback: 30000,
        });
        const got = (report as { error: unknown }).error;
        if (typeof error === 'string') {
          expect(got, what).to.be.instanceOf(TypeError);
          expect((got as Error).message, what).to.equal(
            `CircuitBreaker "prices": openDuration(1) ${error}, not a number of milliseconds`,
          );
        } else {
          expect(got, what).to.equal(error);
        }
        expect(transition, what).to.deep.equal({
          type: 'transition',
          at: 5,
          from: 'closed',
          to: 'open',
          reason: 'failureRate',
        });
        expect(d.breaker.metrics(), what).to.include({ state: 'open', retryAfter: 30000 });
        d.at(30005);
        expect(d.breaker.state, what).to.equal('halfOpen');
      }
    });
  });

  describe('state', () => {
    it('should be side-effect free: reading it in halfOpen takes no permit (resilience4j#858)', () => {
      const d = new Driver({ minimumCalls: 1, openDuration: 10 });
      d.fail();
      d.at(10);
      for (let i = 0; i < 5; i++) expect(d.breaker.state).to.equal('halfOpen');
      d.breaker.metrics();
      expect(d.succeed()).to.equal('ok');
      expect(d.breaker.state).to.equal('closed');
    });

    it("should reopen on a slow probe when the probes' slow-call rate reaches its threshold", () => {
      const d = new Driver({
        minimumCalls: 1,
        openDuration: 10,
        slowCallDuration: 5,
        slowCallRateThreshold: 1,
      });
      d.fail();
      d.at(10);
      d.lasting(5);
      d.at(15);
      expect(d.breaker.metrics()).to.include({ state: 'open', opening: 2, openedAt: 15 });
    });

    it('should close on a probe just under slowCallDuration', () => {
      const d = new Driver({
        minimumCalls: 1,
        openDuration: 10,
        slowCallDuration: 5,
        slowCallRateThreshold: 1,
      });
      d.fail();
      d.at(10);
      d.lasting(4);
      d.at(14);
      expect(d.breaker.state).to.equal('closed');
    });
    it('should survive openDuration 0 with a maxHalfOpenDuration below the clock precision, without recursing', () => {
      const d = new Driver({ minimumCalls: 1, openDuration: 0, maxHalfOpenDuration: 1e-300 });
      const seen: CircuitState[] = [];
      d.breaker.state$.subscribe((s) => seen.push(s));
      d.at(1000);
      d.fail(); // opens, and with openDuration 0 is halfOpen at once
      expect(d.breaker.state).to.equal('halfOpen');
      // 1000 + 1e-300 is 1000: the deadline of a probe admitted now is the next tick, so that a probe
      // answering at its own instant is in time
      expect(d.succeed()).to.equal('ok');
      d.fail();
      d.hang(); // a probe that hangs
      d.at(1000);
      expect(d.breaker.metrics()).to.include({ state: 'halfOpen', opening: 1, inFlight: 1 });
      d.at(1001); // its deadline passed: open again, and at once halfOpen for the next call
      expect(d.breaker.metrics()).to.include({ state: 'halfOpen', opening: 2, inFlight: 1 });
      expect(d.succeed()).to.equal('ok'); // a new probe: the breaker is usable
      expect(seen).to.deep.equal([
        'closed',
        'open',
        'halfOpen',
        'closed',
        'open',
        'halfOpen',
        'open',
        'halfOpen',
        'closed',
      ]);
    });

    it('should catch up after a day idle at once: at most the transitions a probe made due', () => {
      const d = new Driver({ minimumCalls: 1, openDuration: 10, maxHalfOpenDuration: 10 });
      d.fail();
      d.at(10);
      d.hang(); // the probe hangs: open again at 20, halfOpen at 30, then it waits for a call
      d.at(86_400_000);
      expect(d.breaker.metrics()).to.include({ state: 'halfOpen', opening: 2, openedAt: 20, inFlight: 1 });
    });
  });

  describe('state$', () => {
    it('should emit the current state on subscribe, then every transition at its instant', () => {
      const d = new Driver({ minimumCalls: 1, openDuration: 10 });
      const seen: Array<[CircuitState, number]> = [];
      d.fail();
      d.breaker.state$.subscribe((s) => seen.push([s, d.clock.now()]));
      d.at(25);
      d.succeed();
      d.breaker.isolate();
      d.breaker.reset();
      expect(seen).to.deep.equal([
        ['open', 0],
        ['halfOpen', 10],
        ['closed', 25],
        ['isolated', 25],
        ['closed', 25],
      ]);
    });

    it('should reach every observer in order when an observer resets on open, ending on the true state', () => {
      const d = new Driver({ minimumCalls: 1 });
      const first: CircuitState[] = [];
      const second: CircuitState[] = [];
      d.breaker.state$.subscribe((s) => {
        first.push(s);
        if (s === 'open') d.breaker.reset();
      });
      d.breaker.state$.subscribe((s) => second.push(s));
      d.fail();
      expect(d.breaker.state).to.equal('closed');
      expect(first).to.deep.equal(['closed', 'open', 'closed']);
      expect(second).to.deep.equal(['closed', 'open', 'closed']);
    });

    it('should start an observer subscribed from inside another at the current state, with nothing older', () => {
      const d = new Driver({ minimumCalls: 1 });
      const late: CircuitState[] = [];
      d.breaker.state$.subscribe((s) => {
        if (s !== 'open') return;
        d.breaker.isolate();
        d.breaker.state$.subscribe((t) => late.push(t));
      });
      d.breaker.state$.subscribe(); // still to hear 'open' when the late one subscribes
      d.fail();
      d.breaker.reset();
      expect(late).to.deep.equal(['isolated', 'closed']);
    });

    it('should wait out an openDuration longer than one timer can hold in steps, not a busy loop', () => {
      const openDuration = 2 ** 31 + 1000;
      const d = new Driver({ minimumCalls: 1, openDuration });
      const seen: Array<[CircuitState, number]> = [];
      d.fail();
      d.breaker.state$.subscribe((s) => seen.push([s, d.clock.now()]));
      d.at(openDuration);
      expect(seen).to.deep.equal([
        ['open', 0],
        ['halfOpen', openDuration],
      ]);
      // One timer capped at 2^31 - 1 ms (a longer one fires after 1 ms on Node), then one for the rest.
      expect(d.clock.scheduled).to.equal(2);
    });

    it('should share one timer for the transitions of every observed breaker of one scheduler', () => {
      const clock = new ManualClock();
      const seen: Array<[string, CircuitState, number]> = [];
      const breakers = [30, 10, 20].map((openDuration, i) => {
        const breaker = new CircuitBreaker({
          name: `b${i}`,
          minimumCalls: 1,
          openDuration,
          scheduler: clock,
        });
        breaker.state$.subscribe((s) => seen.push([breaker.name, s, clock.now()]));
        throwError(() => new Error('down'))
          .pipe(circuitBreaker(breaker))
          .subscribe({ error: () => undefined });
        return breaker;
      });
      expect(clock.pending).to.equal(1);
      clock.advanceTo(30);
      expect(seen.filter(([, s]) => s === 'halfOpen')).to.deep.equal([
        ['b1', 'halfOpen', 10],
        ['b2', 'halfOpen', 20],
        ['b0', 'halfOpen', 30],
      ]);
      expect(breakers.map((b) => b.state)).to.deep.equal(['halfOpen', 'halfOpen', 'halfOpen']);
      expect(clock.pending).to.equal(0);
    });

    it('should keep no timer while nobody observes, one while observed, and cancel it when the last leaves', () => {
      const d = new Driver({ minimumCalls: 1, openDuration: 10 });
      d.fail();
      expect(d.clock.pending).to.equal(0);
      const a = d.breaker.state$.subscribe();
      const b = d.breaker.events$.subscribe();
      expect(d.clock.pending).to.equal(1);
      a.unsubscribe();
      expect(d.clock.pending).to.equal(1);
      b.unsubscribe();
      expect(d.clock.pending).to.equal(0);
      expect(d.clock.scheduled).to.equal(1);
    });

    it("should aim its timer at an open phase reached while observed, and at a hung probe's maxHalfOpenDuration", () => {
      const d = new Driver({ minimumCalls: 1, openDuration: 10, maxHalfOpenDuration: 4 });
      const seen: Array<[CircuitState, number]> = [];
      const sub = d.breaker.state$.subscribe((s) => seen.push([s, d.clock.now()]));
      d.fail();
      d.at(12);
      d.hang(); // the probe, admitted at 12, never answers
      d.at(1000);
      expect(seen).to.deep.equal([
        ['closed', 0],
        ['open', 0],
        ['halfOpen', 10],
        ['open', 16], // 4 ms after the probe
        ['halfOpen', 26], // and then nothing: no probe, no deadline
      ]);
      expect(d.clock.pending).to.equal(0);
      sub.unsubscribe();
    });

    it('should let a test observing state$ finish: with maxHalfOpenDuration, halfOpen waits for a call', () => {
      const scheduler = new TestScheduler((actual, expected) => {
        expect(actual).to.deep.equal(expected);
      });
      let timeline: StateTimeline<CircuitState> | undefined;
      scheduler.run(({ cold }) => {
        // A guard, so that a breaker cycling forever fails this test instead of hanging it.
        scheduler.maxFrames = 100_000;
        const breaker = new CircuitBreaker({ minimumCalls: 1, openDuration: 5, maxHalfOpenDuration: 3 });
        timeline = stateTimeline(breaker.state$);
        cold('-#')
          .pipe(circuitBreaker(breaker))
          .subscribe({ error: () => undefined });
        // a probe at 10 that never answers: open again 3 ms later, halfOpen 5 ms after that, then quiet
        scheduler.schedule(() => NEVER.pipe(circuitBreaker(breaker)).subscribe(), 10);
      });
      timeline!.toBe('co----h------o----h');
    });

    it('should catch up on subscribe with a transition that happened while nobody observed', () => {
      const d = new Driver({ minimumCalls: 1, openDuration: 10 });
      d.fail();
      d.at(50);
      const seen: CircuitState[] = [];
      d.breaker.state$.subscribe((s) => seen.push(s)).unsubscribe();
      expect(seen).to.deep.equal(['halfOpen']);
    });

    it(
      'should draw the state machine as a marble timeline',
      marbles((m) => {
        const breaker = new CircuitBreaker({
          minimumCalls: 2,
          window: { type: 'count', size: 2 },
          openDuration: 4,
        });
        // prettier-ignore
        {
          const calls = {
            f1: m.cold('-#'),
            f2: m.cold('-#'),
            p1: m.cold('--#'),
            p2: m.cold('-|'),
          };
          m.expect(calls.f1.pipe(circuitBreaker(breaker)), '^          ').toBeObservable('-#');
          m.expect(calls.f2.pipe(circuitBreaker(breaker)), '^          ').toBeObservable('-#');
          m.expect(calls.p1.pipe(circuitBreaker(breaker)), '-----^     ').toBeObservable('-------#');
          m.expect(calls.p2.pipe(circuitBreaker(breaker)), '-----------^').toBeObservable('------------|');
          const states =                                   'co---h-o---hc';
          m.expect(breaker.state$).toBeObservable(states, { c: 'closed', o: 'open', h: 'halfOpen' });
        }
      }),
    );
  });

  describe('events$', () => {
    it('should report admissions, refusals, outcomes, transitions and resets with their instants', () => {
      const d = new Driver({
        minimumCalls: 2,
        window: { type: 'count', size: 2 },
        openDuration: 10,
        isFailure: (e) => e !== 'ignored',
      });
      const events: CircuitBreakerEvent[] = [];
      d.breaker.events$.subscribe((e) => events.push(e));
      d.fail('ignored');
      const cancelled = d.hang();
      d.at(3);
      cancelled.unsubscribe();
      d.lasting(2);
      d.fail('x');
      d.at(5);
      d.succeed();
      d.breaker.reset();
      expect(events).to.deep.equal([
        { type: 'admit', at: 0, state: 'closed' },
        { type: 'ignore', at: 0, duration: 0, error: 'ignored' },
        { type: 'admit', at: 0, state: 'closed' },
        { type: 'cancel', at: 3, duration: 3 },
        { type: 'admit', at: 3, state: 'closed' },
        { type: 'admit', at: 3, state: 'closed' },
        { type: 'failure', at: 3, duration: 0, slow: false, counted: true, error: 'x' },
        { type: 'success', at: 5, duration: 2, slow: false, counted: true },
        { type: 'transition', at: 5, from: 'closed', to: 'open', reason: 'failureRate' },
        { type: 'refuse', at: 5, state: 'open', retryAfter: 10 },
        { type: 'transition', at: 5, from: 'open', to: 'closed', reason: 'reset' },
        { type: 'reset', at: 5 },
      ]);
    });

    it('should give each transition its reason', () => {
      const d = new Driver({
        minimumCalls: 1,
        openDuration: 10,
        maxHalfOpenDuration: 5,
        slowCallDuration: 3,
      });
      const reasons: string[] = [];
      d.breaker.events$.subscribe((e) => {
        if (e.type === 'transition') reasons.push(`${e.from}->${e.to}:${e.reason}@${e.at}`);
      });
      d.lasting(3); // slow
      d.at(3);
      d.at(15); // halfOpen at 13
      d.hang(); // a probe that hangs: maxHalfOpenDuration reached at 20
      d.at(30);
      d.succeed();
      d.breaker.isolate();
      expect(reasons).to.deep.equal([
        'closed->open:slowCallRate@3',
        'open->halfOpen:openDuration@13',
        'halfOpen->open:maxHalfOpenDuration@20',
        'open->halfOpen:openDuration@30',
        'halfOpen->closed:probes@30',
        'closed->isolated:isolate@30',
      ]);
    });

    it('should reach every observer in order when an events$ observer changes the breaker', () => {
      const d = new Driver({ minimumCalls: 1 });
      const seen: string[] = [];
      const states: CircuitState[] = [];
      d.breaker.events$.subscribe((e) => {
        if (e.type === 'transition' && e.to === 'open') d.breaker.reset();
      });
      d.breaker.events$.subscribe((e) => {
        seen.push(e.type === 'transition' ? `${e.from}->${e.to}` : e.type);
      });
      d.breaker.state$.subscribe((s) => states.push(s));
      d.fail();
      expect(seen).to.deep.equal(['admit', 'failure', 'closed->open', 'open->closed', 'reset']);
      expect(states).to.deep.equal(['closed', 'open', 'closed']);
      expect(d.breaker.state).to.equal('closed');
    });

    it('should let observers act only on a complete operation: a reset on hearing a failure clears it', () => {
      const d = new Driver({ minimumCalls: 1 });
      d.breaker.events$.subscribe((e) => {
        if (e.type === 'failure') d.breaker.reset();
      });
      d.fail(); // recorded (it opens), then heard, then reset
      expect(d.breaker.metrics()).to.include({ state: 'closed', calls: 0, opening: 0, inFlight: 0 });
    });

    it('should give the permit back when an events$ observer cancels the call it hears admitted', () => {
      const d = new Driver({ minimumCalls: 1, openDuration: 10 });
      const cancel = new Subject<void>();
      const events: string[] = [];
      d.breaker.events$.subscribe((e) => {
        events.push(e.type);
        if (e.type === 'admit' && e.state === 'halfOpen') cancel.next();
      });
      d.fail();
      d.at(10);
      let reached = 0;
      defer(() => {
        reached++;
        return NEVER;
      })
        .pipe(circuitBreaker(d.breaker), takeUntil(cancel))
        .subscribe();
      expect(reached).to.equal(0); // cancelled while admitted: never reaches the dependency
      expect(d.breaker.metrics()).to.include({ state: 'halfOpen', inFlight: 0 });
      expect(events.slice(-2)).to.deep.equal(['admit', 'cancel']);
      cancel.complete(); // no more cancels: the next call is admitted as the probe, and closes
      expect(d.succeed()).to.equal('ok');
      expect(d.breaker.state).to.equal('closed');
    });

    it('should not replay events from before a subscription', () => {
      const d = new Driver();
      d.succeed();
      const events: CircuitBreakerEvent[] = [];
      d.breaker.events$.subscribe((e) => events.push(e));
      expect(events).to.deep.equal([]);
    });
  });

  describe('metrics()', () => {
    it('should report counts, rates, refusals, calls in flight and when it opened', () => {
      const d = new Driver({
        minimumCalls: 4,
        window: { type: 'count', size: 4 },
        slowCallDuration: 2,
        openDuration: 10,
      });
      expect(d.breaker.metrics()).to.deep.equal({
        state: 'closed',
        calls: 0,
        failures: 0,
        slowCalls: 0,
        failureRate: 0,
        slowCallRate: 0,
        refusals: 0,
        inFlight: 0,
        opening: 0,
        openedAt: undefined,
        retryAfter: 0,
      });
      d.succeed();
      d.lasting(2);
      d.hang();
      d.at(2);
      d.fail();
      expect(d.breaker.metrics()).to.deep.include({ calls: 3, failures: 1, slowCalls: 1, inFlight: 1 });
      d.fail();
      d.at(4);
      d.succeed();
      d.succeed();
      expect(d.breaker.metrics()).to.deep.equal({
        state: 'open',
        calls: 4,
        failures: 2,
        slowCalls: 1,
        failureRate: 0.5,
        slowCallRate: 0.25,
        refusals: 2,
        inFlight: 1,
        opening: 1,
        openedAt: 2,
        retryAfter: 8,
      });
    });

    it('should report the probes of the current phase while halfOpen', () => {
      const d = new Driver({ minimumCalls: 1, openDuration: 10, halfOpenCalls: 3 });
      d.fail();
      d.at(10);
      d.fail();
      d.succeed();
      expect(d.breaker.metrics()).to.include({ state: 'halfOpen', calls: 2, failures: 1, failureRate: 0.5 });
    });
  });

  describe('isolate() and reset()', () => {
    it('should make one transition for repeated isolate() calls and keep refusing until reset()', () => {
      const d = new Driver();
      const seen: CircuitState[] = [];
      d.breaker.state$.subscribe((s) => seen.push(s));
      d.breaker.isolate();
      d.breaker.isolate();
      d.at(1e9);
      expect(d.succeed()).to.equal('refused');
      expect(d.breaker.metrics()).to.include({ state: 'isolated', retryAfter: Infinity, refusals: 1 });
      d.breaker.reset();
      expect(d.succeed()).to.equal('ok');
      expect(d.subscribed).to.equal(1);
      expect(seen).to.deep.equal(['closed', 'isolated', 'closed']);
    });

    it('should release the permits of calls in flight across isolate() and reset()', () => {
      const d = new Driver({ minimumCalls: 1, openDuration: 10 });
      d.fail();
      d.at(10);
      const probe = d.hang();
      d.breaker.isolate();
      probe.unsubscribe();
      d.breaker.reset();
      expect(d.breaker.metrics()).to.include({ state: 'closed', inFlight: 0, refusals: 0 });
    });
  });

  describe('toJSON() and fromJSON()', () => {
    it('should round-trip a closed breaker with its count window through JSON', () => {
      const d = new Driver({
        name: 'api',
        minimumCalls: 3,
        window: { type: 'count', size: 3 },
        slowCallDuration: 1,
      });
      d.succeed();
      d.fail();
      d.lasting(1);
      d.at(1);
      const snapshot = JSON.parse(JSON.stringify(d.breaker)) as unknown;
      expect(snapshot).to.deep.equal({
        version: 1,
        name: 'api',
        state: 'closed',
        refusals: 0,
        window: { type: 'count', outcomes: [0, 1, 2] },
      });
      const restored = CircuitBreaker.fromJSON(snapshot, {
        minimumCalls: 3,
        window: { type: 'count', size: 3 },
        scheduler: d.clock,
      });
      expect(restored.name).to.equal('api');
      expect(restored.metrics()).to.include({ calls: 3, failures: 1, slowCalls: 1 });
      expect(restored.toJSON()).to.deep.equal(snapshot);
    });

    it('should restore an open breaker with its remaining time', () => {
      const d = new Driver({ minimumCalls: 1, openDuration: 100 });
      d.at(50);
      d.fail();
      d.at(80);
      const snapshot = d.breaker.toJSON();
      expect(snapshot).to.deep.include({ state: 'open', opening: 1, openedAt: 50, openUntil: 150 });
      const clock = new ManualClock();
      clock.advanceTo(90);
      const restored = CircuitBreaker.fromJSON(snapshot, { scheduler: clock });
      expect(restored.metrics()).to.include({ state: 'open', retryAfter: 60, opening: 1, openedAt: 50 });
      clock.advanceTo(150);
      expect(restored.state).to.equal('halfOpen');
    });

    it('should save a halfOpen breaker whose probe is running as open, and restore it probing afresh', () => {
      const d = new Driver({ minimumCalls: 1, openDuration: 10 });
      d.fail();
      d.at(12);
      d.hang(); // the only probe of the phase is taken
      expect(d.succeed()).to.equal('refused');
      const snapshot = d.breaker.toJSON();
      expect(snapshot).to.deep.include({ state: 'open', opening: 1, openedAt: 0, openUntil: 10 });
      const restored = CircuitBreaker.fromJSON(snapshot, { minimumCalls: 1, scheduler: d.clock });
      expect(restored.state).to.equal('halfOpen');
      let subscribed = 0;
      of(1)
        .pipe(circuitBreaker(restored))
        .subscribe({ complete: () => subscribed++ });
      expect(subscribed).to.equal(1);
      expect(restored.state).to.equal('closed');
    });

    it('should save openDuration Infinity as openUntil null (JSON has no Infinity)', () => {
      const d = new Driver({ minimumCalls: 1, openDuration: Infinity });
      d.fail();
      const snapshot = JSON.parse(JSON.stringify(d.breaker)) as unknown;
      expect(snapshot).to.deep.include({ openUntil: null });
      const restored = CircuitBreaker.fromJSON(snapshot, { scheduler: d.clock });
      expect(restored.metrics()).to.include({ state: 'open', retryAfter: Infinity });
    });

    it('should round-trip an isolated breaker and a time window', () => {
      const d = new Driver({ window: { type: 'time', duration: 100, buckets: 4 } });
      d.fail();
      d.at(30);
      d.succeed();
      d.breaker.isolate();
      const snapshot = JSON.parse(JSON.stringify(d.breaker)) as unknown;
      expect(snapshot).to.deep.equal({
        version: 1,
        name: 'unnamed',
        state: 'isolated',
        refusals: 0,
        window: {
          type: 'time',
          bucketDuration: 25,
          buckets: [
            { epoch: 0, calls: 1, failures: 1, slowCalls: 0 },
            { epoch: 1, calls: 1, failures: 0, slowCalls: 0 },
          ],
        },
      });
      const restored = CircuitBreaker.fromJSON(snapshot, {
        window: { type: 'time', duration: 100, buckets: 4 },
        scheduler: d.clock,
      });
      expect(restored.metrics()).to.include({ state: 'isolated', calls: 2, failures: 1 });
      d.at(100); // the first bucket leaves
      expect(restored.metrics()).to.include({ calls: 1, failures: 0 });
    });

    it('should keep the newest outcomes for a smaller count window and start empty for another shape', () => {
      const d = new Driver({ window: { type: 'count', size: 4 }, minimumCalls: 4 });
      d.fail();
      d.succeed();
      d.succeed();
      const snapshot = d.breaker.toJSON();
      const smaller = CircuitBreaker.fromJSON(snapshot, {
        window: { type: 'count', size: 2 },
        minimumCalls: 2,
        scheduler: d.clock,
      });
      expect(smaller.metrics()).to.include({ calls: 2, failures: 0 });
      const timed = CircuitBreaker.fromJSON(snapshot, {
        window: { type: 'time', duration: 1000 },
        scheduler: d.clock,
      });
      expect(timed.metrics()).to.include({ calls: 0 });
    });

    it('should prefer the config name over the snapshot name', () => {
      const snapshot = new CircuitBreaker({ name: 'old' }).toJSON();
      expect(CircuitBreaker.fromJSON(snapshot, { name: 'new' }).name).to.equal('new');
    });

    const malformed: Array<[string, unknown, string]> = [
      ['a non-object', 'open', 'config must be a circuit breaker snapshot, got "open" (string)'],
      [
        'an unknown state',
        { version: 1, name: 'a', state: 'halfOpen', refusals: 0, window: { type: 'count', outcomes: [] } },
        "`state` must be 'closed' | 'isolated' | 'open', got \"halfOpen\" (string)",
      ],
      [
        'another version and bad fields',
        { version: 2, name: 'a', state: 'closed', refusals: -1, window: { type: 'count', outcomes: [0, 4] } },
        '`version` must be the snapshot version 1, got 2 (number); `refusals` must be a non-negative integer, got -1 (number); ' +
          '`window.outcomes.1` must be an outcome code (0, 1, 2 or 3), got 4 (number)',
      ],
      [
        'an open snapshot without its times',
        {
          version: 1,
          name: 'a',
          state: 'open',
          refusals: 0,
          opening: 1,
          window: { type: 'count', outcomes: [] },
        },
        '`openedAt` must be a finite number, got undefined; `openUntil` must be a finite number or null, got undefined',
      ],
      [
        'an open snapshot ending before it opened',
        {
          version: 1,
          name: 'a',
          state: 'open',
          refusals: 0,
          opening: 1,
          openedAt: 10,
          openUntil: 5,
          window: { type: 'count', outcomes: [] },
        },
        '`openUntil` must be at least `openedAt` or null, got 5 (number)',
      ],
      [
        'a bucket with more failures than calls',
        {
          version: 1,
          name: 'a',
          state: 'closed',
          refusals: 0,
          window: {
            type: 'time',
            bucketDuration: 10,
            buckets: [{ epoch: 0, calls: 1, failures: 2, slowCalls: 0 }],
          },
        },
        '`window.buckets.0.failures` must be at most `calls`, got 2 (number)',
      ],
      [
        'an unknown key',
        {
          version: 1,
          name: 'a',
          state: 'closed',
          refusals: 0,
          window: { type: 'count', outcomes: [] },
          extra: true,
        },
        'unknown option `extra`: expected one of the known options (`version`, `name`, `refusals`, `window`, `state`), got true (boolean)',
      ],
    ];
    for (const [what, snapshot, issue] of malformed) {
      it(`should throw InvalidConfigError for ${what}`, () => {
        expect(messageOf(() => CircuitBreaker.fromJSON(snapshot))).to.equal(
          `CircuitBreaker.fromJSON: invalid config: ${issue}`,
        );
      });
    }
  });
});
