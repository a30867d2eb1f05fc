import { expect } from 'chai';
import { Observable, Subject, config, defer, mergeMap, of, take, takeUntil, throwError } from 'rxjs';
import { Bulkhead, type BulkheadConfig } from '../../src/bulkhead/Bulkhead';
import type { BulkheadEvent } from '../../src/bulkhead/BulkheadEvent';
import {
  BulkheadRejectedError,
  isBulkheadRejectedError,
  type BulkheadRejectedInfo,
} from '../../src/errors/BulkheadRejectedError';
import { InvalidConfigError } from '../../src/errors/InvalidConfigError';
import { bulkhead } from '../../src/operators/bulkhead';
import { captureError, captureThrow } from '../helpers/captureError';
import { countingScheduler } from '../helpers/countingScheduler';
import { marbles } from '../helpers/marbles';
import { firehose } from '../helpers/firehose';

const full = (info: Partial<BulkheadRejectedInfo> = {}): BulkheadRejectedError =>
  new BulkheadRejectedError({
    bulkhead: 'bulkhead',
    reason: 'full',
    active: 1,
    maxConcurrent: 1,
    queued: 0,
    maxQueued: 0,
    ...info,
  });

const timedOut = (): BulkheadRejectedError => full({ reason: 'queueTimeout' });

/** Lines of the current stack (without a depth limit). */
function stackDepth(): number {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = Infinity;
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder);
  Error.stackTraceLimit = limit;
  return holder.stack!.split('\n').length;
}

