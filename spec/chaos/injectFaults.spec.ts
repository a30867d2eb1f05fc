import { expect } from 'chai';
import {
  Observable,
  VirtualTimeScheduler,
  Subject,
  defer,
  identity,
  mergeMap,
  of,
  retry,
  take,
  takeUntil,
  timer,
  type MonoTypeOperatorFunction,
} from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { injectFaults, type InjectFaultsConfig } from '../../src/chaos/injectFaults';
import { seededRandom } from '../../src/chaos/seededRandom';
import {
  InjectedFaultError,
  isInjectedFaultError,
  type InjectedFaultInfo,
} from '../../src/errors/InjectedFaultError';
import { InvalidConfigError } from '../../src/errors/InvalidConfigError';
import { TimerQueue } from '../../src/internal/TimerQueue';
import { isRefusal } from '../../src/errors/isRefusal';
import { isTransient } from '../../src/errors/isTransient';
import { captureError, captureThrow } from '../helpers/captureError';
import { marbles } from '../helpers/marbles';
import { WallClock } from '../helpers/wallClock';
import { firehose } from '../helpers/firehose';

/** The error `injectFaults` emits by default at `call` (and `value`), for marble comparisons (name + message). */
function injected(call: number, value?: number): InjectedFaultError {
  return new InjectedFaultError({ name: 'faults', kind: 'error', per: 'call', call, value, latency: 0 });
}

/** Subscribes `calls` times, synchronously, and returns which calls errored with an injected fault. */
function faultedCalls(op: MonoTypeOperatorFunction<number>, calls: number): number[] {
  const faulted: number[] = [];
  for (let i = 0; i < calls; i++) {
    of(i)
      .pipe(op)
      .subscribe({ error: (e: unknown) => isInjectedFaultError(e) && faulted.push(e.info.call) });
  }
  return faulted;
}

