import { expect } from 'chai';
import {
  EMPTY,
  NEVER,
  Observable,
  Subject,
  catchError,
  concat,
  defer,
  first,
  firstValueFrom,
  map,
  mergeMap,
  of,
  retry,
  take,
  takeUntil,
  throwError,
  timer,
} from 'rxjs';
import { CircuitBreaker, type CircuitBreakerConfig } from '../../src/breaker/CircuitBreaker';
import type { CircuitBreakerEvent } from '../../src/breaker/CircuitBreakerEvent';
import { circuitBreaker } from '../../src/operators/circuitBreaker';
import { CircuitOpenError, isCircuitOpenError } from '../../src/errors/CircuitOpenError';
import { InvalidConfigError } from '../../src/errors/InvalidConfigError';
import { captureError, captureThrow } from '../helpers/captureError';
import { firehose } from '../helpers/firehose';
import { marbles } from '../helpers/marbles';
import { ManualClock } from '../breaker/manualClock';

/** Opens after 2 outcomes of which >= 50 % failed; open for 5 ms. */
function smallBreaker(config: CircuitBreakerConfig = {}): CircuitBreaker {
  return new CircuitBreaker({
    minimumCalls: 2,
    window: { type: 'count', size: 2 },
    openDuration: 5,
    ...config,
  });
}

function refused(retryAfter: number, state: 'open' | 'halfOpen' | 'isolated' = 'open', breaker = 'unnamed') {
  return new CircuitOpenError({ breaker, state, retryAfter });
}

