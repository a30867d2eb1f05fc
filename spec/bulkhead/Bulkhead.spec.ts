import { expect } from 'chai';
import { NEVER, Subject, asyncScheduler, type SchedulerAction, type SchedulerLike } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { isBulkheadRejectedError } from '../../src/errors/BulkheadRejectedError';
import { Bulkhead } from '../../src/bulkhead/Bulkhead';
import type { BulkheadEvent } from '../../src/bulkhead/BulkheadEvent';
import { InvalidConfigError, isInvalidConfigError } from '../../src/errors/InvalidConfigError';
import { TimerQueue } from '../../src/internal/TimerQueue';
import { bulkhead } from '../../src/operators/bulkhead';
import { captureThrow } from '../helpers/captureError';
import { countingScheduler } from '../helpers/countingScheduler';
import { marbles } from '../helpers/marbles';
import { WallClock } from '../helpers/wallClock';

/** `type@at active/queued` (+ reason, held or waited), one string per event. */
function describeEvent(e: BulkheadEvent): string {
  const extra =
    e.type === 'rejected'
      ? ` ${e.reason} waited=${e.waited}`
      : e.type === 'released'
        ? ` ${e.held}`
        : e.type === 'started'
          ? ` waited=${e.waited}`
          : '';
  return `${e.type}@${e.at} ${e.active}/${e.queued}${extra}`;
}

