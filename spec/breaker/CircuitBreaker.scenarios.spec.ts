/**
 * The breaker scenarios of cockatiel, resilience4j, Polly and opossum (anchors/chaos-and-testing.md §6.2 to
 * §6.4), re-expressed as marble tests against `CircuitBreaker` + `circuitBreaker`. Each test is named after
 * the scenario it re-expresses; where this library decides differently (no queue in halfOpen, isolation
 * not reference-counted), the name says so and the test pins our documented behaviour.
 */
import { expect } from 'chai';
import { of, throwError } from 'rxjs';
import { CircuitBreaker, type CircuitBreakerConfig } from '../../src/breaker/CircuitBreaker';
import type { CircuitBreakerEvent } from '../../src/breaker/CircuitBreakerEvent';
import type { CircuitState } from '../../src/breaker/CircuitState';
import { CircuitOpenError } from '../../src/errors/CircuitOpenError';
import { InvalidConfigError } from '../../src/errors/InvalidConfigError';
import { circuitBreaker } from '../../src/operators/circuitBreaker';
import { captureThrow } from '../helpers/captureError';
import { marbles } from '../helpers/marbles';

const states: Record<string, CircuitState> = { c: 'closed', o: 'open', h: 'halfOpen', i: 'isolated' };

function refused(breaker: string, retryAfter: number, state: 'open' | 'halfOpen' | 'isolated' = 'open') {
  return new CircuitOpenError({ breaker, state, retryAfter });
}

/** Makes `n` calls that fail at once, synchronously at the start (enough to open the breakers below). */
function failAtStart(breaker: CircuitBreaker, n: number): void {
  for (let i = 0; i < n; i++) expect(captureOutcome(breaker, 'fail')).to.have.property('message', 'down');
}