describe('bulkhead', () => {
  const pool = (config: Partial<BulkheadConfig> = {}): Bulkhead =>
    new Bulkhead({ maxConcurrent: 1, ...config });

  describe('standard battery', () => {
    it(
      'should pass values and completion through when a slot is free',
      marbles((m) => {
        const p = pool();
        // prettier-ignore
        const source = m.cold('-a-b-|');
        const subs = '         ^----!';
        const expected = '     -a-b-|';
        m.expect(source.pipe(bulkhead(p))).toBeObservable(expected);
        m.expect(source).toHaveSubscriptions(subs);
      }),
    );

    it(
      'should pass foreign errors through untouched and free the slot (r4j: propagates errors)',
      marbles((m) => {
        const p = pool({ maxQueued: 1 });
        // prettier-ignore
        const first = m.cold('  -a-#', undefined, new Error('upstream'));
        const second = m.cold('    -b|');
        const firstSubs = '     ^--!';
        const secondSubs = '    ---^-!';
        m.expect(first.pipe(bulkhead(p))).toBeObservable('-a-#', undefined, new Error('upstream'));
        m.expect(second.pipe(bulkhead(p))).toBeObservable('----b|');
        m.expect(first).toHaveSubscriptions(firstSubs);
        m.expect(second).toHaveSubscriptions(secondSubs);
      }),
    );

    it(
      'should unsubscribe the source on early unsubscribe, cancelling its timers, and free the slot',
      marbles((m) => {
        const p = pool({ maxQueued: 1 });
        // prettier-ignore
        const first = m.cold('  --a--b|');
        const unsub = '         ^---!';
        const firstSubs = '     ^---!';
        const second = m.cold('     c|');
        const secondSubs = '    ----^!';
        m.expect(first.pipe(bulkhead(p)), unsub).toBeObservable('--a-');
        m.expect(second.pipe(bulkhead(p))).toBeObservable('----c|');
        m.expect(first).toHaveSubscriptions(firstSubs);
        m.expect(second).toHaveSubscriptions(secondSubs);
        m.flush();
        expect([p.active, p.queued]).to.deep.equal([0, 0]);
      }),
    );

    it(
      'should not break unsubscription chains (mergeMap sandwich)',
      marbles((m) => {
        const p = pool();
        // prettier-ignore
        const source = m.cold('-a-b-c-|');
        const unsub = '        ^---!';
        const subs = '         ^---!';
        const expected = '     -a-b';
        const result = source.pipe(
          mergeMap((x) => of(x)),
          bulkhead(p),
          mergeMap((x) => of(x)),
        );
        m.expect(result, unsub).toBeObservable(expected);
        m.expect(source).toHaveSubscriptions(subs);
        m.flush();
        expect(p.active).to.equal(0);
      }),
    );

    it('should stop a synchronous source when take(n) unsubscribes, and free the slot', () => {
      const p = pool();
      const emitted: number[] = [];
      const seen: number[] = [];
      firehose(1000, emitted)
        .pipe(bulkhead(p), take(3))
        .subscribe((v) => seen.push(v));
      expect(seen).to.deep.equal([0, 1, 2]);
      expect(emitted).to.deep.equal([0, 1, 2]);
      expect(p.metrics()).to.include({ active: 0, admitted: 1, released: 1 });
    });

    it(
      'should error the call and free the slot when the source throws while subscribing',
      marbles((m) => {
        const p = pool({ maxQueued: 1 });
        const boom = defer((): Observable<string> => {
          throw new Error('boom');
        });
        // prettier-ignore
        const next = m.cold('-n|');
        m.expect(boom.pipe(bulkhead(p))).toBeObservable('#', undefined, new Error('boom'));
        m.expect(next.pipe(bulkhead(p))).toBeObservable('-n|');
        m.expect(next).toHaveSubscriptions('^-!');
      }),
    );

    it('should keep counting right when an events$ observer throws', async () => {
      const p = pool({ maxQueued: 1 });
      const unhandled: unknown[] = [];
      const previous = config.onUnhandledError;
      config.onUnhandledError = (err) => unhandled.push(err);
      try {
        const sub = p.events$.subscribe({
          next: () => {
            throw new Error('observer bug');
          },
        });
        const seen: number[] = [];
        const held = new Subject<number>();
        held.pipe(bulkhead(p)).subscribe();
        of(1)
          .pipe(bulkhead(p))
          .subscribe((v) => seen.push(v));
        expect([p.active, p.queued]).to.deep.equal([1, 1]);
        held.complete();
        expect(seen).to.deep.equal([1]);
        expect([p.active, p.queued]).to.deep.equal([0, 0]);
        sub.unsubscribe();
        // rxjs reports a throwing observer on a later tick; the pool's own state never saw it.
        await new Promise((resolve) => setTimeout(resolve, 0));
        expect(unhandled.length).to.be.greaterThan(0);
        expect((unhandled[0] as Error).message).to.equal('observer bug');
      } finally {
        config.onUnhandledError = previous;
      }
    });

    it(
      'should treat two subscriptions to one piped observable as two independent calls',
      marbles((m) => {
        const p = pool({ maxQueued: 1 });
        // prettier-ignore
        const source = m.cold('--a|');
        const subs = ['                    ^--!', '                    ---^--!'];
        const call = source.pipe(bulkhead(p));
        m.expect(call).toBeObservable('--a|');
        m.expect(call).toBeObservable('-----a|');
        m.expect(source).toHaveSubscriptions(subs);
      }),
    );

    it(
      'should time the queue on an explicitly given scheduler',
      marbles((m) => {
        const scheduler = countingScheduler(m.scheduler);
        const p = pool({ maxQueued: 1, queueTimeout: 3, scheduler });
        // prettier-ignore
        const running = m.cold('------a|');
        const waiting = m.cold('      b|');
        m.expect(running.pipe(bulkhead(p))).toBeObservable('------a|');
        m.expect(waiting.pipe(bulkhead(p))).toBeObservable('---#', undefined, timedOut());
        m.expect(waiting).toHaveSubscriptions([]);
        m.flush();
        expect(scheduler.calls.map((c) => c.delay)).to.deep.equal([3]);
      }),
    );

    it('should throw InvalidConfigError at call time when given something other than a Bulkhead', () => {
      const error = captureThrow(() => bulkhead({ maxConcurrent: 1 } as unknown as Bulkhead));
      expect(error).to.be.instanceOf(InvalidConfigError);
      expect((error as Error).message).to.equal(
        'bulkhead: invalid config: config must be a Bulkhead (new Bulkhead({ maxConcurrent, ... })), got {"maxConcurrent":1} (object)',
      );
      expect((captureThrow(() => bulkhead(undefined as unknown as Bulkhead)) as Error).message).to.equal(
        'bulkhead: invalid config: config must be a Bulkhead (new Bulkhead({ maxConcurrent, ... })), got undefined',
      );
    });
  });

  describe('events$ observers that cancel a call at any instant', () => {
    /** `type active/queued`, one string per event. */
    const brief = (e: BulkheadEvent): string => `${e.type} ${e.active}/${e.queued}`;

    it(
      'should give the slot back when an admitted observer cancels the call, and never subscribe its source',
      marbles((m) => {
        const p = pool();
        const cancel = new Subject<void>();
        const log: string[] = [];
        p.events$.subscribe((e) => {
          log.push(brief(e));
          if (e.type === 'admitted' && log.length === 1) cancel.next();
        });
        // prettier-ignore
        const cancelled = m.cold('--a|');
        const next = m.cold('     -b|');
        m.expect(cancelled.pipe(bulkhead(p), takeUntil(cancel))).toBeObservable('|');
        m.expect(cancelled).toHaveSubscriptions([]);
        m.expect(next.pipe(bulkhead(p))).toBeObservable('-b|');
        m.flush();
        expect(log).to.deep.equal(['admitted 1/0', 'released 0/0', 'admitted 1/0', 'released 0/0']);
        expect(p.metrics()).to.include({ active: 0, queued: 0, admitted: 2, released: 2 });
      }),
    );

    it(
      'should give the slot back when a started observer cancels the waiting call it starts',
      marbles((m) => {
        const p = pool({ maxQueued: 2 });
        const cancel = new Subject<void>();
        const log: string[] = [];
        p.events$.subscribe((e) => {
          log.push(brief(e));
          if (e.type === 'started' && log.filter((l) => l.startsWith('started')).length === 1) {
            cancel.next();
          }
        });
        // prettier-ignore
        const running = m.cold('--a|');
        const cancelled = m.cold('   x|');
        const waiting = m.cold('     -c|');
        m.expect(running.pipe(bulkhead(p))).toBeObservable('--a|');
        m.expect(cancelled.pipe(bulkhead(p), takeUntil(cancel))).toBeObservable('---|');
        m.expect(waiting.pipe(bulkhead(p))).toBeObservable('----c|');
        m.expect(cancelled).toHaveSubscriptions([]);
        m.expect(waiting).toHaveSubscriptions('---^-!');
        m.flush();
        expect(log).to.deep.equal([
          'admitted 1/0',
          'queued 1/1',
          'queued 1/2',
          'released 0/2',
          'started 1/1',
          'released 0/1',
          'started 1/0',
          'released 0/0',
        ]);
        expect(p.metrics()).to.include({ active: 0, queued: 0, started: 2, released: 3 });
      }),
    );

    it(
      'should take the call out of the queue when a queued observer cancels it',
      marbles((m) => {
        const p = pool({ maxQueued: 1, queueTimeout: 5 });
        const cancel = new Subject<void>();
        p.events$.subscribe((e) => {
          if (e.type === 'queued') cancel.next();
        });
        // prettier-ignore
        const running = m.cold('--a|');
        const cancelled = m.cold('x|');
        m.expect(running.pipe(bulkhead(p))).toBeObservable('--a|');
        m.expect(cancelled.pipe(bulkhead(p), takeUntil(cancel))).toBeObservable('|');
        m.expect(cancelled).toHaveSubscriptions([]);
        m.flush();
        expect(p.metrics()).to.include({ active: 0, queued: 0, abandoned: 1, rejectedQueueTimeout: 0 });
      }),
    );

    it('should count nothing for a subscriber that is already closed', () => {
      const p = pool({ maxQueued: 1 });
      const log: string[] = [];
      p.events$.subscribe((e) => log.push(brief(e)));
      new Subject<number>().pipe(bulkhead(p)).subscribe();
      // rxjs 7 runs a source's subscribe function even for a closed subscriber.
      new Observable<number>((subscriber) => {
        subscriber.complete();
        return of(1).pipe(bulkhead(p)).subscribe(subscriber);
      }).subscribe();
      expect(log).to.deep.equal(['admitted 1/0']);
      expect(p.metrics()).to.include({ calls: 1, active: 1, queued: 0, abandoned: 0 });
    });
  });

  describe('rules (DESIGN 2.5)', () => {
    it(
      'should run up to maxConcurrent at once and refuse the rest when there is no queue (cockatiel 1)',
      marbles((m) => {
        const p = pool({ maxConcurrent: 2 });
        // prettier-ignore
        const c0 = m.cold('---a|');
        const c1 = m.cold('--b|');
        const c2 = m.cold('-c|');
        m.expect(c0.pipe(bulkhead(p))).toBeObservable('---a|');
        m.expect(c1.pipe(bulkhead(p))).toBeObservable('--b|');
        m.expect(c2.pipe(bulkhead(p))).toBeObservable('#', undefined, full({ active: 2, maxConcurrent: 2 }));
        m.expect(c0).toHaveSubscriptions('^---!');
        m.expect(c1).toHaveSubscriptions('^--!');
        m.expect(c2).toHaveSubscriptions([]);
      }),
    );

    it(
      'should queue FIFO and start the oldest waiting call as a slot frees (cockatiel 2)',
      marbles((m) => {
        const p = pool({ maxConcurrent: 2, maxQueued: 2 });
        // prettier-ignore
        const c0 = m.cold('---a|');
        const c1 = m.cold('-----b|');
        const c2 = m.cold('    --c|');
        const c3 = m.cold('      -d|');
        const c4 = m.cold('e|');
        m.expect(c0.pipe(bulkhead(p))).toBeObservable('---a|');
        m.expect(c1.pipe(bulkhead(p))).toBeObservable('-----b|');
        m.expect(c2.pipe(bulkhead(p))).toBeObservable('------c|');
        m.expect(c3.pipe(bulkhead(p))).toBeObservable('-------d|');
        m.expect(c4.pipe(bulkhead(p))).toBeObservable(
          '#',
          undefined,
          full({ active: 2, maxConcurrent: 2, queued: 2, maxQueued: 2 }),
        );
        m.expect(c0).toHaveSubscriptions('^---!');
        m.expect(c1).toHaveSubscriptions('^-----!');
        m.expect(c2).toHaveSubscriptions('----^--!');
        m.expect(c3).toHaveSubscriptions('------^-!');
        m.expect(c4).toHaveSubscriptions([]);
      }),
    );

    describe('a running call that ends starts the next waiting call at the same instant', () => {
      it(
        'should start it when the running call completes',
        marbles((m) => {
          const p = pool({ maxQueued: 1 });
          // prettier-ignore
          const running = m.cold('--a|');
          const waiting = m.cold('   b|');
          m.expect(running.pipe(bulkhead(p))).toBeObservable('--a|');
          m.expect(waiting.pipe(bulkhead(p))).toBeObservable('---b|');
          m.expect(waiting).toHaveSubscriptions('---^!');
        }),
      );

      it(
        'should start it when the running call errors',
        marbles((m) => {
          const p = pool({ maxQueued: 1 });
          // prettier-ignore
          const running = m.cold('--a#');
          const waiting = m.cold('   b|');
          m.expect(running.pipe(bulkhead(p))).toBeObservable('--a#');
          m.expect(waiting.pipe(bulkhead(p))).toBeObservable('---b|');
          m.expect(waiting).toHaveSubscriptions('---^!');
        }),
      );

      it(
        'should start it when the running call is unsubscribed (r4j: releases the permit on dispose)',
        marbles((m) => {
          const p = pool({ maxQueued: 1 });
          // prettier-ignore
          const running = m.cold('--a--b|');
          const unsub = '         ^--!';
          const waiting = m.cold('   c|');
          m.expect(running.pipe(bulkhead(p)), unsub).toBeObservable('--a');
          m.expect(waiting.pipe(bulkhead(p))).toBeObservable('---c|');
          m.expect(running).toHaveSubscriptions('^--!');
          m.expect(waiting).toHaveSubscriptions('---^!');
        }),
      );
    });

    it(
      'should never start a waiting call that is unsubscribed, and start the next one (cockatiel 4, 5)',
      marbles((m) => {
        const p = pool({ maxQueued: 2 });
        // prettier-ignore
        const running = m.cold('----a|');
        const leaving = m.cold('x|');
        const leave = '         ^-!';
        const next = m.cold('        y|');
        m.expect(running.pipe(bulkhead(p))).toBeObservable('----a|');
        m.expect(leaving.pipe(bulkhead(p)), leave).toBeObservable('---');
        m.expect(next.pipe(bulkhead(p))).toBeObservable('-----y|');
        m.expect(leaving).toHaveSubscriptions([]);
        m.expect(next).toHaveSubscriptions('-----^!');
        m.flush();
        expect(p.metrics()).to.include({ abandoned: 1, started: 1, active: 0, queued: 0 });
      }),
    );

    it(
      'should never start a call unsubscribed in the instant it was queued (cockatiel: already aborted)',
      marbles((m) => {
        const p = pool({ maxQueued: 1 });
        // prettier-ignore
        const running = m.cold('--a|');
        const aborted = m.cold('x|');
        m.expect(running.pipe(bulkhead(p))).toBeObservable('--a|');
        m.expect(aborted.pipe(bulkhead(p)), '(^!)').toBeObservable('');
        m.expect(aborted).toHaveSubscriptions([]);
        m.flush();
        expect(p.metrics()).to.include({ abandoned: 1, enqueued: 1, started: 0, queued: 0 });
      }),
    );

    it(
      'should refuse a waiting call with reason queueTimeout after queueTimeout ms, never subscribing it',
      marbles((m) => {
        const p = pool({ maxQueued: 2, queueTimeout: m.time('----|') });
        // prettier-ignore
        const running = m.cold('------a|');
        const late = m.cold('    b|');
        m.expect(running.pipe(bulkhead(p))).toBeObservable('------a|');
        m.expect(late.pipe(bulkhead(p))).toBeObservable('----#', undefined, timedOut());
        m.expect(late).toHaveSubscriptions([]);
      }),
    );

    it(
      'should cancel the queueTimeout of a call that starts in time',
      marbles((m) => {
        const scheduler = countingScheduler(m.scheduler);
        const p = pool({ maxQueued: 1, queueTimeout: 4, scheduler });
        // prettier-ignore
        const running = m.cold('--a|');
        const waiting = m.cold('   --------b|');
        m.expect(running.pipe(bulkhead(p))).toBeObservable('--a|');
        m.expect(waiting.pipe(bulkhead(p))).toBeObservable('-----------b|');
        m.expect(waiting).toHaveSubscriptions('---^--------!');
        m.flush();
        expect(scheduler.calls).to.have.length(1);
        expect(scheduler.calls[0]!.action.closed).to.equal(true);
      }),
    );

    it(
      'should cancel the queueTimeout of a waiting call that is unsubscribed',
      marbles((m) => {
        const scheduler = countingScheduler(m.scheduler);
        const p = pool({ maxQueued: 1, queueTimeout: 10, scheduler });
        // prettier-ignore
        const running = m.cold('--------a|');
        const waiting = m.cold('b|');
        m.expect(running.pipe(bulkhead(p))).toBeObservable('--------a|');
        m.expect(waiting.pipe(bulkhead(p)), '^-!').toBeObservable('--');
        m.flush();
        expect(scheduler.calls[0]!.action.closed).to.equal(true);
        expect(p.metrics()).to.include({ abandoned: 1, rejectedQueueTimeout: 0 });
      }),
    );

    it('should schedule nothing per call when queueTimeout is Infinity', () => {
      const scheduler = countingScheduler({ now: () => 0, schedule: () => new Subject().subscribe() });
      const p = pool({ maxQueued: 5, scheduler });
      const held = new Subject<number>();
      for (let i = 0; i < 6; i++) held.pipe(bulkhead(p)).subscribe();
      expect([p.active, p.queued]).to.deep.equal([1, 5]);
      expect(scheduler.calls).to.have.length(0);
    });

    it(
      'should refuse with reason full without subscribing upstream, keeping FIFO order for the rest',
      marbles((m) => {
        const p = pool({ maxQueued: 1 });
        // prettier-ignore
        const a = m.cold('-a|');
        const b = m.cold('  -b|');
        const c = m.cold('-c|');
        m.expect(a.pipe(bulkhead(p))).toBeObservable('-a|');
        m.expect(b.pipe(bulkhead(p))).toBeObservable('---b|');
        m.expect(c.pipe(bulkhead(p))).toBeObservable('#', undefined, full({ queued: 1, maxQueued: 1 }));
        m.expect(c).toHaveSubscriptions([]);
      }),
    );

    it('should put the typed info on the error and pass the guard', () => {
      const error = captureError((scheduler) => {
        const p = new Bulkhead({ name: 'payments', maxConcurrent: 1, maxQueued: 1, scheduler });
        const held = new Subject<number>();
        held.pipe(bulkhead(p)).subscribe();
        held.pipe(bulkhead(p)).subscribe();
        return of(1).pipe(bulkhead(p));
      });
      expect(isBulkheadRejectedError(error)).to.equal(true);
      expect((error as BulkheadRejectedError).info).to.deep.equal({
        bulkhead: 'payments',
        reason: 'full',
        active: 1,
        maxConcurrent: 1,
        queued: 1,
        maxQueued: 1,
      });
      const late = captureError((scheduler) => {
        const p = new Bulkhead({
          name: 'search',
          maxConcurrent: 1,
          maxQueued: 2,
          queueTimeout: 5,
          scheduler,
        });
        new Subject<number>().pipe(bulkhead(p)).subscribe();
        new Subject<number>().pipe(bulkhead(p)).subscribe({ error: () => undefined });
        return of(1).pipe(bulkhead(p)); // times out second, when the first waiting call has left
      });
      expect((late as BulkheadRejectedError).info).to.deep.equal({
        bulkhead: 'search',
        reason: 'queueTimeout',
        active: 1,
        maxConcurrent: 1,
        queued: 0,
        maxQueued: 2,
      });
    });

    it(
      'should keep FIFO when a call ending during a drain subscribes a new call',
      marbles((m) => {
        const p = pool({ maxQueued: 2 });
        const order: string[] = [];
        const quick = (name: string) =>
          defer(() => {
            order.push(name);
            return of(name);
          }).pipe(bulkhead(p));
        const running = m.cold('--a|');
        running.pipe(bulkhead(p)).subscribe();
        // b waits, then c; b's completion (inside the drain) subscribes d, which must go behind c.
        quick('b').subscribe({ complete: () => quick('d').subscribe() });
        quick('c').subscribe();
        expect(p.queued).to.equal(2);
        m.flush();
        m.expect(running).toHaveSubscriptions('^--!');
        expect(order).to.deep.equal(['b', 'c', 'd']);
        expect(p.metrics()).to.include({ rejectedFull: 0, started: 3, active: 0, queued: 0 });
      }),
    );

    for (const maxQueued of [2, 1]) {
      it(
        `should queue a call subscribed the instant a slot frees behind waiting calls (maxQueued ${maxQueued})`,
        marbles((m) => {
          const p = pool({ maxQueued });
          const order: string[] = [];
          const quick = (name: string) =>
            defer(() => {
              order.push(name);
              return of(name);
            }).pipe(bulkhead(p));
          const waiting = ['b', 'c'].slice(0, maxQueued);
          const running = m.cold('--a|');
          running.pipe(bulkhead(p)).subscribe();
          for (const name of waiting) quick(name).subscribe();
          let subscribedD = false;
          // When a gives its slot back, the slot is free for an instant while calls still wait (the queue
          // may be full): d, subscribed right then (from an events$ observer), must neither take that slot
          // ahead of them nor be refused, since the queue has room for d once the oldest one starts.
          p.events$.subscribe((e) => {
            if (e.type === 'released' && e.queued > 0 && !subscribedD) {
              subscribedD = true;
              expect([p.active, p.queued]).to.deep.equal([0, maxQueued]);
              quick('d').subscribe({ error: (err: unknown) => order.push(String(err)) });
            }
          });
          m.flush();
          expect(order).to.deep.equal([...waiting, 'd']);
          expect(p.metrics()).to.include({ rejectedFull: 0, active: 0, queued: 0 });
        }),
      );
    }

    it('should drain 100 000 waiting synchronous calls without growing the stack', function () {
      this.timeout(30_000); // a shared CI machine; the check is the stack, never the time
      const n = 100_000;
      const p = pool({ maxQueued: n });
      const held = new Subject<number>();
      held.pipe(bulkhead(p)).subscribe();
      const depths: number[] = [];
      let sum = 0;
      for (let i = 0; i < n; i++) {
        defer(() => {
          if (i === 0 || i === n - 1) depths.push(stackDepth());
          return of(i);
        })
          .pipe(bulkhead(p))
          .subscribe((v) => (sum += v));
      }
      expect(p.queued).to.equal(n);
      held.complete();
      expect(sum).to.equal((n * (n - 1)) / 2);
      expect(depths).to.have.length(2);
      expect(depths[1]).to.equal(depths[0]);
      expect(p.metrics()).to.include({ started: n, released: n + 1, active: 0, queued: 0 });
    });

    it(
      'should start a call that subscribes from inside a source erroring synchronously',
      marbles((m) => {
        const p = pool({ maxQueued: 1 });
        const errors: unknown[] = [];
        throwError(() => new Error('sync'))
          .pipe(bulkhead(p))
          .subscribe({ error: (e: unknown) => errors.push(e) });
        // prettier-ignore
        const after = m.cold('a|');
        m.expect(after.pipe(bulkhead(p))).toBeObservable('a|');
        m.flush();
        expect(errors).to.have.length(1);
        expect(p.metrics()).to.include({ admitted: 2, released: 2, rejectedFull: 0 });
      }),
    );
  });
});