describe('Bulkhead', () => {
  describe('config', () => {
    it('should apply the defaults of DESIGN 2.5', () => {
      const pool = new Bulkhead({ maxConcurrent: 3 });
      expect({
        name: pool.name,
        maxConcurrent: pool.maxConcurrent,
        maxQueued: pool.maxQueued,
        queueTimeout: pool.queueTimeout,
      }).to.deep.equal({ name: 'bulkhead', maxConcurrent: 3, maxQueued: 0, queueTimeout: Infinity });
      expect(pool.scheduler).to.equal(asyncScheduler);
      expect([pool.active, pool.queued]).to.deep.equal([0, 0]);
    });

    it('should throw InvalidConfigError naming every bad field, expected and received', () => {
      const error = captureThrow(
        () =>
          new Bulkhead({
            maxConcurrent: 0,
            maxQueued: -1,
            queueTimeout: 0,
            name: 7,
            scheduler: {},
            maxQueue: 3,
          } as never),
      );
      expect(isInvalidConfigError(error)).to.equal(true);
      expect(error).to.be.instanceOf(TypeError);
      expect((error as InvalidConfigError).message).to.equal(
        'Bulkhead: invalid config: ' +
          '`maxConcurrent` must be a positive integer, got 0 (number); ' +
          '`maxQueued` must be a non-negative integer, got -1 (number); ' +
          '`queueTimeout` must be a positive number of milliseconds, got 0 (number); ' +
          '`name` must be a string, got 7 (number); ' +
          '`scheduler` must be a SchedulerLike (an object with now() and schedule()), got {} (object); ' +
          'unknown option `maxQueue`: expected one of the known options (`maxConcurrent`, `maxQueued`, `queueTimeout`, `name`, `scheduler`, `adaptive`), got 3 (number)',
      );
    });

    it('should refuse an unbounded queue and a missing or fractional maxConcurrent', () => {
      const messages = [{ maxConcurrent: 1, maxQueued: Infinity }, { maxConcurrent: 1.5 }, {}, undefined].map(
        (config) => (captureThrow(() => new Bulkhead(config as never)) as Error).message,
      );
      expect(messages).to.deep.equal([
        'Bulkhead: invalid config: `maxQueued` must be a non-negative integer, got Infinity (number)',
        'Bulkhead: invalid config: `maxConcurrent` must be a positive integer, got 1.5 (number)',
        'Bulkhead: invalid config: `maxConcurrent` must be a positive integer, got undefined',
        'Bulkhead: invalid config: config must be an object, got undefined',
      ]);
    });
  });

  describe('queueTimeout', () => {
    it('should wait out a queueTimeout longer than one timer can hold, in steps', () => {
      const queueTimeout = 2 ** 31 + 1000;
      const scheduler = new TestScheduler(() => undefined);
      scheduler.run(() => {
        const clock = countingScheduler(scheduler);
        const pool = new Bulkhead({ maxConcurrent: 1, maxQueued: 1, queueTimeout, scheduler: clock });
        NEVER.pipe(bulkhead(pool)).subscribe();
        let failed: { at: number; error: unknown } | undefined;
        NEVER.pipe(bulkhead(pool)).subscribe({
          error: (error: unknown) => (failed = { at: scheduler.now(), error }),
        });
        scheduler.flush();
        expect(failed?.at).to.equal(queueTimeout);
        expect(isBulkheadRejectedError(failed?.error) && failed.error.info.reason).to.equal('queueTimeout');
        expect([pool.active, pool.queued]).to.deep.equal([1, 0]);
        // Node fires a longer timer after 1 ms: one capped at 2^31 - 1 ms, then re-armed for the rest.
        expect(clock.calls.map((c) => c.delay)).to.deep.equal([2 ** 31 - 1]);
        expect(clock.rearms).to.deep.equal([1001]);
      });
    });
  });

  describe('queueTimeout: one deadline per pool', () => {
    it('should time out each waiting call at its own instant, the next one once the oldest has left', () => {
      const scheduler = new TestScheduler(() => undefined);
      const seen: string[] = [];
      scheduler.run(() => {
        const pool = new Bulkhead({ maxConcurrent: 1, maxQueued: 4, queueTimeout: 5, scheduler });
        NEVER.pipe(bulkhead(pool)).subscribe();
        const waiting = [0, 1, 1, 2].map((at, i) => {
          const call = { subscription: undefined as { unsubscribe(): void } | undefined };
          scheduler.schedule(() => {
            call.subscription = NEVER.pipe(bulkhead(pool)).subscribe({
              error: () => seen.push(`${i}@${scheduler.now()}`),
            });
          }, at);
          return call;
        });
        // The oldest leaves before its deadline: the pool's deadline moves on to the next one.
        scheduler.schedule(() => waiting[0]!.subscription!.unsubscribe(), 3);
        scheduler.schedule(() => {
          seen.push(`timers ${TimerQueue.of(scheduler).size}`);
        }, 4);
      });
      expect(seen).to.deep.equal(['timers 1', '1@6', '2@6', '3@7']);
    });
  });

  describe('queueTimeout and a wall clock set back', () => {
    it('should time out each waiting call queueTimeout after it joined, whatever the wall clock did', () => {
      const clock = new WallClock();
      const pool = new Bulkhead({ maxConcurrent: 1, maxQueued: 2, queueTimeout: 100, scheduler: clock });
      const failed: string[] = [];
      NEVER.pipe(bulkhead(pool)).subscribe();
      for (const name of ['a', 'b']) {
        clock.advance(name === 'a' ? 0 : 50);
        NEVER.pipe(bulkhead(pool)).subscribe({ error: () => failed.push(`${name}@${clock.monotonic}`) });
      }
      clock.advance(10);
      clock.step(-2000); // set back while both wait: neither waits longer for it
      clock.advance(5000);
      expect(failed).to.deep.equal(['a@100', 'b@150']);
      expect([pool.queued, clock.pending]).to.deep.equal([0, 0]);
    });
  });

  describe('queueTimeout at fractional times', () => {
    it('should time out a call queued at a fractional instant once, at its instant, and let the run end', () => {
      const scheduler = new TestScheduler(() => undefined);
      const failed: Array<[number, string]> = [];
      let scheduled = 0;
      // Before the fix this re-armed for 1e-15 ms at the same frame for ever: fail instead of hanging.
      const guarded = {
        now: () => scheduler.now(),
        schedule: (
          work: (this: SchedulerAction<unknown>, state?: unknown) => void,
          delay?: number,
          state?: unknown,
        ) => {
          if (++scheduled > 100) throw new Error('rescheduled for ever');
          return scheduler.schedule(work, delay, state);
        },
      } as SchedulerLike;
      scheduler.run(() => {
        const pool = new Bulkhead({ maxConcurrent: 1, maxQueued: 3, queueTimeout: 20, scheduler: guarded });
        NEVER.pipe(bulkhead(pool)).subscribe();
        for (const at of [2.373, 12.327000000000002, 12.827000000000002]) {
          scheduler.schedule(() => {
            NEVER.pipe(bulkhead(pool)).subscribe({
              error: (e: unknown) =>
                failed.push([scheduler.now() - at, isBulkheadRejectedError(e) ? e.info.reason : 'other']),
            });
          }, at);
        }
      });
      expect(failed).to.have.length(3);
      for (const [waited, reason] of failed) {
        expect(waited).to.be.closeTo(20, 1e-9);
        expect(reason).to.equal('queueTimeout');
      }
    });
  });

  describe('events$ and counters', () => {
    it(
      'should report each step with exact counts (cockatiel 3: slots exact after every submit and completion)',
      marbles((m) => {
        const pool = new Bulkhead({ maxConcurrent: 2, maxQueued: 2, queueTimeout: 5 });
        const log: string[] = [];
        pool.events$.subscribe((e) => log.push(describeEvent(e)));
        // prettier-ignore
        const c0 = m.cold('---a|');
        const c1 = m.cold('-----b|');
        const c2 = m.cold('    --c|');
        const c3 = m.cold('--------d|');
        const c4 = m.cold('e|');
        for (const call of [c0, c1, c2, c3, c4]) {
          call.pipe(bulkhead(pool)).subscribe({ error: () => undefined });
        }
        m.flush();
        expect(log).to.deep.equal([
          'admitted@0 1/0',
          'admitted@0 2/0',
          'queued@0 2/1',
          'queued@0 2/2',
          'rejected@0 2/2 full waited=0',
          'released@4 1/2 slot',
          'started@4 2/1 waited=4',
          'rejected@5 2/0 queueTimeout waited=5',
          'released@6 1/0 slot',
          'released@7 0/0 slot',
        ]);
        expect(pool.metrics()).to.deep.equal({
          name: 'bulkhead',
          at: 7,
          maxConcurrent: 2,
          limit: 2,
          maxQueued: 2,
          active: 0,
          queued: 0,
          calls: 5,
          admitted: 2,
          enqueued: 2,
          started: 1,
          rejectedFull: 1,
          rejectedQueueTimeout: 1,
          abandoned: 0,
          released: 3,
          peakActive: 2,
          peakQueued: 2,
        });
        m.expect(c3).toHaveSubscriptions([]);
      }),
    );

    it(
      'should report a waiting call that leaves as released from the queue',
      marbles((m) => {
        const pool = new Bulkhead({ maxConcurrent: 1, maxQueued: 1, name: 'db' });
        const events: BulkheadEvent[] = [];
        pool.events$.subscribe((e) => events.push(e));
        const held = new Subject<number>();
        held.pipe(bulkhead(pool)).subscribe();
        const waiting = held.pipe(bulkhead(pool)).subscribe();
        m.scheduler.schedule(() => waiting.unsubscribe(), 3);
        m.flush();
        expect(events.map((e) => e.type)).to.deep.equal(['admitted', 'queued', 'released']);
        expect(events[2]).to.deep.equal({
          type: 'released',
          held: 'queue',
          bulkhead: 'db',
          at: 3,
          active: 1,
          queued: 0,
        });
        expect(pool.metrics()).to.include({ abandoned: 1, enqueued: 1, queued: 0, active: 1 });
      }),
    );

    it('should emit nothing to late subscribers (hot) and stop when they unsubscribe', () => {
      const pool = new Bulkhead({ maxConcurrent: 1 });
      const held = new Subject<number>();
      held.pipe(bulkhead(pool)).subscribe();
      const seen: string[] = [];
      const sub = pool.events$.subscribe((e) => seen.push(e.type));
      held.complete();
      sub.unsubscribe();
      held.pipe(bulkhead(pool)).subscribe();
      expect(seen).to.deep.equal(['released']);
    });

    it('should not read the clock or build events for calls admitted while nobody observes', () => {
      let reads = 0;
      const scheduler: SchedulerLike = {
        now: () => {
          reads++;
          return 0;
        },
        schedule: asyncScheduler.schedule.bind(asyncScheduler),
      };
      const pool = new Bulkhead({ maxConcurrent: 2, scheduler });
      const held = new Subject<number>();
      for (let i = 0; i < 2; i++) held.pipe(bulkhead(pool)).subscribe();
      held.complete();
      expect(reads).to.equal(0);
      const sub = pool.events$.subscribe();
      new Subject<number>().pipe(bulkhead(pool)).subscribe();
      expect(reads).to.equal(1); // the one 'admitted' event, now that someone listens
      sub.unsubscribe();
    });

    it('should keep the counters consistent through any mix of outcomes', () => {
      const pool = new Bulkhead({ maxConcurrent: 2, maxQueued: 3 });
      const held = [new Subject<number>(), new Subject<number>(), new Subject<number>()];
      const subs = [];
      for (let i = 0; i < 7; i++) {
        subs.push(held[i % 3]!.pipe(bulkhead(pool)).subscribe({ error: () => undefined }));
      }
      // Calls 0-1 run, 2-4 wait, 5-6 are refused. Call i listens to held[i % 3].
      subs[3]!.unsubscribe(); // waiting: leaves the queue
      held[0]!.error(new Error('x')); // call 0 errors (3 has left, 6 was refused): call 2 starts
      subs[1]!.unsubscribe(); // running call 1 leaves: call 4 starts
      const x = pool.metrics();
      expect(x.calls).to.equal(x.admitted + x.enqueued + x.rejectedFull);
      expect(x.enqueued).to.equal(x.started + x.rejectedQueueTimeout + x.abandoned + x.queued);
      expect(x.admitted + x.started).to.equal(x.released + x.active);
      expect(x).to.include({
        calls: 7,
        admitted: 2,
        enqueued: 3,
        rejectedFull: 2,
        abandoned: 1,
        started: 2,
        released: 2,
        active: 2,
        queued: 0,
      });
    });
  });
});