// prettier-ignore
describe('CircuitBreaker scenarios', () => {
  describe('cockatiel (CircuitBreakerPolicy.test.ts: 2 consecutive failures, half-open after 1000 ms)', () => {
    /** cockatiel's ConsecutiveBreaker(2) as a count window of 2 at a 100 % failure rate. */
    const cockatiel = (config: CircuitBreakerConfig = {}) =>
      new CircuitBreaker({ name: 'ck', window: { type: 'count', size: 2 }, minimumCalls: 2, failureRateThreshold: 1, openDuration: 1000, ...config });

    it('cockatiel 1: a closed breaker passes calls through', marbles((m) => {
      const breaker = cockatiel();
      const source = m.cold('-a-b|');
      m.expect(source.pipe(circuitBreaker(breaker))).toBeObservable('-a-b|');
      m.expect(breaker.state$).toBeObservable('c', states);
    }));

    it('cockatiel 2: opens on the second failure; the third call fails without calling the function', marbles((m) => {
      const breaker = cockatiel();
      const fn = m.cold('-#');
      const third = m.cold('-a|');
      m.expect(fn.pipe(circuitBreaker(breaker)), '^').toBeObservable('-#');
      m.expect(fn.pipe(circuitBreaker(breaker)), '--^').toBeObservable('---#');
      m.expect(third.pipe(circuitBreaker(breaker)), '----^').toBeObservable('----#', undefined, refused('ck', 999));
      m.expect(fn).toHaveSubscriptions(['^!', '--^!']);
      m.expect(third).toHaveSubscriptions([]);
      m.expect(breaker.state$, '^----!').toBeObservable('c--o', states);
    }));

    it('cockatiel 3: after the half-open delay the next call is a probe; its success closes', marbles((m) => {
      const breaker = cockatiel();
      failAtStart(breaker, 2);
      m.expect(m.cold('-a|').pipe(circuitBreaker(breaker)), '1s ^').toBeObservable('1s -a|');
      m.expect(breaker.state$).toBeObservable('o 999ms h-c', states);
    }));

    it('cockatiel 4: the half-open delay follows a backoff (1000 then 2000 ms); calls before it are refused', marbles((m) => {
      const breaker = cockatiel({ openDuration: (n) => 1000 * 2 ** (n - 1) });
      failAtStart(breaker, 2);
      m.expect(m.cold('-#').pipe(circuitBreaker(breaker)), '1s ^').toBeObservable('1s -#');     // probe fails at 1001
      m.expect(m.cold('a|').pipe(circuitBreaker(breaker)), '3s ^').toBeObservable('3s #', undefined, refused('ck', 1));
      m.expect(m.cold('a|').pipe(circuitBreaker(breaker)), '3001ms ^').toBeObservable('3001ms a|');
      m.expect(breaker.state$).toBeObservable('o 999ms ho 1999ms hc', states);
    }));

    it('cockatiel 5: the backoff restarts at 1000 ms once the circuit has closed again', marbles((m) => {
      const breaker = cockatiel({ openDuration: (n) => 1000 * 2 ** (n - 1) });
      failAtStart(breaker, 2);
      m.expect(m.cold('-|').pipe(circuitBreaker(breaker)), '1s ^').toBeObservable('1s -|');     // closes at 1001
      m.expect(m.cold('#').pipe(circuitBreaker(breaker)), '1002ms ^').toBeObservable('1002ms #');
      m.expect(m.cold('#').pipe(circuitBreaker(breaker)), '1002ms ^').toBeObservable('1002ms #'); // opens at 1002 (opening 1 again)
      m.expect(breaker.state$).toBeObservable('o 999ms hco 999ms h', states);
    }));

    it('cockatiel 6 and 11: half-open admits one probe at a time; a second caller is refused, not queued', marbles((m) => {
      const breaker = cockatiel();
      failAtStart(breaker, 2);
      const probe = m.cold('--#');
      const second = m.cold('a|');
      m.expect(probe.pipe(circuitBreaker(breaker)), '1s ^').toBeObservable('1s --#');
      m.expect(second.pipe(circuitBreaker(breaker)), '1s -^').toBeObservable('1s -#', undefined, refused('ck', 0, 'halfOpen'));
      m.expect(second).toHaveSubscriptions([]);
      m.expect(breaker.state$).toBeObservable('o 999ms h-o 999ms h', states);
    }));

    it('cockatiel 7: half-open sampling of 10: 3 failures + 6 successes stay halfOpen, the 10th success closes', marbles((m) => {
      // cockatiel reopens when failures exceed 0.3; ours opens at >= the threshold, hence 0.4 here
      const breaker = cockatiel({ halfOpenCalls: 10, failureRateThreshold: 0.4 });
      failAtStart(breaker, 2);
      for (let i = 0; i < 3; i++) m.expect(m.cold('-#').pipe(circuitBreaker(breaker)), '1s ^').toBeObservable('1s -#');
      for (let i = 0; i < 6; i++) m.expect(m.cold('-|').pipe(circuitBreaker(breaker)), '1s ^').toBeObservable('1s -|');
      m.expect(m.cold('---|').pipe(circuitBreaker(breaker)), '1s ^').toBeObservable('1s ---|');
      m.expect(breaker.state$).toBeObservable('o 999ms h--c', states);
    }));

    it('cockatiel 8: half-open sampling reopens when the failures reach the threshold within the sample', marbles((m) => {
      const breaker = cockatiel({ halfOpenCalls: 10, failureRateThreshold: 0.4 });
      failAtStart(breaker, 2);
      for (let i = 0; i < 4; i++) m.expect(m.cold('-#').pipe(circuitBreaker(breaker)), '1s ^').toBeObservable('1s -#');
      for (let i = 0; i < 6; i++) m.expect(m.cold('--|').pipe(circuitBreaker(breaker)), '1s ^').toBeObservable('1s --|');
      m.expect(breaker.state$, '^ 1003ms !').toBeObservable('o 999ms h-o', states);
    }));

    it('cockatiel 10: invalid sampling options are rejected at construction', () => {
      for (const [config, issue] of [
        [{ halfOpenCalls: 0 }, '`halfOpenCalls` must be a positive integer, got 0 (number)'],
        [{ failureRateThreshold: -0.1 }, '`failureRateThreshold` must be a number in (0, 1], got -0.1 (number)'],
        [{ failureRateThreshold: NaN }, '`failureRateThreshold` must be a number in (0, 1], got NaN (number)'],
        [{ halfOpenCalls: 1.5 }, '`halfOpenCalls` must be a positive integer, got 1.5 (number)'],
      ] as const) {
        const error = captureThrow(() => new CircuitBreaker(config as CircuitBreakerConfig));
        expect(error).to.be.instanceOf(InvalidConfigError);
        expect((error as Error).message).to.equal(`CircuitBreaker: invalid config: ${issue}`);
      }
    });

    it('cockatiel 12: a failed half-open probe reopens the circuit', marbles((m) => {
      const breaker = cockatiel();
      failAtStart(breaker, 2);
      m.expect(m.cold('-#').pipe(circuitBreaker(breaker)), '1s ^').toBeObservable('1s -#');
      m.expect(m.cold('a|').pipe(circuitBreaker(breaker)), '1s --^').toBeObservable('1s --#', undefined, refused('ck', 999));
      m.expect(breaker.state$, '^ 1003ms !').toBeObservable('o 999ms ho', states);
    }));

    it('cockatiel 13: isolation refuses every call and transitions once (ours: not reference-counted, reset() ends it)', marbles((m) => {
      const breaker = cockatiel();
      const events: CircuitBreakerEvent[] = [];
      breaker.events$.subscribe((e) => events.push(e));
      const call = m.cold('a|');
      m.scheduler.schedule(() => breaker.isolate(), 1);
      m.scheduler.schedule(() => breaker.isolate(), 2);
      m.scheduler.schedule(() => breaker.reset(), 5);
      m.expect(call.pipe(circuitBreaker(breaker)), '---^').toBeObservable('---#', undefined, refused('ck', Infinity, 'isolated'));
      m.expect(call.pipe(circuitBreaker(breaker)), '-----^').toBeObservable('-----a|');
      m.expect(breaker.state$).toBeObservable('ci---c', states);
      m.flush();
      expect(events.filter((e) => e.type === 'transition').map((e) => e.type === 'transition' && e.to)).to.deep.equal(['isolated', 'closed']);
    }));

    it('cockatiel 14: cancelling the caller cancels the call (unsubscribe reaches the source)', marbles((m) => {
      const breaker = cockatiel();
      const source = m.cold('----a|');
      m.expect(source.pipe(circuitBreaker(breaker)), '^-!').toBeObservable('');
      m.expect(source).toHaveSubscriptions('^-!');
    }));

    it('cockatiel 17: state serialisation and restore for closed, counts, open with remaining time and half-open', () => {
      const closed = cockatiel();
      expect(CircuitBreaker.fromJSON(JSON.parse(JSON.stringify(closed))).state).to.equal('closed');
      let now = 0;
      const clock = { now: () => now, schedule: () => { throw new Error('no timer expected'); } } as never;
      const breaker = cockatiel({ scheduler: clock });
      for (let i = 0; i < 2; i++) captureOutcome(breaker, 'fail');
      now = 400;
      const open = JSON.parse(JSON.stringify(breaker)) as unknown;
      const restoredOpen = CircuitBreaker.fromJSON(open, { scheduler: clock });
      expect(restoredOpen.metrics()).to.include({ state: 'open', retryAfter: 600, calls: 2, failures: 2 });
      now = 1000;
      expect(breaker.state).to.equal('halfOpen');
      const halfOpen = breaker.toJSON();
      expect(halfOpen.state).to.equal('open');
      expect(CircuitBreaker.fromJSON(halfOpen, { scheduler: clock }).state).to.equal('halfOpen');
    });
  });

  describe('resilience4j (CircuitBreakerStateMachineTest: 50 % failure and slow rates, slow at 4 s, 4 half-open calls, 20 s window of min. 5 calls, open 5 s, half-open max 1 s)', () => {
    const r4j = (config: CircuitBreakerConfig = {}) =>
      new CircuitBreaker({
        name: 'r4j',
        failureRateThreshold: 0.5,
        slowCallRateThreshold: 0.5,
        slowCallDuration: 4000,
        halfOpenCalls: 4,
        window: { type: 'time', duration: 20_000 },
        minimumCalls: 5,
        openDuration: 5000,
        maxHalfOpenDuration: 1000,
        isFailure: (error) => !(error instanceof RangeError),
        ...config,
      });
    // Specs observing state$ stop at 5010: a broken breaker stuck halfOpen (max 1 s) would cycle forever.

    it('r4j 1: an open breaker refuses and counts the refused call; so does a forced-open (isolated) one', marbles((m) => {
      const breaker = r4j();
      failAtStart(breaker, 5);
      const call = m.cold('a|');
      m.expect(call.pipe(circuitBreaker(breaker)), '-^').toBeObservable('-#', undefined, refused('r4j', 4999));
      m.scheduler.schedule(() => breaker.isolate(), 2);
      m.expect(call.pipe(circuitBreaker(breaker)), '---^').toBeObservable('---#', undefined, refused('r4j', Infinity, 'isolated'));
      m.expect(call).toHaveSubscriptions([]);
      m.flush();
      expect(breaker.metrics().refusals).to.equal(2);
    }));

    it('r4j 2: half-open permits exactly 4 trial calls; a 5th is refused until one permission is released', marbles((m) => {
      const breaker = r4j();
      failAtStart(breaker, 5);
      const trial = m.cold('-');
      for (let i = 0; i < 3; i++) m.expect(trial.pipe(circuitBreaker(breaker)), '5s ^').toBeObservable('');
      m.expect(trial.pipe(circuitBreaker(breaker)), '5s ^-!').toBeObservable('');       // released at 5002
      m.expect(m.cold('a|').pipe(circuitBreaker(breaker)), '5s -^').toBeObservable('5s -#', undefined, refused('r4j', 0, 'halfOpen'));
      m.expect(m.cold('a|').pipe(circuitBreaker(breaker)), '5s --^').toBeObservable('5s --a|');
    }));

    it('r4j 3: opens once the minimum number of calls is reached and the failure rate reaches 50 % (3 of 5)', marbles((m) => {
      const breaker = r4j();
      ['#', '|', '#', '|'].forEach((outcome) => m.expect(m.cold(outcome).pipe(circuitBreaker(breaker))).toBeObservable(outcome));
      m.expect(m.cold('-#').pipe(circuitBreaker(breaker))).toBeObservable('-#');
      m.expect(breaker.state$, '^-!').toBeObservable('co', states);
    }));

    it('r4j 3b: opens over time in the time window, with calls one second apart', marbles((m) => {
      const breaker = r4j();
      ['#', '#', '|', '|', '#'].forEach((outcome, i) =>
        m.expect(m.cold(outcome).pipe(circuitBreaker(breaker)), `${i}s ^`).toBeObservable(`${i}s ${outcome}`));
      m.expect(breaker.state$, '^ 4s !').toBeObservable('c 3999ms o', states);
    }));

    it('r4j 4: opens on the slow-call rate when no call failed (3 of 5 slower than 4 s)', marbles((m) => {
      const breaker = r4j();
      for (const duration of ['4s', '4s', '4s', '1s', '1s']) {
        m.expect(m.cold(`${duration} |`).pipe(circuitBreaker(breaker))).toBeObservable(`${duration} |`);
      }
      m.expect(breaker.state$, '^ 4s !').toBeObservable('c 3999ms o', states);
      m.flush();
      expect(breaker.metrics()).to.include({ failures: 0, slowCalls: 3, calls: 5 });
    }));

    it('r4j 5: open -> half-open only after the wait duration (still open at 3 s, half-open at 6 s)', marbles((m) => {
      const breaker = r4j();
      failAtStart(breaker, 5);
      const seen: string[] = [];
      m.scheduler.schedule(() => seen.push(breaker.state), 3000);
      m.scheduler.schedule(() => seen.push(breaker.state), 5500);
      m.flush();
      expect(seen).to.deep.equal(['open', 'halfOpen']);
    }));

    it('r4j 5b: an exponential wait function (5 s, then 7.5 s)', marbles((m) => {
      const breaker = r4j({ openDuration: (n) => 5000 * 1.5 ** (n - 1), maxHalfOpenDuration: Infinity, halfOpenCalls: 1 });
      failAtStart(breaker, 5);
      m.expect(m.cold('#').pipe(circuitBreaker(breaker)), '5s ^').toBeObservable('5s #');
      m.expect(breaker.state$).toBeObservable('o 4999ms (ho) 7496ms h', states);
    }));

    it('r4j 6: half-open -> open when the trial failure rate reaches the threshold (2 of 4)', marbles((m) => {
      const breaker = r4j();
      failAtStart(breaker, 5);
      for (const outcome of ['-#', '-#', '-|', '--|']) {
        m.expect(m.cold(outcome).pipe(circuitBreaker(breaker)), '5s ^').toBeObservable(`5s ${outcome}`);
      }
      m.expect(breaker.state$, '^ 5002ms !').toBeObservable('o 4999ms h-o', states);
    }));

    it('r4j 6b: half-open -> open when the trial slow-call rate reaches the threshold', marbles((m) => {
      const breaker = r4j({ maxHalfOpenDuration: 10_000 });
      failAtStart(breaker, 5);
      for (const outcome of ['4s |', '4s |', '|', '|']) {
        m.expect(m.cold(outcome).pipe(circuitBreaker(breaker)), '5s ^').toBeObservable(`5s ${outcome}`);
      }
      m.expect(breaker.state$, '^ 9s !').toBeObservable('o 4999ms h 3999ms o', states);
    }));

    it('r4j 6c: half-open -> closed when both trial rates are below the thresholds (1 of 4)', marbles((m) => {
      const breaker = r4j();
      failAtStart(breaker, 5);
      for (const outcome of ['-#', '-|', '-|', '--|']) {
        m.expect(m.cold(outcome).pipe(circuitBreaker(breaker)), '5s ^').toBeObservable(`5s ${outcome}`);
      }
      m.expect(breaker.state$, '^ 5010ms !').toBeObservable('o 4999ms h-c', states);
    }));

    it('r4j 7 and 9: reset() clears the metrics and returns to closed from any state', marbles((m) => {
      const breaker = r4j();
      failAtStart(breaker, 5);
      m.scheduler.schedule(() => breaker.reset(), 1);
      m.scheduler.schedule(() => breaker.isolate(), 2);
      m.scheduler.schedule(() => breaker.reset(), 3);
      m.expect(breaker.state$).toBeObservable('ocic', states);
      m.flush();
      expect(breaker.metrics()).to.include({ calls: 0, failures: 0, refusals: 0, opening: 0 });
    }));

    it('r4j 8: an ignored exception releases the permission and counts as neither, in half-open too', marbles((m) => {
      const breaker = r4j({ halfOpenCalls: 1 });
      const ignored = new RangeError('not found');
      for (let i = 0; i < 5; i++) {
        let error: unknown;
        throwError(() => ignored).pipe(circuitBreaker(breaker)).subscribe({ error: (e: unknown) => (error = e) });
        expect(error).to.equal(ignored);
      }
      expect(breaker.metrics()).to.include({ state: 'closed', calls: 0, inFlight: 0 });
      failAtStart(breaker, 5);
      m.expect(m.cold('-#', undefined, ignored).pipe(circuitBreaker(breaker)), '5s ^').toBeObservable('5s -#', undefined, ignored);
      m.expect(m.cold('|').pipe(circuitBreaker(breaker)), '5s --^').toBeObservable('5s --|');
      m.expect(breaker.state$, '^ 5010ms !').toBeObservable('o 4999ms h-c', states);
    }));

    it('r4j 12: half-open -> open when the max wait in half-open expires without enough trial calls', marbles((m) => {
      const breaker = r4j();
      failAtStart(breaker, 5);
      m.expect(m.cold('-|').pipe(circuitBreaker(breaker)), '5s ^').toBeObservable('5s -|');   // 1 of 4 trials only
      m.expect(breaker.state$, '^ 6s !').toBeObservable('o 4999ms h 999ms o', states);
    }));

    it('r4j 13: the breaker can be created directly in the open state', () => {
      const clock = { now: () => 1000, schedule: () => { throw new Error('no timer expected'); } } as never;
      const snapshot = { version: 1, name: 'r4j', state: 'open', refusals: 0, opening: 1, openedAt: 0, openUntil: 5000, window: { type: 'count', outcomes: [] } };
      const breaker = CircuitBreaker.fromJSON(snapshot, { scheduler: clock });
      expect(breaker.metrics()).to.include({ state: 'open', opening: 1, openedAt: 0, retryAfter: 4000 });
      expect(captureOutcome(breaker, 'succeed')).to.be.instanceOf(CircuitOpenError);
    });

    it('r4j RxJava3 ObserverCircuitBreakerTest: disposing a delayed call releases the permission and records neither', marbles((m) => {
      const breaker = r4j({ halfOpenCalls: 1 });
      failAtStart(breaker, 5);
      const delayed = m.cold('--a|');
      m.expect(delayed.pipe(circuitBreaker(breaker)), '5s ^!').toBeObservable('');
      m.expect(delayed.pipe(circuitBreaker(breaker)), '5s -^').toBeObservable('5s ---a|');
      m.expect(delayed).toHaveSubscriptions(['5s ^!', '5s -^--!']);
      m.expect(breaker.state$, '^ 5010ms !').toBeObservable('o 4999ms h---c', states);
    }));
  });

  describe('Polly (CircuitStateControllerTests.cs)', () => {
    const polly = (config: CircuitBreakerConfig = {}) =>
      new CircuitBreaker({ name: 'polly', window: { type: 'count', size: 1 }, minimumCalls: 1, openDuration: 5, ...config });

    it('Polly: isolate and close manually', marbles((m) => {
      const breaker = polly();
      m.scheduler.schedule(() => breaker.isolate(), 1);
      m.scheduler.schedule(() => breaker.reset(), 3);
      m.expect(m.cold('a|').pipe(circuitBreaker(breaker)), '--^').toBeObservable('--#', undefined, refused('polly', Infinity, 'isolated'));
      m.expect(breaker.state$).toBeObservable('ci-c', states);
    }));

    it('Polly: refusals while open do not grow: each is a fresh error with the same message', () => {
      const breaker = polly({ openDuration: 1e9 });
      captureOutcome(breaker, 'fail');
      const errors = [1, 2, 3].map(() => captureOutcome(breaker, 'succeed'));
      expect(new Set(errors).size).to.equal(3);
      for (const error of errors) {
        expect(error).to.be.instanceOf(CircuitOpenError);
        expect((error as Error).message).to.match(/^Circuit breaker "polly" is open: call refused \(retry after \d+ms\)$/);
      }
    });

    it('Polly: half-open honours the break duration and only one half-open execution runs', marbles((m) => {
      const breaker = polly();
      failAtStart(breaker, 1);
      const call = m.cold('--a|');
      m.expect(call.pipe(circuitBreaker(breaker)), '----^').toBeObservable('----#', undefined, refused('polly', 1));
      m.expect(call.pipe(circuitBreaker(breaker)), '-----^').toBeObservable('-------a|');
      m.expect(call.pipe(circuitBreaker(breaker)), '------^').toBeObservable('------#', undefined, refused('polly', 0, 'halfOpen'));
      m.expect(call).toHaveSubscriptions(['-----^--!']);
    }));

    it('Polly: a break-duration generator gives per-attempt durations without overflow', marbles((m) => {
      const breaker = polly({ openDuration: (n) => (n === 1 ? 2 : Number.MAX_VALUE) });
      failAtStart(breaker, 1);
      m.expect(m.cold('#').pipe(circuitBreaker(breaker)), '--^').toBeObservable('--#');
      m.expect(breaker.state$, '^--!').toBeObservable('o-(ho)', states);
      m.flush();
      const { retryAfter, state } = breaker.metrics();
      expect(state).to.equal('open');
      expect(retryAfter).to.be.greaterThan(1e300);
      expect(Number.isNaN(retryAfter)).to.equal(false);
    }));

    it('Polly: flow Closed -> Open -> HalfOpen -> Closed', marbles((m) => {
      const breaker = polly();
      m.expect(m.cold('-#').pipe(circuitBreaker(breaker))).toBeObservable('-#');
      m.expect(m.cold('|').pipe(circuitBreaker(breaker)), '------^').toBeObservable('------|');
      m.expect(breaker.state$).toBeObservable('co----(hc)', states);
    }));

    it('Polly: flow Closed -> Open -> HalfOpen -> Open -> HalfOpen -> Closed', marbles((m) => {
      const breaker = polly();
      m.expect(m.cold('-#').pipe(circuitBreaker(breaker))).toBeObservable('-#');
      m.expect(m.cold('#').pipe(circuitBreaker(breaker)), '------^').toBeObservable('------#');
      m.expect(m.cold('|').pipe(circuitBreaker(breaker)), '-----------^').toBeObservable('-----------|');
      m.expect(breaker.state$).toBeObservable('co----(ho)-(hc)', states);
    }));
  });

  describe('opossum (test/*.js)', () => {
    const opossum = (config: CircuitBreakerConfig = {}) =>
      new CircuitBreaker({ name: 'op', window: { type: 'count', size: 10 }, minimumCalls: 3, openDuration: 10, ...config });

    it('opossum: half-open lets only one request through', marbles((m) => {
      const breaker = opossum();
      failAtStart(breaker, 3);
      const request = m.cold('--a|');
      for (let i = 0; i < 3; i++) m.expect(request.pipe(circuitBreaker(breaker)), '10ms ^').toBeObservable(i === 0 ? '10ms --a|' : '10ms #', undefined, refused('op', 0, 'halfOpen'));
      m.expect(request).toHaveSubscriptions(['10ms ^--!']);
    }));

    it('opossum: volume threshold: no trip before minimumCalls outcomes, and none needed in half-open', marbles((m) => {
      const breaker = opossum();
      failAtStart(breaker, 2);
      m.expect(m.cold('-#').pipe(circuitBreaker(breaker)), '--^').toBeObservable('---#');       // 3rd outcome: opens
      m.expect(m.cold('#').pipe(circuitBreaker(breaker)), '13ms ^').toBeObservable('13ms #');   // one probe decides
      m.expect(breaker.state$, '^ 14ms !').toBeObservable('c--o 9ms (ho)', states);
    }));

    it('opossum: an error filter lets filtered errors through to the caller without counting them (ours: not as success either)', marbles((m) => {
      const breaker = opossum({ minimumCalls: 1, isFailure: (e) => e !== 'filtered' });
      for (let i = 0; i < 3; i++) {
        m.expect(m.cold('-#', undefined, 'filtered').pipe(circuitBreaker(breaker)), `${i}ms ^`).toBeObservable(`${i + 1}ms #`, undefined, 'filtered');
      }
      m.expect(breaker.state$).toBeObservable('c', states);
      m.flush();
      expect(breaker.metrics()).to.include({ calls: 0 });
    }));

    it('opossum: a filtered error in half-open does not reopen the circuit (ours: the permit goes back, the next probe decides)', marbles((m) => {
      const breaker = opossum({ isFailure: (e) => e !== 'filtered' });
      failAtStart(breaker, 3);
      m.expect(m.cold('#', undefined, 'filtered').pipe(circuitBreaker(breaker)), '10ms ^').toBeObservable('10ms #', undefined, 'filtered');
      m.expect(m.cold('|').pipe(circuitBreaker(breaker)), '11ms ^').toBeObservable('11ms |');
      m.expect(breaker.state$).toBeObservable('o 9ms h c', states);
    }));

    it('opossum: state export and import', () => {
      const breaker = opossum({ minimumCalls: 3 });
      captureOutcome(breaker, 'fail');
      captureOutcome(breaker, 'succeed');
      const restored = CircuitBreaker.fromJSON(JSON.parse(JSON.stringify(breaker)), { window: { type: 'count', size: 10 } });
      expect(restored.metrics()).to.include({ calls: 2, failures: 1 });
      expect(restored.name).to.equal('op');
    });
  });
});

/** Makes one synchronous call through `breaker`; returns the error it ended with, if any. */
function captureOutcome(breaker: CircuitBreaker, outcome: 'succeed' | 'fail'): unknown {
  let error: unknown;
  const source = outcome === 'succeed' ? of(1) : throwError(() => new Error('down'));
  source.pipe(circuitBreaker(breaker)).subscribe({ error: (e: unknown) => (error = e) });
  return error;
}