// prettier-ignore
describe('circuitBreaker', () => {
  describe('standard battery', () => {
    it('should pass values and completion through', marbles((m) => {
      const breaker = new CircuitBreaker();
      const source =   m.cold('-a-b-c|');
      const subs =            '^-----!';
      const expected =        '-a-b-c|';
      m.expect(source.pipe(circuitBreaker(breaker))).toBeObservable(expected);
      m.expect(source).toHaveSubscriptions(subs);
    }));

    it('should pass foreign errors through untouched', marbles((m) => {
      const breaker = new CircuitBreaker();
      const source =   m.cold('-a-#', undefined, new TypeError('upstream'));
      const expected =        '-a-#';
      m.expect(source.pipe(circuitBreaker(breaker))).toBeObservable(expected, undefined, new TypeError('upstream'));
    }));

    it('should unsubscribe the source on early unsubscribe and give the permit back', marbles((m) => {
      const breaker = smallBreaker();
      const source =   m.cold('--a-b-c|');
      const unsub =           '^-!';
      const subs =            '^-!';
      const expected =        '---';
      m.expect(source.pipe(circuitBreaker(breaker)), unsub).toBeObservable(expected);
      m.expect(source).toHaveSubscriptions(subs);
      m.flush();
      // left before any value: recorded as nothing
      expect(breaker.metrics()).to.include({ inFlight: 0, calls: 0 });
    }));

    it('should not break unsubscription chains', () => {
      const breaker = new CircuitBreaker();
      const emitted: number[] = [];
      const seen: number[] = [];
      firehose(1000, emitted)
        .pipe(mergeMap((x) => of(x)), circuitBreaker(breaker), mergeMap((x) => of(x)), take(2))
        .subscribe((v) => seen.push(v));
      expect(seen).to.deep.equal([0, 1]);
      expect(emitted).to.deep.equal([0, 1]);
      // left after its values: one success
      expect(breaker.metrics()).to.include({ inFlight: 0, calls: 1, failures: 0 });
    });

    it('should stop a synchronous source when downstream take(n) unsubscribes', () => {
      const breaker = new CircuitBreaker();
      const emitted: number[] = [];
      const seen: number[] = [];
      firehose(1000, emitted).pipe(circuitBreaker(breaker), take(3)).subscribe((v) => seen.push(v));
      expect(seen).to.deep.equal([0, 1, 2]);
      expect(emitted).to.deep.equal([0, 1, 2]);
    });

    it('should error the call with what a throwing isFailure threw, and count it as a failure', marbles((m) => {
      const breaker = smallBreaker({
        minimumCalls: 1,
        isFailure: () => {
          throw new Error('isFailure broke');
        },
      });
      const source =   m.cold('--#');
      const expected =        '--#';
      m.expect(source.pipe(circuitBreaker(breaker))).toBeObservable(expected, undefined, new Error('isFailure broke'));
      m.flush();
      expect(breaker.state).to.equal('open');
      expect(breaker.metrics()).to.include({ inFlight: 0, failures: 1 });
    }));

    it('should make each subscription an independent call', marbles((m) => {
      const breaker = new CircuitBreaker({ halfOpenCalls: 2 });
      const source =   m.cold('--a|');
      const call = source.pipe(circuitBreaker(breaker));
      m.expect(call, '^-!').toBeObservable('---');
      m.expect(call, '-^').toBeObservable('---a|');
      m.expect(source).toHaveSubscriptions(['^-!', '-^--!']);
      m.flush();
      expect(breaker.metrics()).to.include({ inFlight: 0, calls: 1, failures: 0 });
    }));

    it('should read time from an explicit scheduler', marbles((m) => {
      const breaker = smallBreaker({ scheduler: m.scheduler, slowCallDuration: 3, slowCallRateThreshold: 1 });
      const slow =     m.cold('---a|');
      m.expect(slow.pipe(circuitBreaker(breaker)), '^').toBeObservable('---a|');
      m.expect(slow.pipe(circuitBreaker(breaker)), '^').toBeObservable('---a|');
      m.expect(breaker.state$).toBeObservable('s---o----h', { s: 'closed', o: 'open', h: 'halfOpen' });
    }));

    it('should throw InvalidConfigError with the exact message for a bad breaker or config', () => {
      const notABreaker = captureThrow(() => circuitBreaker({ state: 'closed' } as never));
      expect(notABreaker).to.be.instanceOf(InvalidConfigError);
      expect((notABreaker as Error).message).to.equal(
        'circuitBreaker: invalid config: `breaker` must be a CircuitBreaker, got {"state":"closed"} (object)',
      );
      const badOption = captureThrow(() =>
        circuitBreaker(new CircuitBreaker(), { successOn: 'first', when: 1 } as never),
      );
      expect((badOption as Error).message).to.equal(
        "circuitBreaker: invalid config: `successOn` must be 'complete' | 'firstValue', got \"first\" (string); " +
          'unknown option `when`: expected one of the known options (`successOn`), got 1 (number)',
      );
    });
  });

  describe('§2.4 rule 1: one subscription is one call, admitted or refused at subscribe time', () => {
    it('should refuse a call at once with CircuitOpenError while open, never subscribing the source', marbles((m) => {
      const breaker = smallBreaker();
      const failing =  m.cold('--#');
      const healthy =  m.cold('-a|');
      m.expect(failing.pipe(circuitBreaker(breaker)), '^').toBeObservable('--#');
      m.expect(failing.pipe(circuitBreaker(breaker)), '--^').toBeObservable('----#');
      // opened at 4 until 9: a call at 6 is refused with retryAfter 3
      m.expect(healthy.pipe(circuitBreaker(breaker)), '------^').toBeObservable('------#', undefined, refused(3));
      m.expect(failing).toHaveSubscriptions(['^-!', '--^-!']);
      m.expect(healthy).toHaveSubscriptions([]);
    }));

    it('should give the exact retryAfter in the error info', () => {
      const error = captureError(() => {
        const breaker = smallBreaker({ name: 'prices', minimumCalls: 1, openDuration: 10 });
        const fail = throwError(() => new Error('down')).pipe(circuitBreaker(breaker));
        return concat(fail.pipe(catchError(() => EMPTY)), timer(3), defer(() => of(1).pipe(circuitBreaker(breaker))));
      });
      expect((error as CircuitOpenError).info).to.deep.equal({ breaker: 'prices', state: 'open', retryAfter: 7 });
    });

    it('should count every subscription of the same observable as its own call', marbles((m) => {
      const breaker = smallBreaker();
      const failing = m.cold('-#');
      const call = failing.pipe(circuitBreaker(breaker));
      m.expect(call, '^').toBeObservable('-#');
      m.expect(call, '^').toBeObservable('-#');
      m.expect(call, '--^').toBeObservable('--#', undefined, refused(4));
      m.expect(failing).toHaveSubscriptions(['^!', '^!']);
    }));
  });

  describe('§2.4 rule 2: what counts as success, failure, nothing and slow', () => {
    it('should record a completion as a success and an error as a failure', marbles((m) => {
      const breaker = new CircuitBreaker({ minimumCalls: 3, window: { type: 'count', size: 3 } });
      m.expect(m.cold('-a|').pipe(circuitBreaker(breaker))).toBeObservable('-a|');
      m.expect(m.cold('--#').pipe(circuitBreaker(breaker))).toBeObservable('--#');
      m.expect(m.cold('---#').pipe(circuitBreaker(breaker))).toBeObservable('---#');
      m.flush();
      expect(breaker.metrics()).to.include({ calls: 3, failures: 2, state: 'open' });
    }));

    it('should pass an error isFailure rejects through without recording it', marbles((m) => {
      const breaker = smallBreaker({ minimumCalls: 1, isFailure: (e) => !(e instanceof RangeError) });
      const ignored = m.cold('-#', undefined, new RangeError('not found'));
      m.expect(ignored.pipe(circuitBreaker(breaker))).toBeObservable('-#', undefined, new RangeError('not found'));
      m.flush();
      expect(breaker.metrics()).to.include({ state: 'closed', calls: 0, failures: 0, inFlight: 0 });
    }));

    it('should record nothing for a call unsubscribed before its outcome', marbles((m) => {
      const breaker = smallBreaker({ minimumCalls: 1 });
      const hanging = m.cold('----#');
      m.expect(hanging.pipe(circuitBreaker(breaker)), '^-!').toBeObservable('---');
      m.expect(hanging).toHaveSubscriptions('^-!');
      m.flush();
      expect(breaker.metrics()).to.include({ state: 'closed', calls: 0, inFlight: 0 });
    }));

    it('should mark a call lasting >= slowCallDuration as slow, and open on the slow-call rate', marbles((m) => {
      const breaker = smallBreaker({ slowCallDuration: 3, slowCallRateThreshold: 1 });
      m.expect(m.cold('--a|').pipe(circuitBreaker(breaker))).toBeObservable('--a|');  // 3 ms: slow
      m.expect(m.cold('-a|').pipe(circuitBreaker(breaker))).toBeObservable('-a|');    // 2 ms: not slow
      m.expect(m.cold('---|').pipe(circuitBreaker(breaker)), '---^').toBeObservable('------|'); // slow
      m.expect(breaker.state$).toBeObservable('c-----o----h', { c: 'closed', o: 'open', h: 'halfOpen' });
    }));

    it('should count calls taken with firstValueFrom as successes: 20 good calls, then 4 failures, stays closed', async () => {
      const breaker = new CircuitBreaker({ minimumCalls: 4 });
      // the dependency answers, then keeps its stream open (a keep-alive): the caller leaves after the answer
      const price$ = () => concat(of(42), NEVER).pipe(circuitBreaker(breaker));
      const broken$ = () => throwError(() => new Error('down')).pipe(circuitBreaker(breaker));
      for (let i = 0; i < 20; i++) expect(await firstValueFrom(price$())).to.equal(42);
      for (let i = 0; i < 4; i++) await firstValueFrom(broken$()).catch(() => undefined);
      // the window holds the last 20 outcomes: 16 successes and 4 failures (20 %)
      expect(breaker.metrics()).to.include({ state: 'closed', calls: 20, failures: 4, inFlight: 0 });
    });

    it('should count a call left after its first value (take(1), first()) as a success timed to that value', marbles((m) => {
      const breaker = smallBreaker({ slowCallDuration: 3, slowCallRateThreshold: 1 });
      const events: CircuitBreakerEvent[] = [];
      breaker.events$.subscribe((e) => events.push(e));
      const quick =   m.cold('-a----b|');
      const slow =    m.cold('---a--b|');
      m.expect(quick.pipe(circuitBreaker(breaker), take(1))).toBeObservable('-(a|)');
      m.expect(slow.pipe(circuitBreaker(breaker), first()), '--^').toBeObservable('-----(a|)');
      m.expect(quick).toHaveSubscriptions('^!');
      m.expect(slow).toHaveSubscriptions('--^--!');
      m.flush();
      expect(events.filter((e) => e.type === 'success')).to.deep.equal([
        { type: 'success', at: 1, duration: 1, slow: false, counted: true },
        { type: 'success', at: 5, duration: 3, slow: true, counted: true },
      ]);
      expect(breaker.metrics()).to.include({ state: 'closed', calls: 2, failures: 0, slowCalls: 1, inFlight: 0 });
    }));

    it('should time an unsubscribe after a value to the first value, not to the unsubscribe', marbles((m) => {
      const breaker = smallBreaker({ minimumCalls: 1, slowCallDuration: 3, slowCallRateThreshold: 1 });
      const stream =  m.cold('-a-b-c-d-');
      m.expect(stream.pipe(circuitBreaker(breaker)), '^------!').toBeObservable('-a-b-c-');
      m.flush();
      // answered at 1, left at 7: a success of 1 ms, not a slow call of 7 ms
      expect(breaker.metrics()).to.include({ state: 'closed', calls: 1, slowCalls: 0, inFlight: 0 });
    }));

    it('should record an error after values as a failure (the call did not end well)', marbles((m) => {
      const breaker = smallBreaker({ minimumCalls: 1 });
      m.expect(m.cold('-a-#').pipe(circuitBreaker(breaker))).toBeObservable('-a-#');
      m.flush();
      expect(breaker.metrics()).to.include({ state: 'open', calls: 1, failures: 1, inFlight: 0 });
    }));

    it('should close on a halfOpen probe taken with take(1)', marbles((m) => {
      const breaker = smallBreaker({ minimumCalls: 1, openDuration: 2 });
      m.expect(m.cold('#').pipe(circuitBreaker(breaker))).toBeObservable('#');
      const probe =   m.cold('-a-b|');
      m.expect(probe.pipe(circuitBreaker(breaker), take(1)), '--^').toBeObservable('---(a|)');
      m.expect(probe).toHaveSubscriptions('--^!');
      m.expect(breaker.state$, '-^').toBeObservable('-ohc', { o: 'open', h: 'halfOpen', c: 'closed' });
    }));

    it('should count success at the first value with successOn: firstValue (long-lived streams)', marbles((m) => {
      const breaker = smallBreaker({ minimumCalls: 1 });
      const events = m.cold('-a--b--c--#');
      const expected =      '-a--b--c--#';
      m.expect(events.pipe(circuitBreaker(breaker, { successOn: 'firstValue' }))).toBeObservable(expected);
      m.flush();
      // the later error passed through but was not recorded: one success, no failure
      expect(breaker.metrics()).to.include({ state: 'closed', calls: 1, failures: 0, inFlight: 0 });
    }));
  });

  describe('§2.4 rule 3: closed opens on the window once it holds minimumCalls outcomes', () => {
    it('should not open before minimumCalls outcomes, then open when the failure rate reaches the threshold', marbles((m) => {
      const breaker = new CircuitBreaker({ minimumCalls: 3, window: { type: 'count', size: 10 }, openDuration: 100 });
      const fail = m.cold('-#');
      m.expect(fail.pipe(circuitBreaker(breaker)), '^').toBeObservable('-#');
      m.expect(fail.pipe(circuitBreaker(breaker)), '-^').toBeObservable('--#');
      m.expect(fail.pipe(circuitBreaker(breaker)), '--^').toBeObservable('---#');
      m.expect(breaker.state$).toBeObservable('c--o 99ms h', { c: 'closed', o: 'open', h: 'halfOpen' });
    }));

    it('should not open below the failure-rate threshold', marbles((m) => {
      const breaker = new CircuitBreaker({ minimumCalls: 4, window: { type: 'count', size: 4 }, failureRateThreshold: 0.75 });
      m.expect(m.cold('-#').pipe(circuitBreaker(breaker)), '^').toBeObservable('-#');
      m.expect(m.cold('-#').pipe(circuitBreaker(breaker)), '-^').toBeObservable('--#');
      m.expect(m.cold('-|').pipe(circuitBreaker(breaker)), '--^').toBeObservable('---|');
      m.expect(m.cold('-|').pipe(circuitBreaker(breaker)), '---^').toBeObservable('----|');
      m.expect(breaker.state$).toBeObservable('c', { c: 'closed' });
    }));

    it('should keep only the last size outcomes in a count window (old successes leave it)', marbles((m) => {
      const breaker = new CircuitBreaker({ minimumCalls: 3, window: { type: 'count', size: 3 }, failureRateThreshold: 1 });
      // s s s f f f: only the last 3 outcomes are all failures (over all 6 the rate would be 50 %)
      ['-|', '-|', '-|', '-#', '-#', '-#'].forEach((outcome, i) => {
        m.expect(m.cold(outcome).pipe(circuitBreaker(breaker)), `${2 * i}ms ^`).toBeObservable(`${2 * i + 1}ms ${outcome[1]}`);
      });
      m.expect(breaker.state$).toBeObservable('c 10ms o 29999ms h', { c: 'closed', o: 'open', h: 'halfOpen' });
    }));

    it('should keep only the outcomes of the last duration ms in a time window', marbles((m) => {
      const breaker = new CircuitBreaker({
        minimumCalls: 2,
        window: { type: 'time', duration: 10, buckets: 10 },
        openDuration: 100,
      });
      const fail = m.cold('#');
      m.expect(fail.pipe(circuitBreaker(breaker)), '^').toBeObservable('#');
      // 10 ms later the first failure has left the window: one outcome only, still closed
      m.expect(fail.pipe(circuitBreaker(breaker)), '10ms ^').toBeObservable('10ms #');
      // 9 ms after that both failures are in the window: opens
      m.expect(fail.pipe(circuitBreaker(breaker)), '19ms ^').toBeObservable('19ms #');
      m.expect(breaker.state$).toBeObservable('c 18ms o 99ms h', { c: 'closed', o: 'open', h: 'halfOpen' });
    }));

    it('should let an outcome leave a bucketed time window up to one bucket early, never earlier', () => {
      const clock = new ManualClock();
      const breaker = new CircuitBreaker({ window: { type: 'time', duration: 100, buckets: 4 }, minimumCalls: 2, scheduler: clock });
      clock.advanceTo(24); // bucket [0, 25)
      of(1).pipe(circuitBreaker(breaker)).subscribe();
      clock.advanceTo(99);
      expect(breaker.metrics().calls).to.equal(1);
      clock.advanceTo(100); // its bucket leaves at 100: 76 ms after the outcome, within one bucket of 100 ms
      expect(breaker.metrics().calls).to.equal(0);
      expect(clock.scheduled).to.equal(0);
    });

    it('should open on the failure rate as soon as it reaches the threshold (>=)', marbles((m) => {
      const breaker = new CircuitBreaker({ minimumCalls: 4, window: { type: 'count', size: 4 }, failureRateThreshold: 0.5 });
      m.expect(m.cold('-|').pipe(circuitBreaker(breaker)), '^').toBeObservable('-|');
      m.expect(m.cold('-|').pipe(circuitBreaker(breaker)), '-^').toBeObservable('--|');
      m.expect(m.cold('-#').pipe(circuitBreaker(breaker)), '--^').toBeObservable('---#');
      m.expect(m.cold('-#').pipe(circuitBreaker(breaker)), '---^').toBeObservable('----#');
      m.expect(breaker.state$).toBeObservable('c---o 29999ms h', { c: 'closed', o: 'open', h: 'halfOpen' });
    }));
  });

  describe('§2.4 rule 4: open refuses everything, then reads halfOpen from openedAt + openDuration', () => {
    it('should read halfOpen at openedAt + openDuration with no timer', () => {
      const clock = new ManualClock();
      const breaker = smallBreaker({ minimumCalls: 1, openDuration: 5, scheduler: clock });
      clock.advanceTo(2);
      throwError(() => new Error('down')).pipe(circuitBreaker(breaker)).subscribe({ error: () => undefined });
      const states: string[] = [];
      for (const at of [2, 6, 7, 8]) {
        clock.advanceTo(at);
        states.push(breaker.state);
      }
      expect(states).to.deep.equal(['open', 'open', 'halfOpen', 'halfOpen']);
      expect(clock.scheduled).to.equal(0);
    });

    it('should emit halfOpen on state$ at its instant while observed', marbles((m) => {
      const breaker = smallBreaker({ minimumCalls: 1, openDuration: 5 });
      m.expect(m.cold('--#').pipe(circuitBreaker(breaker))).toBeObservable('--#');
      m.expect(breaker.state$).toBeObservable('c-o----h', { c: 'closed', o: 'open', h: 'halfOpen' });
    }));

    it('should refuse with the remaining open time as retryAfter', marbles((m) => {
      const breaker = smallBreaker({ minimumCalls: 1, openDuration: 5 });
      const healthy = m.cold('a|');
      m.expect(m.cold('#').pipe(circuitBreaker(breaker))).toBeObservable('#');
      m.expect(healthy.pipe(circuitBreaker(breaker)), '-^').toBeObservable('-#', undefined, refused(4));
      m.expect(healthy.pipe(circuitBreaker(breaker)), '----^').toBeObservable('----#', undefined, refused(1));
      m.expect(healthy.pipe(circuitBreaker(breaker)), '-----^').toBeObservable('-----a|');
      m.expect(healthy).toHaveSubscriptions(['-----^!']);
    }));

    it('should take openDuration from a function of the opening count', marbles((m) => {
      const breaker = smallBreaker({ minimumCalls: 1, openDuration: (n) => 3 * n });
      const fail = m.cold('#');
      m.expect(fail.pipe(circuitBreaker(breaker)), '^').toBeObservable('#');              // opening 1: 3 ms
      m.expect(fail.pipe(circuitBreaker(breaker)), '---^').toBeObservable('---#');        // probe fails: opening 2, 6 ms
      m.expect(fail.pipe(circuitBreaker(breaker)), '---------^').toBeObservable('---------#'); // probe fails: opening 3
      m.expect(breaker.state$, '-^').toBeObservable('-o-(ho)--(ho)-----h', { o: 'open', h: 'halfOpen' });
    }));
  });

  describe('§2.4 rule 5: halfOpen admits halfOpenCalls probes, then decides', () => {
    it('should admit halfOpenCalls probes in all and refuse the rest with retryAfter 0', marbles((m) => {
      const breaker = smallBreaker({ minimumCalls: 1, openDuration: 2, halfOpenCalls: 2 });
      const quick = m.cold('---|');
      const slow =  m.cold('-----|');
      const extra = m.cold('-|');
      m.expect(m.cold('#').pipe(circuitBreaker(breaker))).toBeObservable('#');
      m.expect(quick.pipe(circuitBreaker(breaker)), '--^').toBeObservable('-----|');
      m.expect(slow.pipe(circuitBreaker(breaker)), '---^').toBeObservable('--------|');
      m.expect(extra.pipe(circuitBreaker(breaker)), '---^').toBeObservable('---#', undefined, refused(0, 'halfOpen'));
      // at 6 the quick probe has its outcome, but its permit is not given back: the phase admits 2 in all
      m.expect(extra.pipe(circuitBreaker(breaker)), '------^').toBeObservable('------#', undefined, refused(0, 'halfOpen'));
      m.expect(quick).toHaveSubscriptions('--^--!');
      m.expect(slow).toHaveSubscriptions('---^----!');
      m.expect(extra).toHaveSubscriptions([]);
      m.expect(breaker.state$, '-^').toBeObservable('-oh-----c', { o: 'open', h: 'halfOpen', c: 'closed' });
    }));

    it('should give an unsubscribed probe\'s permit back', marbles((m) => {
      const breaker = smallBreaker({ minimumCalls: 1, openDuration: 2 });
      const probe = m.cold('---|');
      m.expect(m.cold('#').pipe(circuitBreaker(breaker))).toBeObservable('#');
      m.expect(probe.pipe(circuitBreaker(breaker)), '--^!').toBeObservable('');
      m.expect(probe.pipe(circuitBreaker(breaker)), '----^').toBeObservable('-------|');
      m.expect(probe).toHaveSubscriptions(['--^!', '----^--!']);
      m.expect(breaker.state$, '-^').toBeObservable('-oh----c', { o: 'open', h: 'halfOpen', c: 'closed' });
    }));

    it('should give the permit back when an admit observer cancels the probe being admitted', marbles((m) => {
      const breaker = smallBreaker({ minimumCalls: 1, openDuration: 2 });
      const cancel = new Subject<void>();
      const admits: string[] = [];
      breaker.events$.subscribe((e) => {
        if (e.type !== 'admit') return;
        admits.push(e.state);
        if (admits.length === 2) cancel.next(); // the first probe, cancelled while it is admitted
      });
      const probe = m.cold('-|');
      m.expect(m.cold('#').pipe(circuitBreaker(breaker))).toBeObservable('#');
      m.expect(probe.pipe(circuitBreaker(breaker), takeUntil(cancel)), '--^').toBeObservable('--|');
      m.expect(probe.pipe(circuitBreaker(breaker)), '---^').toBeObservable('----|');
      m.expect(probe).toHaveSubscriptions(['---^!']);
      m.expect(breaker.state$, '-^').toBeObservable('-oh-c', { o: 'open', h: 'halfOpen', c: 'closed' });
      m.flush();
      expect(admits).to.deep.equal(['closed', 'halfOpen', 'halfOpen']);
      expect(breaker.metrics()).to.include({ inFlight: 0 });
    }));

    it('should give back the permit of a probe failing with an error isFailure rejects', marbles((m) => {
      const breaker = smallBreaker({ minimumCalls: 1, openDuration: 2, isFailure: (e) => e !== 'ignored' });
      m.expect(m.cold('#').pipe(circuitBreaker(breaker))).toBeObservable('#');
      m.expect(m.cold('-#', undefined, 'ignored').pipe(circuitBreaker(breaker)), '--^').toBeObservable('---#', undefined, 'ignored');
      m.expect(m.cold('-|').pipe(circuitBreaker(breaker)), '----^').toBeObservable('-----|');
      m.expect(breaker.state$, '-^').toBeObservable('-oh--c', { o: 'open', h: 'halfOpen', c: 'closed' });
    }));

    it('should close when the probes\' rates are below the thresholds, else open again', marbles((m) => {
      const breaker = smallBreaker({ minimumCalls: 1, openDuration: 2, halfOpenCalls: 3, failureRateThreshold: 0.5 });
      m.expect(m.cold('#').pipe(circuitBreaker(breaker))).toBeObservable('#');
      // 1 failure of 3 probes (33 % < 50 %): closes
      m.expect(m.cold('-#').pipe(circuitBreaker(breaker)), '--^').toBeObservable('---#');
      m.expect(m.cold('-|').pipe(circuitBreaker(breaker)), '--^').toBeObservable('---|');
      m.expect(m.cold('--|').pipe(circuitBreaker(breaker)), '--^').toBeObservable('----|');
      m.expect(breaker.state$, '-^').toBeObservable('-oh-c', { o: 'open', h: 'halfOpen', c: 'closed' });
    }));

    it('should open again when 2 of 3 probes fail', marbles((m) => {
      const breaker = smallBreaker({ minimumCalls: 1, openDuration: 2, halfOpenCalls: 3, failureRateThreshold: 0.5 });
      m.expect(m.cold('#').pipe(circuitBreaker(breaker))).toBeObservable('#');
      m.expect(m.cold('-#').pipe(circuitBreaker(breaker)), '--^').toBeObservable('---#');
      m.expect(m.cold('-#').pipe(circuitBreaker(breaker)), '--^').toBeObservable('---#');
      m.expect(m.cold('--|').pipe(circuitBreaker(breaker)), '--^').toBeObservable('----|');
      m.expect(breaker.state$, '-^').toBeObservable('-oh-o-h', { o: 'open', h: 'halfOpen' });
    }));

    it('should close on one successful probe and open on one failed probe', marbles((m) => {
      const breaker = smallBreaker({ minimumCalls: 1, openDuration: 2 });
      m.expect(m.cold('#').pipe(circuitBreaker(breaker))).toBeObservable('#');
      m.expect(m.cold('-#').pipe(circuitBreaker(breaker)), '--^').toBeObservable('---#');
      m.expect(m.cold('-|').pipe(circuitBreaker(breaker)), '-----^').toBeObservable('------|');
      m.expect(breaker.state$, '-^').toBeObservable('-oho-hc', { o: 'open', h: 'halfOpen', c: 'closed' });
    }));

    it('should open again after maxHalfOpenDuration without a decision', marbles((m) => {
      const breaker = smallBreaker({ minimumCalls: 1, openDuration: 2, maxHalfOpenDuration: 3 });
      const hanging = m.cold('-----');
      m.expect(m.cold('#').pipe(circuitBreaker(breaker))).toBeObservable('#');
      m.expect(hanging.pipe(circuitBreaker(breaker)), '--^-----!').toBeObservable('');
      // the probe admitted at 2 hangs: open again at 5, halfOpen at 7, then it waits for the next call
      m.expect(breaker.state$, '-^------!').toBeObservable('-oh--o-h', { o: 'open', h: 'halfOpen' });
      m.expect(hanging).toHaveSubscriptions('--^-----!');
    }));

    it('should apply maxHalfOpenDuration lazily, with no timer, when nobody observes', () => {
      const clock = new ManualClock();
      const breaker = smallBreaker({ minimumCalls: 1, openDuration: 2, maxHalfOpenDuration: 3, scheduler: clock });
      throwError(() => new Error('down')).pipe(circuitBreaker(breaker)).subscribe({ error: () => undefined });
      clock.advanceTo(2);
      const probe = NEVER.pipe(circuitBreaker(breaker)).subscribe();
      clock.advanceTo(4);
      expect(breaker.state).to.equal('halfOpen');
      clock.advanceTo(5); // halfOpen since 2, no decision by 5: open again (opening 2) until 7
      expect(breaker.metrics()).to.include({ state: 'open', opening: 2, openedAt: 5, retryAfter: 2 });
      clock.advanceTo(7);
      expect(breaker.state).to.equal('halfOpen');
      probe.unsubscribe();
      expect(clock.scheduled).to.equal(0);
    });
  });

  describe('§2.4 rule 6: outcomes of calls admitted before the last transition never move the state', () => {
    it('should not take a late success of a closed-era call as a probe', marbles((m) => {
      const breaker = smallBreaker({ minimumCalls: 1, openDuration: 2 });
      m.expect(m.cold('-----|').pipe(circuitBreaker(breaker))).toBeObservable('-----|'); // admitted closed
      m.expect(m.cold('-#').pipe(circuitBreaker(breaker))).toBeObservable('-#');         // opens at 1
      // halfOpen from 3; the success at 5 was admitted before: it must not close the breaker
      m.expect(breaker.state$).toBeObservable('co-h', { c: 'closed', o: 'open', h: 'halfOpen' });
      m.flush();
      expect(breaker.metrics()).to.include({ state: 'halfOpen', calls: 0, inFlight: 0 });
    }));

    it('should not let a late failure of an earlier call reopen or enter the window of a later state', marbles((m) => {
      const breaker = smallBreaker({ minimumCalls: 1, openDuration: 2 });
      const events: CircuitBreakerEvent[] = [];
      breaker.events$.subscribe((e) => events.push(e));
      m.expect(m.cold('------#').pipe(circuitBreaker(breaker))).toBeObservable('------#'); // admitted closed
      m.expect(m.cold('-#').pipe(circuitBreaker(breaker))).toBeObservable('-#');           // opens at 1
      m.expect(m.cold('-|').pipe(circuitBreaker(breaker)), '---^').toBeObservable('----|'); // probe closes at 4
      m.expect(breaker.state$).toBeObservable('co-hc', { c: 'closed', o: 'open', h: 'halfOpen' });
      m.flush();
      expect(breaker.metrics()).to.include({ state: 'closed', calls: 0, failures: 0 });
      const late = events.filter((e) => e.type === 'failure' && e.at === 6);
      expect(late).to.deep.equal([{ type: 'failure', at: 6, duration: 6, slow: false, counted: false, error: 'error' }]);
    }));

    it('should not let a call admitted before reset() count after it', marbles((m) => {
      const breaker = smallBreaker({ minimumCalls: 1 });
      m.expect(m.cold('---#').pipe(circuitBreaker(breaker))).toBeObservable('---#');
      m.scheduler.schedule(() => breaker.reset(), 1);
      m.flush();
      expect(breaker.metrics()).to.include({ state: 'closed', calls: 0 });
    }));
  });

  describe('§2.4 rule 7: closing clears the window; isolate() refuses until reset()', () => {
    it('should clear the window when it closes', marbles((m) => {
      const breaker = new CircuitBreaker({ minimumCalls: 2, window: { type: 'count', size: 3 }, openDuration: 2 });
      const fail = m.cold('#');
      m.expect(fail.pipe(circuitBreaker(breaker)), '^').toBeObservable('#');
      m.expect(fail.pipe(circuitBreaker(breaker)), '^').toBeObservable('#');             // opens at 0
      m.expect(m.cold('|').pipe(circuitBreaker(breaker)), '--^').toBeObservable('--|'); // probe closes at 2
      // had the window kept its 2 failures, this single failure would reopen it (3 of 3)
      m.expect(fail.pipe(circuitBreaker(breaker)), '---^').toBeObservable('---#');
      m.expect(breaker.state$, '-^').toBeObservable('-o(hc)', { c: 'closed', o: 'open', h: 'halfOpen' });
    }));

    it('should close and clear the window on reset()', marbles((m) => {
      const breaker = new CircuitBreaker({ minimumCalls: 2, window: { type: 'count', size: 2 }, openDuration: 5 });
      const fail = m.cold('-#');
      m.expect(fail.pipe(circuitBreaker(breaker)), '^').toBeObservable('-#');
      m.scheduler.schedule(() => breaker.reset(), 2);
      // without the reset this second failure would make 2 of 2 and open
      m.expect(fail.pipe(circuitBreaker(breaker)), '---^').toBeObservable('----#');
      m.expect(breaker.state$).toBeObservable('c', { c: 'closed' });
      m.flush();
      expect(breaker.metrics()).to.include({ state: 'closed', calls: 1, failures: 1 });
    }));

    it('should close an open breaker on reset() and start its next opening count at 1', marbles((m) => {
      const breaker = smallBreaker({ minimumCalls: 1, openDuration: (n) => 10 * n });
      const fail = m.cold('#');
      m.expect(fail.pipe(circuitBreaker(breaker)), '^').toBeObservable('#');       // opening 1: 10 ms
      m.scheduler.schedule(() => breaker.reset(), 2);
      m.expect(fail.pipe(circuitBreaker(breaker)), '---^').toBeObservable('---#'); // opening 1 again: 10 ms
      m.expect(breaker.state$, '-^').toBeObservable('-oco 9ms h', { c: 'closed', o: 'open', h: 'halfOpen' });
    }));

    it('should refuse everything while isolated, with retryAfter Infinity, until reset()', marbles((m) => {
      const breaker = new CircuitBreaker({ name: 'api' });
      const healthy = m.cold('a|');
      m.scheduler.schedule(() => breaker.isolate(), 1);
      m.scheduler.schedule(() => breaker.reset(), 4);
      m.expect(healthy.pipe(circuitBreaker(breaker)), '--^').toBeObservable('--#', undefined, refused(Infinity, 'isolated', 'api'));
      m.expect(healthy.pipe(circuitBreaker(breaker)), '----^').toBeObservable('----a|');
      m.expect(healthy).toHaveSubscriptions(['----^!']);
      m.expect(breaker.state$).toBeObservable('ci--c', { c: 'closed', i: 'isolated' });
    }));

    it('should report retryAfter Infinity in the info of an isolated refusal', () => {
      const error = captureError(() => {
        const breaker = new CircuitBreaker({ name: 'api' });
        breaker.isolate();
        return of(1).pipe(circuitBreaker(breaker));
      });
      expect((error as CircuitOpenError).info).to.deep.equal({ breaker: 'api', state: 'isolated', retryAfter: Infinity });
    });
  });

  describe('the same breaker applied twice in one pipeline', () => {
    const twice = <T>(source: Observable<T>, breaker: CircuitBreaker) =>
      source.pipe(circuitBreaker(breaker), map((x) => x), circuitBreaker(breaker));

    it('should probe and close a halfOpen breaker once, under the outer call\'s permit', marbles((m) => {
      const breaker = smallBreaker({ minimumCalls: 1, openDuration: 2 });
      m.expect(twice(m.cold('#'), breaker)).toBeObservable('#'); // opens at 0
      const probe = m.cold('-a|');
      m.expect(twice(probe, breaker), '--^').toBeObservable('---a|');
      m.expect(probe).toHaveSubscriptions('--^-!');
      m.expect(breaker.state$, '-^').toBeObservable('-oh-c', { o: 'open', h: 'halfOpen', c: 'closed' });
      m.flush();
      expect(breaker.metrics()).to.include({ inFlight: 0, refusals: 0 });
    }));

    it('should count each call once', marbles((m) => {
      const breaker = new CircuitBreaker({ minimumCalls: 3, window: { type: 'count', size: 3 } });
      m.expect(twice(m.cold('-#'), breaker)).toBeObservable('-#');
      m.expect(twice(m.cold('--#'), breaker)).toBeObservable('--#');
      m.flush();
      // counted twice, 4 failures would have opened it
      expect(breaker.metrics()).to.include({ state: 'closed', calls: 2, failures: 2, inFlight: 0 });
    }));

    it('should not nest calls started downstream of a call, even by its synchronous values', () => {
      const breaker = new CircuitBreaker();
      const seen: number[] = [];
      of(1, 2)
        .pipe(
          circuitBreaker(breaker),
          mergeMap((x) => of(x * 10).pipe(circuitBreaker(breaker))),
        )
        .subscribe((x) => seen.push(x));
      expect(seen).to.deep.equal([10, 20]);
      expect(breaker.metrics()).to.include({ calls: 3, inFlight: 0 });
    });

    it('should not nest a call an events$ observer starts while a call subscribes its source', () => {
      const breaker = new CircuitBreaker({ name: 'api' });
      let error: unknown;
      let subscribed = 0;
      breaker.events$.subscribe((e) => {
        if (e.type !== 'transition' || e.to !== 'isolated') return;
        defer(() => {
          subscribed++;
          return of(1);
        })
          .pipe(circuitBreaker(breaker))
          .subscribe({ error: (e: unknown) => (error = e) });
      });
      // a source whose subscribe isolates the breaker: the observer's call, made then, is refused
      defer(() => {
        breaker.isolate();
        return of(1);
      })
        .pipe(circuitBreaker(breaker))
        .subscribe();
      expect(subscribed).to.equal(0);
      expect((error as CircuitOpenError).info).to.deep.equal({ breaker: 'api', state: 'isolated', retryAfter: Infinity });
    });
  });

  it('should record the outcome before forwarding it, so a retry downstream is refused at once', () => {
    const breaker = new CircuitBreaker({ minimumCalls: 1, window: { type: 'count', size: 1 } });
    let subscribed = 0;
    const upstream = defer(() => {
      subscribed++;
      return throwError(() => new Error('down'));
    });
    let error: unknown;
    upstream.pipe(circuitBreaker(breaker), retry(1)).subscribe({ error: (e: unknown) => (error = e) });
    expect(subscribed).to.equal(1);
    expect(isCircuitOpenError(error)).to.equal(true);
  });
});
