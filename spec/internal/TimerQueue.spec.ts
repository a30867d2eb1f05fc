import { expect } from 'chai';
import * as fc from 'fast-check';
import { asyncScheduler, type SchedulerLike } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { MAX_TIMER_DELAY, TimerQueue, type Deadline } from '../../src/internal/TimerQueue';
import { ManualClock } from '../breaker/manualClock';
import { countingScheduler } from '../helpers/countingScheduler';
import { WallClock } from '../helpers/wallClock';

/** A deadline that logs `name@time` when it fires, then runs `then`. */
class Probe implements Deadline {
  timerDue = Infinity;
  timerSlot = -1;
  timerOrder = 0;

  constructor(
    readonly name: string,
    private readonly log: string[],
    private readonly clock: Pick<SchedulerLike, 'now'>,
    private readonly then?: (due: number) => void,
    readonly timerIsLimit = false,
  ) {}

  onDeadline(due: number): void {
    this.log.push(`${this.name}@${this.clock.now()}`);
    this.then?.(due);
  }
}

/** Runs `body` in a fresh TestScheduler's virtual time with its queue, then flushes. */
function virtual(body: (queue: TimerQueue, scheduler: TestScheduler, log: string[]) => void): string[] {
  const scheduler = new TestScheduler(() => undefined);
  const log: string[] = [];
  scheduler.run(() => body(TimerQueue.of(scheduler), scheduler, log));
  return log;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('TimerQueue', () => {
  it('should be one queue per scheduler', () => {
    const scheduler = new TestScheduler(() => undefined);
    expect(TimerQueue.of(scheduler)).to.equal(TimerQueue.of(scheduler));
    expect(TimerQueue.of(scheduler)).not.to.equal(TimerQueue.of(new TestScheduler(() => undefined)));
  });

  it('should fire each deadline at its due time, earliest first, whatever the order they were added in', () => {
    const log = virtual((queue, s, log) => {
      for (const [name, due] of [
        ['c', 7],
        ['a', 2],
        ['d', 9],
        ['b', 5],
      ] as const) {
        queue.add(new Probe(name, log, s), due);
      }
    });
    expect(log).to.deep.equal(['a@2', 'b@5', 'c@7', 'd@9']);
  });

  it('should fire deadlines due at the same instant in the order they were added, a moved one as added last', () => {
    const log = virtual((queue, s, log) => {
      const probes = ['a', 'b', 'c', 'd'].map((name) => new Probe(name, log, s));
      for (const probe of probes) queue.add(probe, 4);
      queue.add(probes[1]!, 4); // moved (to the same instant): now the last of the tie
      expect(queue.size).to.equal(4);
    });
    expect(log).to.deep.equal(['a@4', 'c@4', 'd@4', 'b@4']);
  });

  it('should hold one scheduled action for many deadlines, re-armed only when the earliest becomes earlier', () => {
    const scheduler = new TestScheduler(() => undefined);
    scheduler.run(() => {
      const counting = countingScheduler(scheduler);
      const queue = TimerQueue.of(counting);
      const log: string[] = [];
      for (let i = 0; i < 1000; i++) queue.add(new Probe(`p${i}`, log, scheduler), 10 + i);
      expect(counting.calls.map((c) => c.delay)).to.deep.equal([10]);
      queue.add(new Probe('early', log, scheduler), 3); // earlier than the armed action: re-armed
      queue.add(new Probe('tie', log, scheduler), 3); // not earlier: nothing
      expect(counting.calls.map((c) => c.delay)).to.deep.equal([10, 3]);
      expect(counting.calls[0]!.action.closed).to.equal(true);
      scheduler.flush();
      expect(log).to.have.length(1002);
      expect(queue.size).to.equal(0);
    });
  });

  it('should not fire a removed deadline, the head included, and fire the next one at its own time', () => {
    const log = virtual((queue, s, log) => {
      const [a, b, c] = ['a', 'b', 'c'].map((name) => new Probe(name, log, s)) as [Probe, Probe, Probe];
      queue.add(a, 2);
      queue.add(b, 5);
      queue.add(c, 8);
      expect(queue.remove(a)).to.equal(true);
      expect(queue.remove(a)).to.equal(false);
      expect(queue.has(a)).to.equal(false);
      expect(queue.has(b)).to.equal(true);
      s.schedule(() => queue.remove(c), 6);
    });
    expect(log).to.deep.equal(['b@5']);
  });

  it('should cancel its action when the last deadline leaves, so an idle queue holds no timer', () => {
    const clock = new ManualClock();
    const queue = TimerQueue.of(clock);
    const log: string[] = [];
    const probes = [3, 1, 2].map((due) => {
      const probe = new Probe(`p${due}`, log, clock);
      queue.add(probe, due);
      return probe;
    });
    expect(clock.pending).to.equal(1);
    for (const probe of probes) queue.remove(probe);
    expect(clock.pending).to.equal(0);
    clock.advanceTo(10);
    expect(log).to.deep.equal([]);
  });

  it('should fire a deadline added from inside a firing one: at that instant when due now, else at its time', () => {
    const log = virtual((queue, s, log) => {
      const later = new Probe('later', log, s);
      const now = new Probe('now', log, s);
      queue.add(
        new Probe('first', log, s, (due) => {
          queue.add(later, due + 3);
          queue.add(now, due);
        }),
        2,
      );
      queue.add(new Probe('second', log, s), 2);
    });
    expect(log).to.deep.equal(['first@2', 'second@2', 'now@2', 'later@5']);
  });

  it('should run work due at the same instant before a limit that is due behind another deadline', () => {
    const log = virtual((queue, s, log) => {
      queue.add(new Probe('deadline', log, s), 3);
      // Scheduled after the deadline was added, for the same instant (a value exactly at the limit).
      s.schedule(() => log.push('value@3'), 3);
      queue.add(new Probe('limit', log, s, undefined, true), 3);
      queue.add(new Probe('plain', log, s), 3);
    });
    expect(log).to.deep.equal(['deadline@3', 'value@3', 'limit@3', 'plain@3']);
  });

  it('should never fire an Infinity deadline nor hold a timer for it, and refuse NaN', () => {
    const clock = new ManualClock();
    const queue = TimerQueue.of(clock);
    const log: string[] = [];
    const probe = new Probe('p', log, clock);
    queue.add(probe, 5);
    queue.add(probe, Infinity); // moving it to Infinity removes it
    queue.add(new Probe('q', log, clock), Infinity);
    expect([queue.size, clock.pending]).to.deep.equal([0, 0]);
    expect(() => queue.add(probe, NaN)).to.throw(RangeError, 'TimerQueue: a deadline cannot be due at NaN');
    clock.advanceTo(1e300);
    expect(log).to.deep.equal([]);
  });

  it('should refuse a deadline queued in another queue', () => {
    const log: string[] = [];
    const a = TimerQueue.of(new ManualClock());
    const b = TimerQueue.of(new ManualClock());
    const probe = new Probe('p', log, new ManualClock());
    a.add(probe, 5);
    expect(() => b.add(probe, 5)).to.throw(RangeError, 'TimerQueue: the deadline is queued in another queue');
    expect(b.remove(probe)).to.equal(false);
    expect(a.has(probe)).to.equal(true);
  });

  it('should wait a delay longer than a real timer can hold in steps of at most 2^31 - 1 ms, and fire on time', () => {
    const clock = new WallClock(); // Node's rules: a longer timer would fire after 1 ms
    const queue = TimerQueue.of(clock);
    const log: string[] = [];
    const due = 2 ** 32 + 10;
    queue.add(new Probe('long', log, clock), due);
    clock.advance(due - 1);
    expect(log).to.deep.equal([]);
    clock.advance(1);
    expect(log).to.deep.equal([`long@${due}`]);
    expect(clock.delays).to.deep.equal([MAX_TIMER_DELAY, MAX_TIMER_DELAY, 12]);
  });

  it('should fire deadlines within floating-point error of each other once each, never re-arming in place', () => {
    const scheduler = new TestScheduler(() => undefined);
    const log: string[] = [];
    scheduler.run(() => {
      const counting = countingScheduler(scheduler);
      const queue = TimerQueue.of(counting);
      scheduler.schedule(() => {
        queue.add(new Probe('now', log, scheduler), 0.3);
        queue.add(new Probe('past', log, scheduler), 0.3 - 2 ** -60); // rounds to 0.3: due now
        queue.add(new Probe('sum', log, scheduler), 0.1 + 0.2); // 0.30000000000000004, one ulp on
      }, 0.3);
      scheduler.flush();
      // Each re-arm moved the clock on: one action, re-armed once for the one ulp.
      expect(counting.calls.map((c) => c.delay)).to.deep.equal([0]);
      expect(counting.rearms).to.deep.equal([0.1 + 0.2 - 0.3]);
    });
    expect(log).to.deep.equal(['now@0.3', 'past@0.3', 'sum@0.30000000000000004']);
  });

  it('should fire every deadline that is overdue when the clock jumps forward, together, when its timer fires', () => {
    const clock = new WallClock();
    const queue = TimerQueue.of(clock);
    const log: string[] = [];
    for (const due of [10, 20, 30, 500]) queue.add(new Probe(`p${due}`, log, clock), due);
    clock.advance(5);
    clock.step(100); // the wall clock reads 105; the timer still fires 10 ms after it was armed
    clock.advance(5);
    expect(log).to.deep.equal(['p10@110', 'p20@110', 'p30@110']);
    expect(queue.size).to.equal(1);
  });

  it('should not stretch a deadline when the clock steps back, and time a later one on the new clock', () => {
    const clock = new WallClock();
    const queue = TimerQueue.of(clock);
    const log: string[] = [];
    queue.add(new Probe('a', log, clock), 100);
    queue.add(new Probe('b', log, clock), 150);
    clock.advance(50);
    expect(queue.now()).to.equal(50);
    clock.step(-2000); // reads -1950 at monotonic 50: queue time stands still at 50
    expect(queue.now()).to.equal(50);
    queue.add(new Probe('c', log, clock), queue.now() + 30); // due at monotonic 80
    clock.advance(50);
    expect(log).to.deep.equal(['c@-1920', 'a@-1900']);
    clock.advance(50);
    expect(log).to.deep.equal(['c@-1920', 'a@-1900', 'b@-1850']);
    expect([queue.size, clock.pending]).to.deep.equal([0, 0]);
  });

  it('should fire a timer on time when the clock was set back unseen while it waited', () => {
    const clock = new WallClock();
    const queue = TimerQueue.of(clock);
    const log: string[] = [];
    queue.add(new Probe('a', log, clock), 100);
    clock.advance(50);
    clock.step(-2000);
    clock.advance(50);
    expect(log).to.deep.equal(['a@-1900']);
    queue.add(new Probe('b', log, clock), queue.now() + 10); // queue time went on from 100
    clock.advance(10);
    expect(log).to.deep.equal(['a@-1900', 'b@-1890']);
  });

  it('should fire a deadline added after the clock was set forward on time, not with the armed timer', () => {
    const clock = new WallClock();
    const queue = TimerQueue.of(clock);
    const log: string[] = [];
    queue.add(new Probe('long', log, clock), queue.now() + 60_000);
    clock.advance(1);
    clock.step(59_950); // the timer armed for 60 000 still waits 59 999 ms
    queue.add(new Probe('short', log, clock), queue.now() + 100); // due at 60 051 by the clock
    clock.advance(100);
    expect(log).to.deep.equal(['long@60000', 'short@60051']);
    expect([queue.size, clock.pending]).to.deep.equal([0, 0]);
  });

  it('should never fire before its due time by a clock that moved on, waiting at most its delay more', () => {
    const clock = new WallClock();
    const queue = TimerQueue.of(clock);
    const log: string[] = [];
    queue.add(new Probe('a', log, clock), 100);
    clock.advance(50);
    clock.step(-5); // still after the time it was armed at: the timer fires when the clock reads 95
    clock.advance(50);
    expect(log).to.deep.equal([]);
    clock.advance(5);
    expect(log).to.deep.equal(['a@100']);
  });

  it('should move a queued deadline when its timer is overdue by seconds (an event loop blocked that long)', () => {
    const clock = new WallClock();
    const queue = TimerQueue.of(clock);
    const log: string[] = [];
    const early = new Probe('early', log, clock);
    const moved = new Probe('moved', log, clock);
    queue.add(early, 10);
    queue.add(moved, 5000);
    clock.step(2000); // the wall clock moves on, the timer armed for 10 has not run yet
    queue.add(moved, queue.now() + 100); // a value moves its deadline: the heap is presumed stale
    expect(queue.size).to.equal(2);
    expect(queue.has(moved)).to.equal(true);
    clock.advance(100);
    expect(log).to.deep.equal(['early@2010', 'moved@2100']);
    expect([queue.size, clock.pending]).to.deep.equal([0, 0]);
  });

  it('should keep asyncScheduler deadlines of real time on their own timer through TestScheduler.run', async () => {
    const queue = TimerQueue.of(asyncScheduler);
    const log: string[] = [];
    const real = new Probe('real', log, { now: () => 0 });
    const cancelled = new Probe('cancelled', log, { now: () => 0 });
    queue.add(real, queue.now() + 5);
    queue.add(cancelled, queue.now() + 6);
    new TestScheduler(() => undefined).run(() => {
      // asyncScheduler is virtual in here: its clock reads 0
      queue.add(new Probe('virtual', log, asyncScheduler), queue.now() + 3);
      // Cancelling a real timer from here would not stop it (rxjs clears it on the virtual clock), and it
      // would then throw 'executing a cancelled action'.
      queue.remove(cancelled);
    });
    expect(log).to.deep.equal(['virtual@3']);
    await sleep(30);
    expect(log).to.deep.equal(['virtual@3', 'real@0']);
    expect(queue.size).to.equal(0);
  });

  it('should leave a real timer alone when its last deadline leaves inside TestScheduler.run', async () => {
    const queue = TimerQueue.of(asyncScheduler);
    const log: string[] = [];
    const real = new Probe('real', log, { now: () => 0 });
    queue.add(real, queue.now() + 5);
    new TestScheduler(() => undefined).run(() => {
      // The first thing in here: the timer was set on the real clock, and rxjs would clear it on the
      // virtual one; it would then fire anyway and throw 'executing a cancelled action'.
      expect(queue.remove(real)).to.equal(true);
    });
    await sleep(30);
    expect(log).to.deep.equal([]);
    expect(queue.size).to.equal(0);
  });

  it('should not wait on a timer of a TestScheduler.run that ended before it ran', async () => {
    const queue = TimerQueue.of(asyncScheduler);
    const log: string[] = [];
    const left = new Probe('left', log, { now: () => 0 });
    expect(() =>
      new TestScheduler(() => undefined).run(() => {
        queue.add(left, queue.now() + 10);
        throw new Error('the test failed before the flush');
      }),
    ).to.throw('the test failed before the flush');
    queue.add(new Probe('real', log, { now: () => 0 }), queue.now() + 5);
    await sleep(30);
    expect(log).to.deep.equal(['real@0']);
    expect(queue.remove(left)).to.equal(true);
    expect(queue.size).to.equal(0);
  });

  it('should drop the deadlines whose action a flush that threw dropped, and time the next run on time', () => {
    const scheduler = new TestScheduler(() => undefined); // one scheduler for every test of a file
    const queue = TimerQueue.of(scheduler);
    const log: string[] = [];
    // A test fails inside its run: the flush rethrows, and unsubscribes every action still pending (ours).
    expect(() =>
      scheduler.run(() => {
        queue.add(new Probe('left', log, scheduler), queue.now() + 100);
        scheduler.schedule(() => {
          throw new Error('the test failed in its flush');
        }, 50);
      }),
    ).to.throw('the test failed in its flush');
    expect(scheduler.now()).to.equal(50);
    scheduler.run(() => {
      queue.add(new Probe('next', log, scheduler), queue.now() + 200);
    });
    // As with rxjs's own timers: what the failed run left never fires, and the next run's is on time.
    expect(log).to.deep.equal(['next@250']);
    expect(queue.size).to.equal(0);
  });

  it('should rethrow a throw from a deadline from an action of its own, after firing the others', () => {
    const scheduler = new TestScheduler(() => undefined);
    const log: string[] = [];
    expect(() =>
      scheduler.run(() => {
        const queue = TimerQueue.of(scheduler);
        queue.add(
          new Probe('a', log, scheduler, () => {
            throw new Error('boom');
          }),
          2,
        );
        queue.add(new Probe('b', log, scheduler), 2);
        queue.add(new Probe('c', log, scheduler), 4);
      }),
    ).to.throw('boom');
    expect(log).to.deep.equal(['a@2', 'b@2']);
  });

  describe('against a sorted-array model (property)', () => {
    type Op =
      | { readonly type: 'add'; readonly id: number; readonly delay: number; readonly chain: number | null }
      | { readonly type: 'remove'; readonly id: number }
      | { readonly type: 'advance'; readonly ms: number };

    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({
        type: fc.constant('add' as const),
        id: fc.integer({ min: 0, max: 7 }),
        delay: fc.integer({ min: 0, max: 20 }),
        chain: fc.option(fc.integer({ min: 0, max: 5 })),
      }),
      fc.record({ type: fc.constant('remove' as const), id: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ type: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 12 }) }),
    );

    it('should fire exactly what the model fires, at the same instants, in the same order, with one timer', () => {
      fc.assert(
        fc.property(fc.array(op, { maxLength: 60 }), fc.boolean(), (ops, limits) => {
          const clock = new ManualClock();
          const queue = TimerQueue.of(clock);
          const log: string[] = [];
          // The model: id -> [due, order]; fired in (due, order) order at their due instant.
          const model = new Map<number, { due: number; order: number }>();
          const expected: string[] = [];
          let order = 0;
          const chains = new Map<number, number | null>();
          const probes = Array.from(
            { length: 8 },
            (_, id) =>
              new Probe(
                `p${id}`,
                log,
                clock,
                (due) => {
                  // A deadline added from inside a firing one: the next id, `chain` ms after this one.
                  const chain = chains.get(id);
                  if (id < 7 && chain !== null && chain !== undefined)
                    queue.add(probes[id + 1]!, due + chain);
                },
                limits && id % 2 === 0,
              ),
          );
          const modelAdd = (id: number, due: number) => model.set(id, { due, order: order++ });
          const modelAdvance = (to: number) => {
            for (;;) {
              let next: [number, { due: number; order: number }] | undefined;
              for (const entry of model) {
                const [, e] = entry;
                if (
                  e.due <= to &&
                  (next === undefined ||
                    e.due < next[1].due ||
                    (e.due === next[1].due && e.order < next[1].order))
                )
                  next = entry;
              }
              if (next === undefined) return;
              const [id, e] = next;
              model.delete(id);
              expected.push(`p${id}@${e.due}`);
              const chain = chains.get(id);
              if (id < 7 && chain !== null && chain !== undefined) modelAdd(id + 1, e.due + chain);
            }
          };
          for (const o of ops) {
            switch (o.type) {
              case 'add':
                chains.set(o.id, o.chain);
                queue.add(probes[o.id]!, clock.now() + o.delay);
                modelAdd(o.id, clock.now() + o.delay);
                break;
              case 'remove':
                expect(queue.remove(probes[o.id]!)).to.equal(model.delete(o.id));
                break;
              case 'advance':
                clock.advanceTo(clock.now() + o.ms);
                modelAdvance(clock.now());
                break;
            }
            expect(log).to.deep.equal(expected);
            expect(queue.size).to.equal(model.size);
            expect(clock.pending).to.equal(model.size === 0 ? 0 : 1);
          }
          for (const id of [...model.keys()]) {
            queue.remove(probes[id]!);
            model.delete(id);
          }
          expect([queue.size, clock.pending]).to.deep.equal([0, 0]);
        }),
        { numRuns: 300, seed: 20261127 },
      );
    });
  });

  describe('with hundreds of deadlines, most of them of one limit (property)', () => {
    // Most deadlines join the queue's FIFO run (each due no earlier than the one before it): many at once
    // make it grow, removals leave gaps it must skip and compact, and the others go to its heap.
    type Op =
      | { readonly type: 'add'; readonly ids: number[]; readonly delay: number }
      | { readonly type: 'remove'; readonly ids: number[] }
      | { readonly type: 'advance'; readonly ms: number };
    const IDS = 300;
    const LIMIT = 50;
    const ids = fc.array(fc.integer({ min: 0, max: IDS - 1 }), { minLength: 1, maxLength: 200 });
    const op: fc.Arbitrary<Op> = fc.oneof(
      {
        weight: 3,
        arbitrary: fc.record({
          type: fc.constant('add' as const),
          ids,
          delay: fc.oneof(
            { weight: 4, arbitrary: fc.constant(LIMIT) },
            { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 * LIMIT }) },
          ),
        }),
      },
      { weight: 2, arbitrary: fc.record({ type: fc.constant('remove' as const), ids }) },
      {
        weight: 1,
        arbitrary: fc.record({ type: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 30 }) }),
      },
    );

    it('should skip and compact the gaps removed deadlines leave, and fire the rest in order', () => {
      const clock = new ManualClock();
      const queue = TimerQueue.of(clock);
      const log: string[] = [];
      const probes = Array.from({ length: IDS }, (_, id) => new Probe(`p${id}`, log, clock));
      // 200 calls of one limit, then all but every 8th leave (the first stays): the run is mostly gaps.
      for (let id = 0; id < 200; id++) {
        queue.add(probes[id]!, clock.now() + LIMIT);
        clock.advanceTo(clock.now() + 0.125);
      }
      for (let id = 0; id < 200; id++) if (id % 8 !== 0) queue.remove(probes[id]!);
      // More join behind them, one moves to the end, and one is earlier than the run (the heap takes it).
      for (let id = 200; id < 300; id++) queue.add(probes[id]!, clock.now() + LIMIT);
      queue.add(probes[8]!, clock.now() + LIMIT);
      queue.remove(probes[250]!);
      queue.add(probes[250]!, clock.now() + 1);
      expect(queue.size).to.equal(25 + 100);
      clock.advanceTo(clock.now() + 2 * LIMIT);
      const kept = [0, ...Array.from({ length: 23 }, (_, i) => 16 + 8 * i)];
      expect(log).to.deep.equal([
        `p250@${clock.now() - 2 * LIMIT + 1}`,
        ...kept.map((id) => `p${id}@${id * 0.125 + LIMIT}`),
        ...Array.from({ length: 100 }, (_, i) => 200 + i)
          .filter((id) => id !== 250)
          .map((id) => `p${id}@${25 + LIMIT}`),
        `p8@${25 + LIMIT}`,
      ]);
      expect([queue.size, clock.pending]).to.deep.equal([0, 0]);
    });

    it('should fire exactly what a sorted model fires, in the same order, with one timer', () => {
      fc.assert(
        fc.property(fc.array(op, { maxLength: 40 }), fc.boolean(), (ops, limits) => {
          const clock = new ManualClock();
          const queue = TimerQueue.of(clock);
          const log: string[] = [];
          const probes = Array.from(
            { length: IDS },
            (_, id) => new Probe(`p${id}`, log, clock, undefined, limits && id % 3 === 0),
          );
          const model = new Map<number, { due: number; order: number }>();
          const expected: string[] = [];
          let order = 0;
          for (const o of ops) {
            switch (o.type) {
              case 'add':
                for (const id of o.ids) {
                  queue.add(probes[id]!, clock.now() + o.delay);
                  model.set(id, { due: clock.now() + o.delay, order: order++ });
                }
                break;
              case 'remove':
                for (const id of o.ids) expect(queue.remove(probes[id]!)).to.equal(model.delete(id));
                break;
              case 'advance': {
                clock.advanceTo(clock.now() + o.ms);
                const due = [...model]
                  .filter(([, e]) => e.due <= clock.now())
                  .sort(([, a], [, b]) => a.due - b.due || a.order - b.order);
                for (const [id, e] of due) {
                  model.delete(id);
                  expected.push(`p${id}@${e.due}`);
                }
                break;
              }
            }
            expect(log).to.deep.equal(expected);
            expect(queue.size).to.equal(model.size);
            expect(clock.pending).to.equal(model.size === 0 ? 0 : 1);
          }
          for (const id of [...model.keys()]) expect(queue.remove(probes[id]!)).to.equal(true);
          expect([queue.size, clock.pending]).to.deep.equal([0, 0]);
        }),
        { numRuns: 200, seed: 20261203 },
      );
    });
  });

  describe('on a wall clock set back and forward (property)', () => {
    type Op =
      | { readonly type: 'add'; readonly id: number; readonly delay: number }
      | { readonly type: 'remove'; readonly id: number }
      | { readonly type: 'advance'; readonly ms: number }
      | { readonly type: 'step'; readonly ms: number };

    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({
        type: fc.constant('add' as const),
        id: fc.integer({ min: 0, max: 7 }),
        delay: fc.oneof(
          fc.integer({ min: 0, max: 50 }),
          fc.double({ min: 0, max: 50, noNaN: true }),
          fc.constant(MAX_TIMER_DELAY + 6),
        ),
      }),
      fc.record({ type: fc.constant('remove' as const), id: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ type: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 60 }) }),
      fc.record({ type: fc.constant('step' as const), ms: fc.integer({ min: -3000, max: 3000 }) }),
    );

    it('should fire each deadline once, never before it is due by a clock not set back, never late by more than its delay', () => {
      fc.assert(
        fc.property(fc.array(op, { maxLength: 60 }), fc.boolean(), (ops, limits) => {
          const clock = new WallClock(); // timers on a monotonic clock, now() on a wall clock
          const queue = TimerQueue.of(clock);
          /** What each queued deadline expects: its due time on both clocks, and whether the clock was set back since. */
          const waiting = new Map<
            number,
            { monotonic: number; wall: number; delay: number; setBack: boolean }
          >();
          const broken: string[] = [];
          const probes = Array.from(
            { length: 8 },
            (_, id) =>
              new Probe(
                `p${id}`,
                [],
                clock,
                () => {
                  const w = waiting.get(id);
                  waiting.delete(id);
                  if (w === undefined) broken.push(`p${id} fired unqueued`);
                  else if (!w.setBack && clock.now() < w.wall) broken.push(`p${id} early at ${clock.now()}`);
                  // Node fires a timer shorter than 1 ms after 1 ms, and a re-arm can round up again.
                  else if (clock.monotonic > w.monotonic + w.delay + 2) broken.push(`p${id} late`);
                },
                limits && id % 2 === 0,
              ),
          );
          for (const o of ops) {
            switch (o.type) {
              case 'add':
                queue.add(probes[o.id]!, queue.now() + o.delay);
                waiting.set(o.id, {
                  monotonic: clock.monotonic + o.delay,
                  wall: clock.now() + o.delay,
                  delay: o.delay,
                  setBack: false,
                });
                break;
              case 'remove':
                expect(queue.remove(probes[o.id]!)).to.equal(waiting.delete(o.id));
                break;
              case 'advance':
                clock.advance(o.ms);
                break;
              case 'step':
                clock.step(o.ms);
                if (o.ms < 0) for (const w of waiting.values()) w.setBack = true;
                break;
            }
            expect(broken).to.deep.equal([]);
            expect(queue.size).to.equal(waiting.size);
          }
          clock.advance(2 * MAX_TIMER_DELAY + 100);
          expect(broken).to.deep.equal([]);
          expect([waiting.size, queue.size, clock.pending]).to.deep.equal([0, 0, 0]);
        }),
        { numRuns: 1000, seed: 20261128 },
      );
    });
  });
});
