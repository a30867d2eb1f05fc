import { expect } from 'chai';
import {
  NEVER,
  Subject,
  Subscription,
  config,
  defer,
  of,
  takeUntil,
  throwError,
  timer,
  type Observable,
  type UnsubscriptionError,
} from 'rxjs';
import { Bulkhead, type BulkheadConfig } from '../../src/bulkhead/Bulkhead';
import type { BulkheadEvent } from '../../src/bulkhead/BulkheadEvent';
import { BulkheadRejectedError } from '../../src/errors/BulkheadRejectedError';
import { CircuitOpenError } from '../../src/errors/CircuitOpenError';
import { isInvalidConfigError } from '../../src/errors/InvalidConfigError';
import { RateLimitedError } from '../../src/errors/RateLimitedError';
import { TimeoutExceededError } from '../../src/errors/TimeoutExceededError';
import { bulkhead } from '../../src/operators/bulkhead';
import { timeoutAfter } from '../../src/operators/timeoutAfter';
import { ResiliencePipeline } from '../../src/pipeline/ResiliencePipeline';
import { resilient } from '../../src/pipeline/resilient';
import { bulkheadStates } from '../../src/testing/bulkheadStates';
import { fakeHttpStatusError } from '../../src/testing/fakeErrors';
import { captureThrow } from '../helpers/captureError';
import { marbles } from '../helpers/marbles';

const timeout = (): TimeoutExceededError =>
  new TimeoutExceededError({ limit: 'total', after: 2, seen: 0, meta: undefined });

const aimd = (maxConcurrent: number, extra: Partial<BulkheadConfig> = {}): Bulkhead =>
  new Bulkhead({ maxConcurrent, adaptive: { algorithm: 'aimd' }, ...extra });

/** `limit@at from->to` for limit events, `type@at active/queued` for the others. */
function describeEvent(e: BulkheadEvent): string {
  return e.type === 'limit'
    ? `limit@${e.at} ${e.from}->${e.to}`
    : `${e.type}@${e.at} ${e.active}/${e.queued}`;
}

/** Every `limit` event of `pool`, as `at:from->to`. */
function limitLog(pool: Bulkhead): string[] {
  const log: string[] = [];
  pool.events$.subscribe((e) => {
    if (e.type === 'limit') log.push(`${e.at}:${e.from}->${e.to}`);
  });
  return log;
}

const ignore = { error: () => undefined };