describe('injectFaults', () => {
  describe('per call', () => {
    it(
      'should pass values, completion and foreign errors through when no fault fires',
      marbles((m) => {
        const source = m.cold('  -a-b-#');
        const subs = '           ^----!';
        const expected = '       -a-b-#';
        m.expect(source.pipe(injectFaults({ fault: 'error', when: [3] }))).toBeObservable(expected);
        m.expect(source).toHaveSubscriptions(subs);
      }),
    );

    it(
      'should pass completion through',
      marbles((m) => {
        const source = m.cold('  -a-b|');
        const expected = '       -a-b|';
        m.expect(source.pipe(injectFaults({ fault: 'hang', when: [1] }))).toBeObservable(expected);
      }),
    );

    it(
      'should follow a fault script, one character per call: pass, error, hang, latency',
      marbles((m) => {
        // prettier-ignore
        const source = m.cold('   -a|');
        const result = source.pipe(injectFaults({ when: '-#~s', latency: 2 }));
        // prettier-ignore
        {
        m.expect(result, '        ^----------------').toBeObservable('-a|');
        m.expect(result, '        ---^-------------').toBeObservable('---#', undefined, injected(1));
        m.expect(result, '        ------^---!------').toBeObservable('-----------------');
        m.expect(result, '        ------------^----').toBeObservable('---------------a|');
        m.expect(source).toHaveSubscriptions([
                         '        ^-!',
                         '        --------------^-!',
        ]);
        }
      }),
    );

    it(
      'should complete at once for an empty fault and emit the substitute for a value fault, never calling',
      marbles((m) => {
        const source = m.cold('-a|');
        const result = source.pipe(injectFaults({ when: '|v', value: (info) => `fallback ${info.call}` }));
        m.expect(result, '^---').toBeObservable('|');
        m.expect(result, '--^-').toBeObservable('--(x|)', { x: 'fallback 1' });
        m.expect(source).toHaveSubscriptions([]);
      }),
    );

    it(
      'should pass every call after the end of the script',
      marbles((m) => {
        const source = m.cold('-a|');
        const result = source.pipe(injectFaults({ when: ' # ' }));
        m.expect(result, '^---').toBeObservable('#', undefined, injected(0));
        m.expect(result, '--^-').toBeObservable('---a|');
        m.expect(result, '---^').toBeObservable('----a|');
      }),
    );

    it(
      'should compose: a latency injector around an error injector gives a slow failure',
      marbles((m) => {
        const source = m.cold('-a|');
        const result = source.pipe(
          injectFaults({ fault: 'error', when: [1] }),
          injectFaults({ fault: 'latency', when: [1], latency: 3 }),
        );
        m.expect(result, '^---').toBeObservable('-a|');
        m.expect(result, '---^').toBeObservable('------#', undefined, injected(1));
        m.expect(source).toHaveSubscriptions(['^-!']);
      }),
    );

    it('should fault exactly the listed call indices', () => {
      expect(faultedCalls(injectFaults({ fault: 'error', when: [1, 4] }), 6)).to.deep.equal([1, 4]);
    });

    it('should count calls across resubscriptions by retry, so a retried call moves on', () => {
      const seen: unknown[] = [];
      let subscribed = 0;
      defer(() => {
        subscribed++;
        return of('ok');
      })
        .pipe(injectFaults({ fault: 'error', when: [0, 1] }), retry(2))
        .subscribe({ next: (v) => seen.push(v), error: (e) => seen.push(e) });
      expect(seen).to.deep.equal(['ok']);
      expect(subscribed).to.equal(1);
    });

    it('should decide by rate with the default seeded random, the same seed replaying the same faults', () => {
      const seed = 7;
      const rate = 0.3;
      const draws = seededRandom(seed);
      const expected = Array.from({ length: 200 }, (_, i) => i).filter(() => draws() < rate);
      const run = () => faultedCalls(injectFaults({ fault: 'error', when: rate, seed }), 200);
      expect(run()).to.deep.equal(expected);
      expect(run()).to.deep.equal(expected);
      expect(expected.length).to.be.within(40, 80);
      const other = faultedCalls(injectFaults({ fault: 'error', when: rate, seed: 8 }), 200);
      expect(other).to.not.deep.equal(expected);
    });

    it('should inject when random() is below the rate, as Polly does', () => {
      const random = () => 0.5;
      expect(faultedCalls(injectFaults({ fault: 'error', when: 0.5, random }), 3)).to.deep.equal([]);
      expect(faultedCalls(injectFaults({ fault: 'error', when: 0.51, random }), 3)).to.deep.equal([0, 1, 2]);
      expect(faultedCalls(injectFaults({ fault: 'error', when: 1 }), 3)).to.deep.equal([0, 1, 2]);
    });

    it('should draw from random only when enabled, and read the switch at every call', () => {
      let on = false;
      let draws = 0;
      const op = injectFaults<number>({
        fault: 'error',
        when: 1,
        enabled: () => on,
        random: () => (draws++, 0),
      });
      expect(faultedCalls(op, 2)).to.deep.equal([]);
      on = true;
      expect(faultedCalls(op, 2)).to.deep.equal([2, 3]);
      expect(draws).to.equal(2);
    });

    it('should keep counting indices while disabled', () => {
      let on = false;
      const op = injectFaults<number>({ fault: 'error', when: [0, 2], enabled: () => on });
      expect(faultedCalls(op, 1)).to.deep.equal([]);
      on = true;
      expect(faultedCalls(op, 3)).to.deep.equal([2]);
    });

    it('should ask a predicate with the call index', () => {
      const asked: unknown[] = [];
      const op = injectFaults<number>({
        fault: 'error',
        when: (point) => (asked.push(point), point.call % 2 === 1),
      });
      expect(faultedCalls(op, 4)).to.deep.equal([1, 3]);
      expect(asked).to.deep.equal([0, 1, 2, 3].map((call) => ({ call, value: undefined })));
    });

    it('should be identity when it can never fire', () => {
      expect(injectFaults({ fault: 'error', when: 1, enabled: false })).to.equal(identity);
      expect(injectFaults({ fault: 'error', when: 0 })).to.equal(identity);
      expect(injectFaults({ fault: 'error', when: [] })).to.equal(identity);
      expect(injectFaults({ when: '--- -' })).to.equal(identity);
    });

    it('should give its info to the error factory and to onFault', () => {
      const seen: InjectedFaultInfo[] = [];
      const error = captureError(() =>
        of(1).pipe(
          injectFaults({
            when: [0],
            fault: 'error',
            name: 'db',
            error: (info) => ({ custom: info }),
            onFault: (info) => seen.push(info),
          }),
        ),
      );
      const info = { name: 'db', kind: 'error', per: 'call', call: 0, value: undefined, latency: 0 };
      expect(error).to.deep.equal({ custom: info });
      expect(seen).to.deep.equal([info]);
    });

    it('should emit an InjectedFaultError with typed info by default', () => {
      const error = captureError(() => of(1).pipe(injectFaults({ when: '#' })));
      expect(isInjectedFaultError(error)).to.equal(true);
      expect((error as InjectedFaultError).info).to.deep.equal({
        name: 'faults',
        kind: 'error',
        per: 'call',
        call: 0,
        value: undefined,
        latency: 0,
      });
      expect((error as Error).message).to.equal('Injected fault "faults": error at call 0');
    });

    it(
      'should add latency from a function of the call and jitter drawn from random',
      marbles((m) => {
        const source = m.cold('-a|');
        const seen: number[] = [];
        const result = source.pipe(
          injectFaults({
            fault: 'latency',
            when: 1,
            latency: ({ call }) => 10 * (call + 1),
            jitter: 4,
            random: () => 0.75, // rate draw, then jitter: 0.75 -> +2 ms
            onFault: (info) => seen.push(info.latency),
          }),
        );
        m.expect(result, '^').toBeObservable('-------------a|');
        m.expect(result, '^').toBeObservable('-----------------------a|');
        m.flush();
        expect(seen).to.deep.equal([12, 22]);
      }),
    );

    it('should floor latency with jitter at zero', () => {
      const seen: number[] = [];
      const op = injectFaults<number>({
        fault: 'latency',
        when: 1,
        latency: 1,
        jitter: 10,
        random: () => 0,
        onFault: (info) => seen.push(info.latency),
      });
      of(1).pipe(op).subscribe();
      expect(seen).to.deep.equal([0]);
    });

    describe('a call cancelled at the instant its latency ends', () => {
      /**
       * FC seed 20261127, run 697 of the property: script `ss`, latency 5; call 0 at frame 0; call 1 at
       * frame 1, whose caller sets a timer right after subscribing that cancels it 5 frames later, at
       * frame 6, the instant its latency ends. Returns what the source and call 1 saw, and the scheduled
       * actions left after the flush.
       */
      function cancelAtLatencyEnd(script: string): { subscribed: string[]; seen: string[]; left: number } {
        const scheduler = new TestScheduler(() => undefined);
        const subscribed: string[] = [];
        const seen: string[] = [];
        let left = -1;
        scheduler.run(() => {
          const op = injectFaults<string>({ when: script, latency: 5 });
          const source = (name: string) =>
            new Observable<string>((subscriber) => {
              subscribed.push(`${name}@${scheduler.now()}`);
              subscriber.next(name);
              subscriber.complete();
            });
          source('0').pipe(op).subscribe();
          timer(1).subscribe(() => {
            const call = source('1')
              .pipe(op)
              .subscribe((v) => seen.push(`${v}@${scheduler.now()}`));
            timer(5).subscribe(() => call.unsubscribe());
          });
          scheduler.flush();
          left = scheduler.actions.length;
        });
        return { subscribed, seen, left };
      }

      it('should not subscribe it when an earlier latency held the shared timer past the cancel', () => {
        // The latency's deadline waits in the scheduler's timer queue behind call 0's (due at 5). The
        // queue's one action is armed for frame 6 only when call 0 fires, after the caller set its
        // cancel timer at frame 1: the cancel runs first, and the source is never subscribed.
        expect(cancelAtLatencyEnd('ss')).to.deep.equal({ subscribed: ['0@5'], seen: [], left: 0 });
      });

      it('should subscribe it when its own latency armed the shared timer before the cancel', () => {
        // Alone in the queue, its deadline armed the queue's action at frame 1, before the caller's
        // cancel timer, as a timer of its own would have been: it runs first at frame 6.
        expect(cancelAtLatencyEnd('-s')).to.deep.equal({
          subscribed: ['0@0', '1@6'],
          seen: ['1@6'],
          left: 0,
        });
      });
    });
  });

  describe('per value', () => {
    it(
      'should hold a delayed value and everything after it, in order',
      marbles((m) => {
        // prettier-ignore
        const source = m.cold('  -a-b-c|');
        const expected = '       -a----(bc|)';
        const result = source.pipe(injectFaults({ per: 'value', when: '-s', latency: 3 }));
        m.expect(result).toBeObservable(expected);
      }),
    );

    it(
      'should delay each value from its own arrival, so latencies do not add up',
      marbles((m) => {
        // prettier-ignore
        const source = m.cold('  -ab--c|');
        const expected = '       ----ab--(c|)';
        const result = source.pipe(injectFaults({ per: 'value', fault: 'latency', when: 1, latency: 3 }));
        m.expect(result).toBeObservable(expected);
      }),
    );

    it(
      'should hold a source error behind a delayed value',
      marbles((m) => {
        // prettier-ignore
        const source = m.cold('  -a-#');
        const expected = '       ----(a#)';
        const result = source.pipe(injectFaults({ per: 'value', when: 's', latency: 3 }));
        m.expect(result).toBeObservable(expected);
      }),
    );

    it(
      'should replace a value by an error and release the source',
      marbles((m) => {
        // prettier-ignore
        const source = m.cold('  -a-b-c|');
        const subs = '           ^--!';
        const expected = '       -a-#';
        const error = new InjectedFaultError({
          name: 'faults',
          kind: 'error',
          per: 'value',
          call: 0,
          value: 1,
          latency: 0,
        });
        m.expect(source.pipe(injectFaults({ per: 'value', when: [1], fault: 'error' }))).toBeObservable(
          expected,
          undefined,
          error,
        );
        m.expect(source).toHaveSubscriptions(subs);
      }),
    );

    it(
      'should hang at a value: release the source and stay silent',
      marbles((m) => {
        // prettier-ignore
        const source = m.cold('  -a-b-c|');
        const subs = '           ^--!';
        const expected = '       -a------';
        m.expect(source.pipe(injectFaults({ per: 'value', when: '-~' }))).toBeObservable(expected);
        m.expect(source).toHaveSubscriptions(subs);
      }),
    );

    it(
      'should complete early for an empty fault and substitute a value for a value fault',
      marbles((m) => {
        // prettier-ignore
        const source = m.cold('  -a-b-c-d|');
        const subs = '           ^------!';
        const expected = '       -a-x-c-|';
        const result = source.pipe(injectFaults({ per: 'value', when: '-v-|', value: () => 'x' }));
        m.expect(result).toBeObservable(expected);
        m.expect(source).toHaveSubscriptions(subs);
      }),
    );

    it(
      'should number values across calls, so a retried stream moves on',
      marbles((m) => {
        // prettier-ignore
        const source = m.cold('  -a-b|');
        const subs = ['          ^--!', '---^---!'];
        const expected = '       -a--a-b|';
        const result = source.pipe(injectFaults({ per: 'value', fault: 'error', when: [1] }), retry(1));
        m.expect(result).toBeObservable(expected);
        m.expect(source).toHaveSubscriptions(subs);
      }),
    );

    it('should give call and value indices to the predicate and to info', () => {
      const seen: Array<[number, number | undefined]> = [];
      const op = injectFaults<number>({
        per: 'value',
        fault: 'value',
        when: ({ value }) => value === 2 || value === 3,
        value: (info) => (seen.push([info.call, info.value]), -1),
      });
      const out: number[] = [];
      of(1, 2, 3)
        .pipe(op)
        .subscribe((v) => out.push(v));
      of(4, 5)
        .pipe(op)
        .subscribe((v) => out.push(v));
      expect(out).to.deep.equal([1, 2, -1, -1, 5]);
      expect(seen).to.deep.equal([
        [0, 2],
        [1, 3],
      ]);
    });
  });

  describe('standard battery', () => {
    for (const fault of ['latency', 'error'] as const) {
      it(
        `should subscribe nothing when onFault cancels the call (${fault})`,
        marbles((m) => {
          const cancel = new Subject<void>();
          // prettier-ignore
          const source = m.cold('-a|');
          const chaos = injectFaults<string>({
            fault,
            when: 1,
            latency: 2,
            scheduler: m.scheduler,
            onFault: () => cancel.next(), // the caller leaves as the fault is decided
          });
          m.expect(source.pipe(chaos, takeUntil(cancel))).toBeObservable('|');
          m.expect(source).toHaveSubscriptions([]);
          m.flush();
          expect(m.scheduler.actions).to.have.length(0);
        }),
      );
    }

    it(
      'should subscribe nothing when the call is cancelled as the fault-free call starts',
      marbles((m) => {
        const cancel = new Subject<void>();
        // prettier-ignore
        const source = m.cold('-a|');
        const chaos = injectFaults<string>({
          fault: 'error',
          when: () => {
            cancel.next(); // a predicate with a side effect: the caller leaves
            return false;
          },
        });
        m.expect(source.pipe(chaos, takeUntil(cancel))).toBeObservable('|');
        m.expect(source).toHaveSubscriptions([]);
      }),
    );

    it(
      'should cancel a pending latency on early unsubscribe, never subscribing the source',
      marbles((m) => {
        // prettier-ignore
        const source = m.cold('  -a|');
        const unsub = '          ---!';
        const result = source.pipe(injectFaults({ fault: 'latency', when: 1, latency: 5 }));
        m.expect(result, unsub).toBeObservable('----');
        m.expect(source).toHaveSubscriptions([]);
      }),
    );

    it(
      'should cancel a held value and the source on early unsubscribe (per value)',
      marbles((m) => {
        // prettier-ignore
        const source = m.cold('  -a-b-c|');
        const unsub = '          -----!';
        const subs = '           ^----!';
        const expected = '       ------';
        const result = source.pipe(injectFaults({ per: 'value', fault: 'latency', when: 1, latency: 5 }));
        m.expect(result, unsub).toBeObservable(expected);
        m.expect(source).toHaveSubscriptions(subs);
      }),
    );

    it('should leave no scheduled action behind after unsubscribe', () => {
      const scheduler = new VirtualTimeScheduler();
      const seen: number[] = [];
      const subscription = of(1)
        .pipe(injectFaults({ per: 'value', fault: 'latency', when: 1, latency: 50, scheduler }))
        .subscribe((v) => seen.push(v));
      expect(scheduler.actions).to.have.length(1);
      subscription.unsubscribe();
      expect(scheduler.actions).to.have.length(0);
      scheduler.flush();
      expect(seen).to.deep.equal([]);
    });

    it('should hold no timer for a latency fault whose call onFault cancelled', () => {
      const scheduler = new VirtualTimeScheduler();
      const caller = new Subject<void>();
      let reached = false;
      const faults = injectFaults<number>({
        fault: 'latency',
        when: 1,
        latency: 2 ** 40,
        onFault: () => caller.next(), // cancels the call it was told about
        scheduler,
      });
      defer(() => {
        reached = true;
        return of(1);
      })
        .pipe(faults, takeUntil(caller))
        .subscribe();
      expect(scheduler.actions).to.have.length(0);
      expect(TimerQueue.of(scheduler).size).to.equal(0);
      scheduler.flush();
      expect(reached).to.equal(false);
    });

    for (const per of ['call', 'value'] as const) {
      it(
        `should not break unsubscription chains (per ${per})`,
        marbles((m) => {
          // A latency of 1 on every call or value: per call the hot source is subscribed 1 ms late;
          // per value each value arrives 1 ms late and the unsubscribe at 9 cuts c.
          // prettier-ignore
          const source = m.hot('   --a--b--c--d--|');
          const unsub = '          ---------!';
          const subs = per === 'call' ? '-^-------!' : '^--------!';
          const expected = per === 'call' ? '--a--b--c' : '---a--b--';
          const result = source.pipe(
            mergeMap((x) => of(x)),
            injectFaults({ per, fault: 'latency', when: 1, latency: 1 }),
            mergeMap((x) => of(x)),
          );
          m.expect(result, unsub).toBeObservable(expected);
          m.expect(source).toHaveSubscriptions(subs);
        }),
      );

      it(`should stop a synchronous source under take(n) (per ${per})`, () => {
        const emitted: number[] = [];
        const seen: number[] = [];
        firehose(1000, emitted)
          .pipe(injectFaults({ per, fault: 'value', when: [1], value: () => -1 }), take(3))
          .subscribe((v) => seen.push(v));
        expect(seen).to.deep.equal(per === 'value' ? [0, -1, 2] : [0, 1, 2]);
        expect(emitted).to.deep.equal([0, 1, 2]);
      });
    }

    it('should stop a synchronous source under take(n) when the call is faulted with a value', () => {
      const emitted: number[] = [];
      const seen: number[] = [];
      firehose(1000, emitted)
        .pipe(injectFaults({ fault: 'value', when: [0], value: () => -1 }), take(3))
        .subscribe((v) => seen.push(v));
      expect(seen).to.deep.equal([-1]);
      expect(emitted).to.deep.equal([]);
    });

    const throwing: Array<[string, Partial<InjectFaultsConfig<string>>]> = [
      ['when', { when: () => boom() }],
      ['enabled', { when: 1, enabled: () => boom() }],
      ['random', { when: 0.5, random: () => boom() }],
      ['error', { when: 1, error: () => boom() }],
      ['value', { when: 1, fault: 'value', value: () => boom() }],
      ['latency', { when: 1, fault: 'latency', latency: () => boom() }],
      ['onFault', { when: 1, onFault: () => boom() }],
    ];
    for (const per of ['call', 'value'] as const) {
      for (const [name, config] of throwing) {
        it(
          `should error the stream when \`${name}\` throws (per ${per})`,
          marbles((m) => {
            const source = m.cold('-a|');
            const subs = per === 'call' ? [] : ['^!'];
            const expected = per === 'call' ? '#' : '-#';
            const op = injectFaults<string>({ fault: 'error', ...config, per } as InjectFaultsConfig<string>);
            m.expect(source.pipe(op)).toBeObservable(expected, undefined, new Error('boom'));
            m.expect(source).toHaveSubscriptions(subs);
          }),
        );
      }
    }

    it('should error the stream when random() or latency() return out-of-range numbers', () => {
      const badRandom = captureError(() =>
        of(1).pipe(injectFaults({ fault: 'error', when: 0.5, random: () => 1 })),
      );
      expect((badRandom as Error).message).to.equal(
        'injectFaults: random() must return a number in [0, 1), got 1 (number)',
      );
      expect(badRandom).to.be.instanceOf(RangeError);
      const badLatency = captureError(() =>
        of(1).pipe(injectFaults({ fault: 'latency', when: 1, latency: () => NaN })),
      );
      expect((badLatency as Error).message).to.equal(
        'injectFaults: latency() must return a non-negative number of milliseconds, got NaN (number)',
      );
    });

    it(
      'should keep two subscriptions independent',
      marbles((m) => {
        // prettier-ignore
        const source = m.cold('  -a-b|');
        const op = injectFaults({
          per: 'value',
          fault: 'latency',
          when: ({ call }) => call === 0,
          latency: 2,
        });
        const result = source.pipe(op);
        // prettier-ignore
        {
        m.expect(result, '       ^---!').toBeObservable('---a');
        m.expect(result, '       ^----').toBeObservable('-a-b|');
        m.expect(source).toHaveSubscriptions(['^---!', '^---!']);
        }
      }),
    );

    for (const per of ['call', 'value'] as const) {
      it(`should wait a latency longer than a real timer can hold in full, and never end an Infinity one (per ${per})`, () => {
        const clock = new WallClock(); // Node's timer rules: a longer (or Infinity) timer fires after 1 ms
        const long = 2 ** 31 + 10;
        const seen: string[] = [];
        for (const latency of [long, Infinity]) {
          of(latency)
            .pipe(injectFaults({ per, fault: 'latency', when: 1, latency, scheduler: clock }))
            .subscribe((v) => seen.push(`${v} at ${clock.monotonic}`));
        }
        expect(clock.delays.every((delay) => delay <= 2 ** 31 - 1)).to.equal(true);
        clock.advance(long - 1);
        expect(seen).to.deep.equal([]);
        clock.advance(1);
        expect(seen).to.deep.equal([`${long} at ${long}`]);
        // The Infinity latency holds no timer: nothing left to fire, ever.
        expect(clock.pending).to.equal(0);
      });
    }

    it('should hold each value its latency after it arrived, per value, whatever the wall clock did', () => {
      const clock = new WallClock();
      const source = new Subject<string>();
      const seen: string[] = [];
      source
        .pipe(injectFaults({ per: 'value', fault: 'latency', when: 1, latency: 100, scheduler: clock }))
        .subscribe((v) => seen.push(`${v}@${clock.monotonic}`));
      source.next('a');
      clock.advance(50);
      source.next('b'); // held behind a
      clock.advance(10);
      clock.step(-2000); // set back while both are held
      clock.advance(5000);
      expect(seen).to.deep.equal(['a@100', 'b@150']);
      expect(clock.pending).to.equal(0);
    });

    it(
      'should take an Infinity latency per value as a hang: the source is released, nothing is held',
      marbles((m) => {
        // prettier-ignore
        const source = m.cold('  -a-b-c|');
        const subs = '           ^--!';
        const expected = '       -a----';
        const result = source.pipe(injectFaults({ per: 'value', when: '-s', latency: Infinity }));
        m.expect(result).toBeObservable(expected);
        m.expect(source).toHaveSubscriptions(subs);
      }),
    );

    it('should use an explicit scheduler', () => {
      const scheduler = new VirtualTimeScheduler();
      const seen: Array<[number, number]> = [];
      of(1)
        .pipe(injectFaults({ fault: 'latency', when: 1, latency: 30, scheduler }))
        .subscribe((v) => seen.push([v, scheduler.now()]));
      expect(seen).to.deep.equal([]);
      scheduler.flush();
      expect(seen).to.deep.equal([[1, 30]]);
    });
  });

  describe('types', () => {
    it('should refuse in its types the configs it refuses at run time', () => {
      // Each of these compiled before, and threw InvalidConfigError when created.
      const refused: Array<() => unknown> = [
        // @ts-expect-error a script names each fault: `fault` is left out
        () => injectFaults({ fault: 'error', when: '-#' }),
        // @ts-expect-error a rate (like indices or a predicate) needs a `fault`
        () => injectFaults({ when: 0.1 }),
        // @ts-expect-error a latency fault needs `latency`
        () => injectFaults({ fault: 'latency', when: [0] }),
        // @ts-expect-error a value fault needs `value`
        () => injectFaults({ fault: 'value', when: () => true }),
      ];
      for (const make of refused) expect(make).to.throw(InvalidConfigError);
    });

    it('should accept every config it accepts at run time, undefined optional fields included', () => {
      const maybe = <T>(value: T): T | undefined => value;
      const accepted: Array<MonoTypeOperatorFunction<number>> = [
        injectFaults({ when: '-#' }),
        injectFaults({ when: '-#', fault: undefined }),
        injectFaults({ when: '-s', latency: 1 }),
        injectFaults({ when: 'v', value: () => 0 }),
        injectFaults({ fault: 'error', when: 0.1, seed: maybe(3), scheduler: maybe(undefined) }),
        injectFaults({ fault: 'latency', when: [0], latency: () => 2, jitter: undefined }),
        injectFaults({ fault: 'value', when: () => true, value: () => 0 }),
        injectFaults({ fault: 'hang', when: [1], per: maybe('value' as const) }),
      ];
      expect(accepted.every((op) => typeof op === 'function')).to.equal(true);
    });
  });

  describe('the default error', () => {
    it('should be transient, so default retries and breakers treat it as the dependency failing', () => {
      const error = captureError(() => of(1).pipe(injectFaults({ when: '#' })));
      expect(isInjectedFaultError(error)).to.equal(true);
      expect(isTransient(error)).to.equal(true);
      expect(isRefusal(error)).to.equal(false);
    });
  });

  describe('config', () => {
    const cases: Array<[string, unknown, string]> = [
      [
        'a missing `when`',
        { fault: 'error' },
        '`when` must be a rate in [0, 1], an array of indices, a fault script or a function, got undefined',
      ],
      [
        'a rate above 1',
        { fault: 'error', when: 1.5 },
        '`when` must be a number in [0, 1], got 1.5 (number)',
      ],
      [
        'a bad index',
        { fault: 'error', when: [1, -2] },
        '`when` must be an array of non-negative integer indices, got [1,-2] (array)',
      ],
      [
        'a bad script character',
        { when: '-x#' },
        "`when` must be a fault script (one character per call or value: '-' none, '#' error, '~' hang, 's' latency, '|' empty, 'v' value; spaces ignored), got \"-x#\" (string)",
      ],
      [
        'a missing fault',
        { when: 0.1 },
        "`fault` must be 'error' | 'latency' | 'hang' | 'empty' | 'value', got undefined",
      ],
      [
        'an unknown fault',
        { when: 0.1, fault: 'crash' },
        "`fault` must be 'error' | 'latency' | 'hang' | 'empty' | 'value', got \"crash\" (string)",
      ],
      [
        'a fault next to a script',
        { when: '-#', fault: 'error' },
        '`fault` must be left out when `when` is a fault script (the script names each fault), got "error" (string)',
      ],
      [
        'a latency fault without latency',
        { when: [0], fault: 'latency' },
        '`latency` must be a non-negative number of milliseconds or a function (for latency faults), got undefined',
      ],
      [
        'a scripted latency without latency',
        { when: '--s' },
        '`latency` must be a non-negative number of milliseconds or a function (for latency faults), got undefined',
      ],
      [
        'a value fault without value',
        { when: 'v' },
        '`value` must be a function (for value faults), got undefined',
      ],
      [
        'a negative latency',
        { when: 's', latency: -1 },
        '`latency` must be a non-negative number of milliseconds or a function, got -1 (number)',
      ],
      ['a bad per', { when: '#', per: 'event' }, "`per` must be 'call' | 'value', got \"event\" (string)"],
      [
        'a non-boolean switch',
        { when: '#', enabled: 'yes' },
        '`enabled` must be a boolean or a function, got "yes" (string)',
      ],
      [
        'a seed next to random',
        { when: 0.5, fault: 'hang', random: () => 0, seed: 3 },
        '`seed` must be left out when `random` is given, got 3 (number)',
      ],
      [
        'an infinite seed',
        { when: 0.5, fault: 'hang', seed: Infinity },
        '`seed` must be a finite number, got Infinity (number)',
      ],
      [
        'a negative jitter',
        { when: 's', latency: 1, jitter: -1 },
        '`jitter` must be a non-negative number of milliseconds, got -1 (number)',
      ],
      ['an empty name', { when: '#', name: '' }, '`name` must be a non-empty string, got "" (string)'],
      [
        'a bad scheduler',
        { when: 's', latency: 1, scheduler: {} },
        '`scheduler` must be a SchedulerLike (an object with now() and schedule()), got {} (object)',
      ],
      [
        'an unknown key',
        { when: '#', rate: 0.1 },
        'unknown option `rate`: expected one of the known options (`when`, `fault`, `per`, `latency`, `jitter`, `error`, `value`, `enabled`, `random`, `seed`, `name`, `onFault`, `scheduler`), got 0.1 (number)',
      ],
      ['a config that is not an object', 0.1, 'config must be an object, got 0.1 (number)'],
      [
        'several bad fields at once',
        { when: 2, per: 'x', onFault: 1 },
        "`when` must be a number in [0, 1], got 2 (number); `per` must be 'call' | 'value', got \"x\" (string); `onFault` must be a function, got 1 (number)",
      ],
    ];
    for (const [name, config, message] of cases) {
      it(`should throw InvalidConfigError for ${name}`, () => {
        const error = captureThrow(() => injectFaults(config as InjectFaultsConfig<unknown>));
        expect(error).to.be.instanceOf(InvalidConfigError);
        expect((error as Error).message).to.equal(`injectFaults: invalid config: ${message}`);
      });
    }
  });
});

function boom(): never {
  throw new Error('boom');
}
