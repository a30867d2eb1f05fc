import { expect } from 'chai';
import { EmptyError, Observable, Subscriber, asyncScheduler, defer, of, type SchedulerLike } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { CircuitBreaker } from '../../src/breaker/CircuitBreaker';
import { Bulkhead } from '../../src/bulkhead/Bulkhead';
import { InvalidConfigError } from '../../src/errors/InvalidConfigError';
import { CircuitOpenError } from '../../src/errors/CircuitOpenError';
import { TimeoutExceededError, isTimeoutExceededError } from '../../src/errors/TimeoutExceededError';
import type {
  PipelineAttemptEvent,
  PipelineCallEvent,
  PipelineEvent,
} from '../../src/pipeline/PipelineEvent';
import { ResiliencePipeline } from '../../src/pipeline/ResiliencePipeline';
import { resilient } from '../../src/pipeline/resilient';
import { captureThrow } from '../helpers/captureError';
import { marbles } from '../helpers/marbles';

/** A virtual clock driven by hand, for the Promise form: flush it between turns of the microtask queue. */
function virtualClock(): TestScheduler {
  return new TestScheduler(() => undefined);
}

/**
 * Runs the virtual clock one instant at a time, letting promises settle between instants, until
 * `promise` settles (at most `rounds` instants); returns its outcome. A promise resolved at an instant is
 * seen before the clock moves on, as with a real clock.
 */
async function settle<T>(
  promise: Promise<T>,
  clock: TestScheduler,
  rounds = 50,
): Promise<{ value: T } | { error: unknown }> {
  let outcome: { value: T } | { error: unknown } | undefined;
  promise.then(
    (value) => (outcome = { value }),
    (error: unknown) => (outcome = { error }),
  );
  const turn = () => new Promise((resolve) => setImmediate(resolve));
  await turn();
  for (let i = 0; i < rounds && outcome === undefined; i++) {
    const next = clock.actions[0];
    if (next === undefined) break;
    clock.maxFrames = next.delay;
    clock.flush();
    await turn();
  }
  if (outcome === undefined) throw new Error('the call did not settle');
  return outcome;
}

/** A function for `execute` that records each attempt's signal and answers as `answer` says. */
function recorder<T>(answer: (attempt: number) => Promise<T> | T) {
  const signals: AbortSignal[] = [];
  const fn = (signal: AbortSignal): Promise<T> => {
    signals.push(signal);
    return Promise.resolve(answer(signals.length));
  };
  return { fn, signals };
}

const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

/** A source whose n-th subscription is the n-th of `attempts` (the last one repeats). */
function attemptsOf<T>(...attempts: Array<Observable<T>>): Observable<T> {
  let n = 0;
  return defer(() => attempts[Math.min(n++, attempts.length - 1)]!);
}

/** An event's type, instant, call number and outcome (none for 'start'). */
function outline(e: PipelineEvent): { type: string; at: number; call: number; outcome: string | undefined } {
  return { type: e.type, at: e.at, call: e.call, outcome: e.type === 'start' ? undefined : e.outcome };
}