describe('Bulkhead (adaptive)', () => {
  describe('config', () => {
    it('should start at maxConcurrent, read as pool.limit and in metrics', () => {
      const pool = aimd(7);
      expect([pool.limit, pool.maxConcurrent]).to.deep.equal([7, 7]);
      expect(pool.metrics()).to.include({ maxConcurrent: 7, limit: 7 });
      expect(new Bulkhead({ maxConcurrent: 3 }).limit).to.equal(3);
    });

    it('should refuse a maxConcurrent outside [min, max], naming the defaults it used', () => {
      const messages = [
        { maxConcurrent: 300, adaptive: { algorithm: 'aimd' } },
        { maxConcurrent: 10, adaptive: { algorithm: 'gradient2' } },
        { maxConcurrent: 2, adaptive: { algorithm: 'vegas', min: 3, max: 9 } },
        { maxConcurrent: 5, adaptive: { algorithm: 'aimd', min: 5, max: 4 } },
        { maxConcurrent: 5, adaptive: { algorithm: 'aimd', min: 300 } },
      ].map((config) => {
        const error = captureThrow(() => new Bulkhead(config as BulkheadConfig));
        expect(isInvalidConfigError(error)).to.equal(true);
        return (error as Error).message;
      });
      expect(messages).to.deep.equal([
        "Bulkhead: invalid config: `maxConcurrent` must be an initial limit within [`adaptive.min`, `adaptive.max`] = [1, 200] (min 1, max 200 by default for 'aimd'), got 300 (number)",
        "Bulkhead: invalid config: `maxConcurrent` must be an initial limit within [`adaptive.min`, `adaptive.max`] = [20, 200] (min 20, max 200 by default for 'gradient2'), got 10 (number)",
        'Bulkhead: invalid config: `maxConcurrent` must be an initial limit within [`adaptive.min`, `adaptive.max`] = [3, 9], got 2 (number)',
        'Bulkhead: invalid config: `adaptive.min` must be at most `adaptive.max` (4), got 5 (number)',
        "Bulkhead: invalid config: `adaptive.min` must be at most `adaptive.max` (200 by default for 'aimd'), got 300 (number)",
      ]);
    });

    it('should name every bad field of each algorithm, expected and received', () => {
      const messages = [
        {
          algorithm: 'aimd',
          min: 0,
          max: 1.5,
          backoffRatio: 1,
          window: -1,
          windowSamples: 0,
          slowCallDuration: 0,
          smoothing: 0.5,
        },
        {
          algorithm: 'gradient2',
          smoothing: 0,
          queueSize: -1,
          longWindow: 0,
          rttTolerance: 0.5,
          window: Infinity,
        },
        { algorithm: 'vegas', smoothing: 2, alpha: 0, beta: 1.5, probeMultiplier: 0, random: 3 },
        { algorithm: 'bbr' },
        'aimd',
      ].map(
        (adaptive) =>
          (captureThrow(() => new Bulkhead({ maxConcurrent: 5, adaptive } as BulkheadConfig)) as Error)
            .message,
      );
      expect(messages).to.deep.equal([
        'Bulkhead: invalid config: `adaptive.min` must be a positive integer, got 0 (number); ' +
          '`adaptive.max` must be a positive integer, got 1.5 (number); ' +
          '`adaptive.window` must be a finite non-negative number of milliseconds, got -1 (number); ' +
          '`adaptive.windowSamples` must be a positive integer, got 0 (number); ' +
          '`adaptive.backoffRatio` must be a number in [0.5, 1), got 1 (number); ' +
          '`adaptive.slowCallDuration` must be a positive number of milliseconds, got 0 (number); ' +
          'unknown option `adaptive.smoothing`: expected one of the known options (`algorithm`, `min`, `max`, `window`, `windowSamples`, `backoffRatio`, `slowCallDuration`), got 0.5 (number)',
        'Bulkhead: invalid config: `adaptive.window` must be a finite non-negative number of milliseconds, got Infinity (number); ' +
          '`adaptive.smoothing` must be a number in (0, 1], got 0 (number); ' +
          '`adaptive.queueSize` must be a non-negative integer, got -1 (number); ' +
          '`adaptive.longWindow` must be a positive integer, got 0 (number); ' +
          '`adaptive.rttTolerance` must be a finite number >= 1, got 0.5 (number)',
        'Bulkhead: invalid config: `adaptive.smoothing` must be a number in (0, 1], got 2 (number); ' +
          '`adaptive.alpha` must be a positive integer, got 0 (number); ' +
          '`adaptive.beta` must be a positive integer, got 1.5 (number); ' +
          '`adaptive.probeMultiplier` must be a positive integer, got 0 (number); ' +
          '`adaptive.random` must be a function, got 3 (number)',
        "Bulkhead: invalid config: `adaptive.algorithm` must be 'aimd' | 'gradient2' | 'vegas', got \"bbr\" (string)",
        'Bulkhead: invalid config: `adaptive` must be an adaptive limit, got "aimd" (string)',
      ]);
    });
  });

  describe('AIMD (DESIGN 2.11)', () => {
    it(
      'should set limit = max(min, floor(limit * 0.9)) after a TimeoutExceededError, and emit it',
      marbles((m) => {
        const pool = aimd(10, { name: 'api' });
        const events: BulkheadEvent[] = [];
        pool.events$.subscribe((e) => events.push(e));
        // prettier-ignore
        const call = m.cold('--#', undefined, timeout());
        m.expect(call.pipe(bulkhead(pool))).toBeObservable('--#', undefined, timeout());
        m.flush();
        expect(pool.limit).to.equal(9);
        expect(events.map(describeEvent)).to.deep.equal([
          'admitted@0 1/0',
          'limit@2 10->9',
          'released@2 0/0',
        ]);
        expect(events[1]).to.deep.equal({
          type: 'limit',
          at: 2,
          from: 10,
          to: 9,
          bulkhead: 'api',
          active: 1,
          queued: 0,
        });
      }),
    );

    it(
      'should take an HttpStatusError 429 or 503 as a drop, and another status as nothing',
      marbles((m) => {
        const pool = aimd(20);
        const log = limitLog(pool);
        // prettier-ignore
        const e429 = m.cold('-#', undefined, fakeHttpStatusError(429));
        const e503 = m.cold('   -#', undefined, fakeHttpStatusError(503));
        const e500 = m.cold('      -#', undefined, fakeHttpStatusError(500));
        const e404 = m.cold('      -#', undefined, fakeHttpStatusError(404));
        for (const [call, at] of [
          [e429, 0],
          [e503, 3],
          [e500, 6],
          [e404, 6],
        ] as const) {
          m.scheduler.schedule(() => call.pipe(bulkhead(pool)).subscribe(ignore), at);
        }
        m.flush();
        expect(log).to.deep.equal(['1:20->18', '4:18->16']);
      }),
    );

    it(
      'should add one after a success while at least limit/2 ran, counted when it started, itself included',
      marbles((m) => {
        const pool = aimd(4);
        const log = limitLog(pool);
        // prettier-ignore
        const long = m.cold('-----|'); // starts alone: 1 in flight, 1 * 2 < 4
        const short = m.cold(' --|'); // three of them start at 1 with 2, 3 and 4 in flight
        long.pipe(bulkhead(pool)).subscribe();
        m.scheduler.schedule(() => {
          for (let i = 0; i < 3; i++) short.pipe(bulkhead(pool)).subscribe();
        }, 1);
        m.flush();
        // 2*2 >= 4: 5; 3*2 >= 5: 6; 4*2 >= 6: 7. The long call ran with four others, but started alone.
        expect(log).to.deep.equal(['3:4->5', '3:5->6', '3:6->7']);
        expect(pool.limit).to.equal(7);
      }),
    );

    it(
      'should learn from calls that waited for their slot, each counted in flight when it started',
      marbles((m) => {
        const pool = aimd(1, { maxQueued: 2 });
        const log = limitLog(pool);
        // prettier-ignore
        const a = m.cold('--|'); //    admitted alone: a success with 1 in flight, 1 * 2 >= 1
        const b = m.cold('  --#', undefined, timeout()); // waited; starts at 2 with 1 in flight: a drop
        const c = m.cold('  --|'); //  waited; starts at 2 in the new slot, 2 in flight: a success
        a.pipe(bulkhead(pool)).subscribe();
        b.pipe(bulkhead(pool)).subscribe(ignore);
        c.pipe(bulkhead(pool)).subscribe();
        expect(pool.queued).to.equal(2);
        m.flush();
        expect(log).to.deep.equal(['2:1->2', '4:2->1', '4:1->2']);
        expect(pool.metrics()).to.include({ started: 2, released: 3, active: 0 });
      }),
    );

    it(
      'should not grow while the app is the limit (fewer than limit/2 in flight)',
      marbles((m) => {
        const pool = aimd(10);
        const log = limitLog(pool);
        // prettier-ignore
        const call = m.cold('-a|');
        for (let at = 0; at < 20; at += 2) {
          m.scheduler.schedule(() => call.pipe(bulkhead(pool)).subscribe(), at);
        }
        m.flush();
        expect(log).to.deep.equal([]);
        expect(pool.limit).to.equal(10);
      }),
    );

    it(
      'should stay within [min, max], emitting nothing when a clamp holds it',
      marbles((m) => {
        const top = new Bulkhead({ maxConcurrent: 3, adaptive: { algorithm: 'aimd', max: 3 } });
        const bottom = new Bulkhead({ maxConcurrent: 2, adaptive: { algorithm: 'aimd', min: 2 } });
        const log = [...limitLog(top), ...limitLog(bottom)];
        // prettier-ignore
        const ok = m.cold('-|');
        const drop = m.cold('-#', undefined, timeout());
        for (let i = 0; i < 3; i++) ok.pipe(bulkhead(top)).subscribe();
        for (let i = 0; i < 2; i++) drop.pipe(bulkhead(bottom)).subscribe(ignore);
        m.flush();
        expect(log).to.deep.equal([]);
        expect([top.limit, bottom.limit]).to.deep.equal([3, 2]);
      }),
    );

    it(
      'should take a success slower than slowCallDuration as a drop (Netflix timeout)',
      marbles((m) => {
        const pool = new Bulkhead({
          maxConcurrent: 10,
          adaptive: { algorithm: 'aimd', slowCallDuration: 5 },
        });
        const log = limitLog(pool);
        // prettier-ignore
        const fast = m.cold('-----|');
        const slow = m.cold('      ------|');
        for (let i = 0; i < 5; i++) fast.pipe(bulkhead(pool)).subscribe();
        m.scheduler.schedule(() => slow.pipe(bulkhead(pool)).subscribe(), 6);
        m.flush();
        // Five successes of 5 ms, 1..5 in flight: only the 5th ran with at least 10 / 2. Then one of 6 ms:
        // a drop, floor(11 * 0.9).
        expect(log).to.deep.equal(['5:10->11', '12:11->9']);
      }),
    );
  });

  describe('what teaches nothing', () => {
    it(
      'should learn nothing from a call unsubscribed before it ended, even by a timeout downstream',
      marbles((m) => {
        const pool = aimd(2);
        const log = limitLog(pool);
        // prettier-ignore
        const slow = m.cold('-----a|');
        const stop = m.cold('--x');
        slow.pipe(bulkhead(pool), takeUntil(stop)).subscribe();
        // timeoutAfter outside the bulkhead cancels the call: the pool sees an unsubscribe.
        slow.pipe(bulkhead(pool), timeoutAfter(3)).subscribe(ignore);
        // Inside the bulkhead, the same timeout is the call's error: a drop.
        m.scheduler.schedule(() => slow.pipe(timeoutAfter(3), bulkhead(pool)).subscribe(ignore), 10);
        m.flush();
        expect(log).to.deep.equal(['13:2->1']);
      }),
    );

    it('should learn nothing from local refusals or other errors', () => {
      const pool = aimd(2);
      const log = limitLog(pool);
      const refusals: unknown[] = [
        new CircuitOpenError({ breaker: 'b', state: 'open', retryAfter: 5 }),
        new RateLimitedError({ limiter: 'r', key: '', retryAfter: 5 }),
        new BulkheadRejectedError({
          bulkhead: 'inner',
          reason: 'full',
          active: 1,
          maxConcurrent: 1,
          queued: 0,
          maxQueued: 0,
        }),
        new Error('boom'),
        fakeHttpStatusError(500),
      ];
      for (const error of refusals)
        throwError(() => error)
          .pipe(bulkhead(pool))
          .subscribe(ignore);
      expect(log).to.deep.equal([]);
      expect(pool.limit).to.equal(2);
    });

    it(
      'should learn nothing from calls it refused or that left its queue',
      marbles((m) => {
        const pool = aimd(1, { maxQueued: 1, queueTimeout: 3 });
        const log = limitLog(pool);
        NEVER.pipe(bulkhead(pool)).subscribe(); // holds the only slot
        NEVER.pipe(bulkhead(pool)).subscribe(ignore); // waits, refused at 3 (queueTimeout)
        NEVER.pipe(bulkhead(pool)).subscribe(ignore); // refused at once (full)
        m.flush();
        expect(pool.metrics()).to.include({ rejectedFull: 1, rejectedQueueTimeout: 1 });
        expect(log).to.deep.equal([]);
      }),
    );
  });

  describe('limit changes', () => {
    it(
      'should start waiting calls at once when the limit grows',
      marbles((m) => {
        const pool = aimd(2, { maxQueued: 2 });
        const events: string[] = [];
        pool.events$.subscribe((e) => events.push(describeEvent(e)));
        // prettier-ignore
        const a = m.cold('--a|'); // 1 in flight at start: 1 * 2 >= 2, so 2 -> 3 when it completes
        const b = m.cold('--------b|');
        const c = m.cold('   -c|');
        const d = m.cold('   --d|');
        const cSubs = '   ---^-!';
        const dSubs = '   ---^--!';
        m.expect(a.pipe(bulkhead(pool))).toBeObservable('--a|');
        m.expect(b.pipe(bulkhead(pool))).toBeObservable('--------b|');
        m.expect(c.pipe(bulkhead(pool))).toBeObservable('----c|');
        m.expect(d.pipe(bulkhead(pool))).toBeObservable('-----d|');
        m.expect(c).toHaveSubscriptions(cSubs);
        m.expect(d).toHaveSubscriptions(dSubs);
        m.flush();
        expect(events.slice(4, 8)).to.deep.equal([
          'limit@3 2->3',
          'released@3 1/2',
          'started@3 2/1',
          'started@3 3/0',
        ]);
      }),
    );

    it(
      'should cancel no running call when the limit falls, and start none until fewer than the limit run',
      marbles((m) => {
        const pool = new Bulkhead({
          maxConcurrent: 4,
          maxQueued: 1,
          adaptive: { algorithm: 'aimd', backoffRatio: 0.5 },
        });
        // prettier-ignore
        const drop = m.cold('-#', undefined, timeout());
        const run = m.cold('------r|');
        const late = m.cold(' -l|');
        const runSubs = '   ^------!';
        const lateSubs = '  -------^-!';
        drop.pipe(bulkhead(pool)).subscribe(ignore);
        for (let i = 0; i < 3; i++) m.expect(run.pipe(bulkhead(pool))).toBeObservable('------r|');
        m.scheduler.schedule(() => {
          expect([pool.limit, pool.active]).to.deep.equal([2, 3]); // 4 * 0.5: three still run
          m.expect(late.pipe(bulkhead(pool))).toBeObservable('--------l|');
        }, 1);
        m.expect(run).toHaveSubscriptions([runSubs, runSubs, runSubs]);
        m.expect(late).toHaveSubscriptions(lateSubs);
        m.flush();
      }),
    );

    it(
      'should report full in bulkheadStates once active reaches the moving limit',
      marbles((m) => {
        const pool = new Bulkhead({ maxConcurrent: 2, adaptive: { algorithm: 'aimd', backoffRatio: 0.5 } });
        const states: string[] = [];
        bulkheadStates(pool).subscribe((s) => states.push(`${s}@${m.scheduler.now()}`));
        // prettier-ignore
        const drop = m.cold('-#', undefined, timeout());
        drop.pipe(bulkhead(pool)).subscribe(ignore);
        NEVER.pipe(bulkhead(pool)).subscribe();
        m.flush();
        // 2 slots, both taken: full. The drop halves the limit to 1 while one call still runs: full.
        expect(states).to.deep.equal(['empty@0', 'busy@0', 'full@0']);
        expect([pool.limit, pool.active]).to.deep.equal([1, 1]);
      }),
    );
  });

  describe('delay-based limits, in virtual time', () => {
    it(
      'should read latency from the scheduler (Vegas: grow with no queue, shrink as latency grows)',
      marbles((m) => {
        const pool = new Bulkhead({
          maxConcurrent: 10,
          adaptive: { algorithm: 'vegas', max: 20, window: 0, alpha: 3, beta: 6, random: () => 0.99 },
        });
        const log = limitLog(pool);
        // prettier-ignore
        const fast = m.cold('----------|'); // 10 ms
        const slow = m.cold('--------------------------------------------------|'); // 50 ms
        for (let i = 0; i < 6; i++) fast.pipe(bulkhead(pool)).subscribe();
        m.scheduler.schedule(() => {
          for (let i = 0; i < 10; i++) slow.pipe(bulkhead(pool)).subscribe();
        }, 20);
        m.flush();
        // At 10 the first call sets the 10 ms baseline; of the next five (2..6 in flight) the 5th is the
        // first not app-limited (5 * 2 >= 10) and finds no queue: + beta. The slow calls at 70 find a
        // queue of ceil(16 * (1 - 10/50)) = 13 > beta: -1 each, for those with 8..10 in flight.
        expect(log).to.deep.equal(['10:10->16', '70:16->15', '70:15->14', '70:14->13']);
      }),
    );

    it(
      'should update once per window, from the window it closes',
      marbles((m) => {
        const pool = new Bulkhead({
          maxConcurrent: 4,
          adaptive: { algorithm: 'aimd', window: 10, windowSamples: 2 },
        });
        const log = limitLog(pool);
        // prettier-ignore
        const call = m.cold('-|');
        const drop = m.cold('-#', undefined, timeout());
        // Four successes in the first window (at 1, 3, 5, 7), two in flight each: one +1 when the sample
        // at 12 closes it; a drop and a success in the next: one *0.9 when the sample at 23 closes it.
        for (const at of [0, 0, 2, 2, 4, 4, 6, 6, 11])
          m.scheduler.schedule(() => call.pipe(bulkhead(pool)).subscribe(), at);
        m.scheduler.schedule(() => drop.pipe(bulkhead(pool)).subscribe(ignore), 14);
        m.scheduler.schedule(() => call.pipe(bulkhead(pool)).subscribe(), 22);
        m.flush();
        expect(log).to.deep.equal(['12:4->5', '23:5->4']);
      }),
    );
  });

  describe('a broken random', () => {
    it('should give the slot back when its limit throws while learning, the throw reported after the end', async () => {
      const reported: unknown[] = [];
      const before = config.onStoppedNotification;
      // The call has completed when its limit learns: rxjs reports the throw as a late notification.
      config.onStoppedNotification = (notification) => reported.push(notification);
      try {
        let draws = 0;
        let now = 0;
        const pool = new Bulkhead({
          maxConcurrent: 1,
          maxQueued: 1,
          adaptive: {
            algorithm: 'vegas',
            window: 0,
            probeMultiplier: 1,
            random: () => {
              if (++draws > 1) throw new Error('random broke'); // at the first re-probe
              return 0;
            },
          },
          scheduler: { now: () => now, schedule: () => new Subscription() },
        });
        const first = new Subject<number>();
        let started = false;
        first.pipe(bulkhead(pool)).subscribe();
        defer(() => {
          started = true;
          return NEVER;
        })
          .pipe(bulkhead(pool))
          .subscribe();
        expect([pool.active, pool.queued]).to.deep.equal([1, 1]);
        now = 5;
        first.complete(); // the limit learns from it, and its random throws
        expect([pool.active, pool.queued, started]).to.deep.equal([1, 0, true]);
        await new Promise((resolve) => setTimeout(resolve, 0)); // rxjs reports it from a timer
        expect(reported).to.have.length(1);
        const { kind, error } = reported[0] as { kind: string; error: UnsubscriptionError };
        expect([kind, error.errors]).to.deep.equal(['E', [new Error('random broke')]]);
      } finally {
        config.onStoppedNotification = before;
      }
    });
  });

  describe('with ResiliencePipeline', () => {
    it(
      "should learn from each attempt as the bulkhead operator does: the attempt timeout's drop, successes",
      marbles((m) => {
        const fused = aimd(4);
        const stacked = aimd(4);
        const logs = [limitLog(fused), limitLog(stacked)];
        const users = new ResiliencePipeline({ bulkhead: fused, attemptTimeout: 3 });
        // prettier-ignore
        const ok = m.cold('-a|');
        const slow = m.cold('-----a|');
        const calls: Array<Observable<string>> = [ok, ok, ok, slow, ok];
        calls.forEach((call, i) => {
          m.scheduler.schedule(
            () => {
              call.pipe(resilient(users)).subscribe(ignore);
              call.pipe(timeoutAfter(3), bulkhead(stacked)).subscribe(ignore);
            },
            i === 4 ? 10 : 0,
          );
        });
        m.flush();
        expect(logs[0]).to.deep.equal(['2:4->5', '2:5->6', '3:6->5']);
        expect(logs[0]).to.deep.equal(logs[1]);
        expect(fused.limit).to.equal(stacked.limit);
      }),
    );

    it('should learn nothing from a pipeline call cancelled while it runs', () => {
      const pool = aimd(2);
      const log = limitLog(pool);
      const users = new ResiliencePipeline({ bulkhead: pool });
      const stop = new Subject<void>();
      defer(() => timer(1000))
        .pipe(resilient(users), takeUntil(stop))
        .subscribe();
      stop.next();
      of(1).pipe(resilient(users)).subscribe(); // 1 in flight: 1 * 2 >= 2, so it grows
      expect(log.map((entry) => entry.split(':')[1])).to.deep.equal(['2->3']);
    });
  });
});