describe('ResiliencePipeline', () => {
  describe('config', () => {
    it('should throw InvalidConfigError naming every bad field, with the exact message', () => {
      const error = captureThrow(
        () =>
          new ResiliencePipeline({
            name: '',
            deadline: 0,
            attemptTimeout: -1,
            breaker: {},
            bulkhead: 3,
            retry: 5,
            rateLimiter: {},
            fallback: 1,
          } as never),
      );
      expect(error).to.be.instanceOf(InvalidConfigError);
      expect((error as Error).message).to.equal(
        'ResiliencePipeline: invalid config: `name` must be a non-empty string, got "" (string); ' +
          '`deadline` must be a positive number of milliseconds, got 0 (number); ' +
          '`retry` must be a retryBackoff config (without `scheduler`), got 5 (number); ' +
          '`breaker` must be a CircuitBreaker, got {} (object); ' +
          '`bulkhead` must be a Bulkhead, got 3 (number); ' +
          '`rateLimiter` must be a RateLimiter, got {} (object); ' +
          '`attemptTimeout` must be a positive number of milliseconds, got -1 (number); ' +
          'unknown option `fallback`: expected one of the known options (`name`, `deadline`, `retry`, `hedge`, ' +
          '`breaker`, `bulkhead`, `rateLimiter`, `attemptTimeout`, `scheduler`), got 1 (number)',
      );
    });

    it('should refuse retry and hedge together, and check hedge with its own codec, under `hedge.`', () => {
      const both = captureThrow(
        () => new ResiliencePipeline({ retry: { maxRetries: 1, initialDelay: 1 }, hedge: { delay: 10 } }),
      );
      expect((both as Error).message).to.equal(
        'ResiliencePipeline: invalid config: `hedge` must be absent when `retry` is given (a call either ' +
          'retries or hedges), got {"delay":10} (object)',
      );
      const bad = captureThrow(
        () => new ResiliencePipeline({ hedge: { delay: -1, maxAttempts: 0, scheduler: 1 } } as never),
      );
      expect((bad as Error).message).to.equal(
        'ResiliencePipeline: invalid config: `hedge.delay` must be a non-negative number of milliseconds, ' +
          'got -1 (number); `hedge.maxAttempts` must be a positive integer, got 0 (number); unknown option ' +
          '`hedge.scheduler`: expected one of the known options (`delay`, `maxAttempts`, `shouldHedge`, ' +
          '`budget`), got 1 (number)',
      );
    });

    it("should check retry with retryBackoff's own codec, under `retry.`, without its scheduler", () => {
      const error = captureThrow(
        () =>
          new ResiliencePipeline({
            retry: { maxRetries: -1, initialDelay: 1, scheduler: asyncScheduler, jiter: 'none' },
          } as never),
      );
      expect((error as Error).message).to.equal(
        'ResiliencePipeline: invalid config: `retry.maxRetries` must be a non-negative integer, got -1 (number); ' +
          'unknown option `retry.scheduler`: expected one of the known options (`maxRetries`, `initialDelay`, ' +
          '`maxDelay`, `multiplier`, `jitter`, `shouldRetry`, `resetOnSuccess`, `budget`, `random`), got ' +
          '{"actions":[],"_active":false} (AsyncScheduler); ' +
          'unknown option `retry.jiter`: expected one of the known options (`maxRetries`, `initialDelay`, ' +
          '`maxDelay`, `multiplier`, `jitter`, `shouldRetry`, `resetOnSuccess`, `budget`, `random`), got "none" (string)',
      );
      expect((captureThrow(() => new ResiliencePipeline({ retry: {} } as never)) as Error).message).to.equal(
        'ResiliencePipeline: invalid config: `retry.maxRetries` must be a non-negative integer, got undefined; ' +
          '`retry.initialDelay` must be a finite non-negative number of milliseconds, got undefined',
      );
    });

    it('should refuse a config that is not an object', () => {
      expect((captureThrow(() => new ResiliencePipeline(null as never)) as Error).message).to.equal(
        'ResiliencePipeline: invalid config: config must be an object, got null',
      );
    });

    it("should take the breaker's scheduler by default, else asyncScheduler", () => {
      const clock: SchedulerLike = virtualClock();
      const breaker = new CircuitBreaker({ scheduler: clock });
      expect(new ResiliencePipeline({ breaker }).scheduler).to.equal(clock);
      expect(new ResiliencePipeline().scheduler).to.equal(asyncScheduler);
      expect(new ResiliencePipeline({ breaker, scheduler: asyncScheduler }).scheduler).to.equal(
        asyncScheduler,
      );
    });

    it('should read its stages back', () => {
      const bulkhead = new Bulkhead({ maxConcurrent: 2 });
      const pipeline = new ResiliencePipeline({ name: 'users', bulkhead, deadline: 100 });
      expect(pipeline).to.include({ name: 'users', bulkhead, breaker: undefined, deadline: 100 });
      expect(pipeline.attemptTimeout).to.equal(Infinity);
    });
  });

  describe('events$', () => {
    it(
      "should emit one 'attempt' per attempt that reached the call and one 'call' per call",
      marbles((m) => {
        const p = new ResiliencePipeline({
          name: 'users',
          attemptTimeout: 3,
          retry: { maxRetries: 2, initialDelay: 1, jitter: 'none' },
          scheduler: m.scheduler,
        });
        const events: PipelineEvent[] = [];
        p.events$.subscribe((e) => events.push(e));
        const error = new Error('down');
        // Attempt 1 errors at 1; attempt 2 (from 2) hangs until its timeout at 5; attempt 3 (from 7) answers.
        const source = attemptsOf(m.cold('-#', undefined, error), m.cold('-----'), m.cold('-a|'));
        m.expect(source.pipe(resilient(p, { key: 'k', meta: 'm' }))).toBeObservable('--------a|');
        m.flush();
        const base = { pipeline: 'users', key: 'k', meta: 'm', call: 1 };
        expect(events).to.deep.equal([
          { type: 'start', at: 0, ...base },
          { type: 'attempt', at: 1, ...base, attempt: 1, outcome: 'failure', duration: 1, error },
          {
            type: 'attempt',
            at: 5,
            ...base,
            attempt: 2,
            outcome: 'failure',
            duration: 3,
            error: (events[2] as PipelineAttemptEvent).error,
          },
          { type: 'attempt', at: 9, ...base, attempt: 3, outcome: 'success', duration: 2, error: undefined },
          { type: 'call', at: 9, ...base, outcome: 'success', attempts: 3, duration: 9, error: undefined },
        ]);
        expect(isTimeoutExceededError((events[2] as PipelineAttemptEvent).error)).to.equal(true);
      }),
    );

    it(
      'should end an attempt cut by the deadline as cancelled, and its call as a failure',
      marbles((m) => {
        const p = new ResiliencePipeline({ deadline: 4, scheduler: m.scheduler });
        const events: PipelineEvent[] = [];
        p.events$.subscribe((e) => events.push(e));
        m.expect(m.cold('------').pipe(resilient(p))).toBeObservable(
          '----#',
          undefined,
          new TimeoutExceededError({ limit: 'total', after: 4, seen: 0, meta: undefined }),
        );
        m.flush();
        expect(events.map(outline)).to.deep.equal([
          { type: 'start', at: 0, call: 1, outcome: undefined },
          { type: 'attempt', at: 4, call: 1, outcome: 'cancelled' },
          { type: 'call', at: 4, call: 1, outcome: 'failure' },
        ]);
        expect(isTimeoutExceededError((events[2] as PipelineCallEvent).error)).to.equal(true);
      }),
    );

    it(
      'should end a call the caller left as cancelled, or as a success after a value',
      marbles((m) => {
        const p = new ResiliencePipeline({ scheduler: m.scheduler });
        const events: PipelineEvent[] = [];
        p.events$.subscribe((e) => events.push(e));
        m.expect(m.cold('---a|').pipe(resilient(p)), '^-!').toBeObservable('---');
        m.expect(m.cold('-a--|').pipe(resilient(p)), '^--!').toBeObservable('-a-');
        m.flush();
        expect(events.map(outline)).to.deep.equal([
          { type: 'start', at: 0, call: 1, outcome: undefined },
          { type: 'start', at: 0, call: 2, outcome: undefined },
          { type: 'attempt', at: 2, call: 1, outcome: 'cancelled' },
          { type: 'call', at: 2, call: 1, outcome: 'cancelled' },
          { type: 'attempt', at: 3, call: 2, outcome: 'success' },
          { type: 'call', at: 3, call: 2, outcome: 'success' },
        ]);
      }),
    );

    it(
      "should emit no 'attempt' for an attempt a policy refused",
      marbles((m) => {
        const breaker = new CircuitBreaker({ scheduler: m.scheduler });
        breaker.isolate();
        const p = new ResiliencePipeline({ breaker, scheduler: m.scheduler });
        const events: PipelineEvent[] = [];
        p.events$.subscribe((e) => events.push(e));
        m.expect(m.cold('-a|').pipe(resilient(p))).toBeObservable(
          '#',
          undefined,
          new CircuitOpenError({ breaker: 'unnamed', state: 'isolated', retryAfter: Infinity }),
        );
        m.flush();
        expect(
          events.map((e) => [e.type, outline(e).outcome, e.type === 'call' && e.attempts]),
        ).to.deep.equal([
          ['start', undefined, false],
          ['call', 'failure', 0],
        ]);
      }),
    );

    it(
      "should emit 'start' inside the caller's subscribe, before attempt 1, and let its observer cancel the call",
      marbles((m) => {
        const p = new ResiliencePipeline({ scheduler: m.scheduler });
        const source = m.cold('-a|');
        const seen: string[] = [];
        let subscribing = false;
        const second = new Subscriber<string>();
        p.events$.subscribe((e) => {
          seen.push(`${e.type} ${e.call}${subscribing ? ' (in subscribe)' : ''}`);
          if (e.type === 'start' && e.call === 2) second.unsubscribe();
        });
        subscribing = true;
        source.pipe(resilient(p)).subscribe();
        source.pipe(resilient(p)).subscribe(second);
        subscribing = false;
        m.flush();
        expect(seen).to.deep.equal([
          'start 1 (in subscribe)',
          'start 2 (in subscribe)',
          'call 2 (in subscribe)',
          'attempt 1',
          'call 1',
        ]);
        m.expect(source).toHaveSubscriptions(['^-!']); // the cancelled call never subscribed its source
      }),
    );

    it(
      'should be hot: a late subscriber sees only what happens after it subscribed',
      marbles((m) => {
        const p = new ResiliencePipeline({ scheduler: m.scheduler });
        const base = { pipeline: 'pipeline', key: undefined, meta: undefined, call: 2 };
        m.expect(m.cold('-a|').pipe(resilient(p))).toBeObservable('-a|');
        m.expect(p.events$, '---^').toBeObservable('----s-(ac)', {
          s: { type: 'start', at: 4, ...base },
          a: {
            type: 'attempt',
            at: 6,
            attempt: 1,
            outcome: 'success',
            duration: 2,
            ...base,
            error: undefined,
          },
          c: { type: 'call', at: 6, outcome: 'success', attempts: 1, duration: 2, ...base, error: undefined },
        });
        m.expect(m.cold('-a|').pipe(resilient(p)), '----^').toBeObservable('-----a|');
      }),
    );
  });

  it("should give every observer a call's events in order when an observer cancels it on 'start'", () => {
    const p = new ResiliencePipeline({ scheduler: new TestScheduler(() => undefined) });
    const first: string[] = [];
    const second: string[] = [];
    const caller = new Subscriber<unknown>();
    p.events$.subscribe((e) => {
      first.push(`${e.type} ${e.call}`);
      if (e.type === 'start') caller.unsubscribe();
    });
    p.events$.subscribe((e) => second.push(`${e.type} ${e.call}`));
    new Observable<never>(() => undefined).pipe(resilient(p)).subscribe(caller);
    expect(first).to.deep.equal(['start 1', 'call 1']);
    // A plain Subject gave the second observer 'call 1' before 'start 1': a call that ends before it starts.
    expect(second).to.deep.equal(['start 1', 'call 1']);
  });

  describe('execute', () => {
    it('should resolve with the value of the promise fn returns, in one attempt', async () => {
      const clock = virtualClock();
      const p = new ResiliencePipeline({ attemptTimeout: 10, deadline: 20, scheduler: clock });
      const { fn, signals } = recorder(() => 42);
      expect(await settle(p.execute(fn), clock)).to.deep.equal({ value: 42 });
      expect(signals).to.have.length(1);
      expect(signals[0]).to.be.instanceOf(AbortSignal);
      // An attempt that completed is never aborted, not even when its timers' instants pass.
      clock.schedule(() => undefined, 30);
      clock.flush();
      expect(signals[0]!.aborted).to.equal(false);
    });

    it('should retry a rejected attempt and reject with the last error', async () => {
      const clock = virtualClock();
      const p = new ResiliencePipeline({ retry: { maxRetries: 2, initialDelay: 1 }, scheduler: clock });
      const { fn, signals } = recorder<number>((n) => Promise.reject(new Error(`down ${n}`)));
      const outcome = await settle(p.execute(fn), clock);
      expect((outcome as { error: Error }).error.message).to.equal('down 3');
      expect(signals).to.have.length(3);
      expect(signals.some((s) => s.aborted)).to.equal(false);
    });

    it("should treat a throw from fn as the attempt's error", async () => {
      const clock = virtualClock();
      const p = new ResiliencePipeline({ retry: { maxRetries: 1, initialDelay: 1 }, scheduler: clock });
      let calls = 0;
      const outcome = await settle(
        p.execute(() => {
          if (++calls === 1) throw new Error('sync');
          return Promise.resolve('second');
        }),
        clock,
      );
      expect(outcome).to.deep.equal({ value: 'second' });
    });

    it('should fail the attempt, giving back its slot and permit, when what fn returns cannot be subscribed', async () => {
      // As `defer(() => fn(signal))` in the explicit stack: `from` throws inside the subscribe, which is
      // the attempt's error (the breaker counts it), not a throw past the stages holding the attempt's slot.
      const clock = virtualClock();
      const breaker = new CircuitBreaker({ scheduler: clock });
      const bulkhead = new Bulkhead({ maxConcurrent: 1, scheduler: clock });
      const results: Array<() => unknown> = [
        () => undefined,
        () => ({
          then(): never {
            throw new Error('then threw');
          },
        }),
        () => ({
          get then(): never {
            throw new Error('then getter threw');
          },
        }),
      ];
      for (const signal of [undefined, new AbortController().signal]) {
        for (const result of results) {
          const p = new ResiliencePipeline({ breaker, bulkhead, scheduler: clock });
          const outcome = await settle(p.execute(result as () => Promise<unknown>, { signal }), clock);
          expect(outcome).to.have.property('error').that.is.instanceOf(Error);
          expect(bulkhead.metrics().active).to.equal(0);
          expect(breaker.metrics().inFlight).to.equal(0);
        }
      }
      expect(breaker.metrics().failures).to.equal(6);
    });

    it("should abort an attempt's signal at the attempt timeout, with the timeout's error as reason", async () => {
      const clock = virtualClock();
      const p = new ResiliencePipeline({
        attemptTimeout: 5,
        retry: { maxRetries: 1, initialDelay: 1 },
        scheduler: clock,
      });
      const { fn, signals } = recorder((n) => (n === 1 ? never<string>() : 'late but fine'));
      expect(await settle(p.execute(fn), clock)).to.deep.equal({ value: 'late but fine' });
      expect(signals[0]!.aborted).to.equal(true);
      expect(signals[0]!.reason).to.include({ name: 'TimeoutExceededError' });
      expect((signals[0]!.reason as { info: unknown }).info).to.deep.equal({
        limit: 'total',
        after: 5,
        seen: 0,
        meta: undefined,
      });
      expect(signals[1]!.aborted).to.equal(false);
    });

    it("should abort the running attempt's signal at the deadline, and reject with the deadline's error", async () => {
      const clock = virtualClock();
      const p = new ResiliencePipeline({ deadline: 3, scheduler: clock });
      const aborted: unknown[] = [];
      const outcome = await settle(
        p.execute((signal) => {
          signal.addEventListener('abort', () => aborted.push(signal.reason));
          return never();
        }),
        clock,
      );
      const error = (outcome as { error: unknown }).error;
      expect(isTimeoutExceededError(error) && error.info).to.deep.equal({
        limit: 'total',
        after: 3,
        seen: 0,
        meta: undefined,
      });
      expect(aborted).to.deep.equal([error]);
    });

    it("should cut the attempt with the caller's reason and reject with it when the caller aborts", async () => {
      const clock = virtualClock();
      const breaker = new CircuitBreaker({ scheduler: clock });
      const bulkhead = new Bulkhead({ maxConcurrent: 1, scheduler: clock });
      const p = new ResiliencePipeline({ breaker, bulkhead, deadline: 100, scheduler: clock });
      const controller = new AbortController();
      const { fn, signals } = recorder(() => never<string>());
      const call = p.execute(fn, { signal: controller.signal });
      await new Promise((resolve) => setImmediate(resolve));
      expect(bulkhead.active).to.equal(1);
      const reason = new Error('user navigated away');
      controller.abort(reason);
      expect(await settle(call, clock)).to.deep.equal({ error: reason });
      expect(signals[0]!.aborted).to.equal(true);
      expect(signals[0]!.reason).to.equal(reason);
      expect(bulkhead.active).to.equal(0);
      expect(breaker.metrics()).to.include({ inFlight: 0, calls: 0 });
      expect(clock.actions).to.have.length(0);
    });

    it('should not call fn when the caller has already aborted, and reject with its reason', async () => {
      const bulkhead = new Bulkhead({ maxConcurrent: 1 });
      const p = new ResiliencePipeline({ bulkhead });
      let called = false;
      const reason = new Error('too late');
      const outcome = await p
        .execute(
          () => {
            called = true;
            return Promise.resolve(1);
          },
          { signal: AbortSignal.abort(reason) },
        )
        .catch((error: unknown) => ({ error }));
      expect(outcome).to.deep.equal({ error: reason });
      expect(called).to.equal(false);
      expect(bulkhead.metrics().calls).to.equal(0);
    });

    it('should not abort an attempt that completed, nor reject, when the caller aborts afterwards', async () => {
      const clock = virtualClock();
      const p = new ResiliencePipeline({ scheduler: clock });
      const controller = new AbortController();
      const { fn, signals } = recorder(() => 'done');
      expect(await settle(p.execute(fn, { signal: controller.signal }), clock)).to.deep.equal({
        value: 'done',
      });
      controller.abort(new Error('afterwards'));
      expect(signals[0]!.aborted).to.equal(false);
    });

    it('should accept any ObservableInput from fn and resolve as lastValueFrom would', async () => {
      const clock = virtualClock();
      const p = new ResiliencePipeline({ scheduler: clock });
      expect(
        await settle(
          p.execute(() => of(1, 2, 3)),
          clock,
        ),
      ).to.deep.equal({ value: 3 });
      expect(
        await settle(
          p.execute(() => ['x', 'y']),
          clock,
        ),
      ).to.deep.equal({ value: 'y' });
      const empty = await settle(
        p.execute(() => []),
        clock,
      );
      expect((empty as { error: unknown }).error).to.be.instanceOf(EmptyError);
    });

    it('should unsubscribe an ObservableInput attempt that is cut', async () => {
      const clock = virtualClock();
      const p = new ResiliencePipeline({ attemptTimeout: 2, scheduler: clock });
      let unsubscribed = false;
      const outcome = await settle(
        p.execute(
          () =>
            new Observable<never>(() => () => {
              unsubscribed = true;
            }),
        ),
        clock,
      );
      expect(isTimeoutExceededError((outcome as { error: unknown }).error)).to.equal(true);
      expect(unsubscribed).to.equal(true);
    });

    it('should refuse a bad fn or bad options synchronously, with the exact message', () => {
      const p = new ResiliencePipeline();
      expect((captureThrow(() => p.execute('x' as never)) as Error).message).to.equal(
        'ResiliencePipeline.execute: invalid config: `fn` must be a function, got "x" (string)',
      );
      expect(
        (captureThrow(() => p.execute(() => Promise.resolve(1), { signal: {}, keyy: 1 } as never)) as Error)
          .message,
      ).to.equal(
        'ResiliencePipeline.execute: invalid config: `signal` must be an AbortSignal, got {} (object); ' +
          'unknown option `keyy`: expected one of the known options (`key`, `signal`), got 1 (number)',
      );
    });

    it('should give a function that declares the signal a native one, which AbortSignal.any follows', async () => {
      const clock = virtualClock();
      const p = new ResiliencePipeline({ attemptTimeout: 2, scheduler: clock });
      let combined: AbortSignal | undefined;
      await settle(
        p.execute((signal) => {
          combined = AbortSignal.any([signal]);
          return never();
        }),
        clock,
      );
      expect(combined!.aborted).to.equal(true);
      expect(isTimeoutExceededError(combined!.reason)).to.equal(true);
    });

    it('should still give a function that declares no parameter a signal that aborts', async () => {
      const clock = virtualClock();
      const p = new ResiliencePipeline({ attemptTimeout: 2, scheduler: clock });
      let signal: AbortSignal | undefined;
      await settle(
        p.execute(function (this: unknown) {
          // eslint-disable-next-line prefer-rest-params
          signal = arguments[0] as AbortSignal;
          return never();
        }),
        clock,
      );
      expect(signal).to.be.instanceOf(AbortSignal);
      expect(signal!.aborted).to.equal(true);
      expect(isTimeoutExceededError(signal!.reason)).to.equal(true);
    });

    it("should abort a losing hedge's signal at the instant of the win, and never the winner's", async () => {
      const clock = virtualClock();
      const p = new ResiliencePipeline({ hedge: { delay: 2, maxAttempts: 2 }, scheduler: clock });
      const { fn, signals } = recorder((n) => (n === 1 ? never<string>() : 'second'));
      expect(await settle(p.execute(fn), clock)).to.deep.equal({ value: 'second' });
      expect(signals).to.have.length(2);
      expect(signals[0]!.aborted).to.equal(true);
      expect(signals[1]!.aborted).to.equal(false);
    });

    it("should report the call's key in events$", async () => {
      const clock = virtualClock();
      const p = new ResiliencePipeline({ scheduler: clock });
      const events: PipelineEvent[] = [];
      p.events$.subscribe((e) => events.push(e));
      await settle(
        p.execute(() => Promise.resolve(1), { key: 'tenant-7' }),
        clock,
      );
      expect(events.map((e) => [e.type, e.key, outline(e).outcome])).to.deep.equal([
        ['start', 'tenant-7', undefined],
        ['attempt', 'tenant-7', 'success'],
        ['call', 'tenant-7', 'success'],
      ]);
    });
  });
});
