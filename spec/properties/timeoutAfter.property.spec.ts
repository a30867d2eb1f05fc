/**
 * timeoutAfter against a model of DESIGN 2.2, under random value timings (same-frame values included),
 * sources that complete or never do, and random combinations of `first`, `each` and `total`: the result
 * is exactly the model's (every value in time is delivered; the first limit that passes errors at its
 * deadline with the model's `info`), the source is unsubscribed at that instant, and one timer is
 * created (two only when the first value brings the deadline forward). Checked in virtual time, with a fixed seed unless FC_SEED is set and FC_RUNS runs (default 300).
 */
import { expect } from 'chai';
import * as fc from 'fast-check';
import { Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { isTimeoutExceededError } from '../../src/errors/TimeoutExceededError';
import { timeoutAfter, type TimeoutAfterConfig } from '../../src/operators/timeoutAfter';
import { countingScheduler } from '../helpers/countingScheduler';

interface Scenario {
  /** Frames between consecutive values (the first counted from subscribe); 0: same frame. */
  readonly gaps: ReadonlyArray<number>;
  /** Frames from the last value to completion; `null`: the source never completes. */
  readonly end: number | null;
  readonly limits: { readonly first?: number; readonly each?: number; readonly total?: number };
}

const limit = fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined });
const scenario: fc.Arbitrary<Scenario> = fc.record({
  gaps: fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 8 }),
  end: fc.option(fc.integer({ min: 0, max: 6 }), { nil: null }),
  limits: fc
    .record({ first: limit, each: limit, total: limit })
    .filter((l) => l.first !== undefined || l.each !== undefined || l.total !== undefined)
    .map((l) => Object.fromEntries(Object.entries(l).filter(([, v]) => v !== undefined))),
});

/** What the subscriber sees: `n@t` (value n at frame t), `|@t`, or `limit/after/seen@t` for the error. */
type Event = string;

/** DESIGN 2.2 written out as plainly as possible. */
function model({ gaps, end, limits }: Scenario): { events: Event[]; unsubscribedAt: number | null } {
  const first = limits.first ?? limits.each ?? Infinity;
  const each = limits.each ?? Infinity;
  const total = limits.total ?? Infinity;
  const events: Event[] = [];
  let seen = 0;
  let last = 0;
  const due = (): { at: number; limit: string; after: number } => {
    const value = seen === 0 ? first : last + each;
    if (total <= value) return { at: total, limit: 'total', after: total };
    const name = seen === 0 && limits.first !== undefined ? 'first' : 'each';
    return { at: value, limit: name, after: seen === 0 ? first : each };
  };
  let t = 0;
  const arrivals = gaps.map((gap) => (t += gap));
  const completion = end === null ? Infinity : t + end;
  for (const [i, at] of [...arrivals, completion].entries()) {
    const deadline = due();
    if (at > deadline.at) {
      events.push(`${deadline.limit}/${deadline.after}/${seen}@${deadline.at}`);
      return { events, unsubscribedAt: deadline.at };
    }
    if (at === Infinity) return { events, unsubscribedAt: null };
    if (i === arrivals.length) {
      events.push(`|@${at}`);
      return { events, unsubscribedAt: at };
    }
    events.push(`${seen}@${at}`);
    seen++;
    last = at;
  }
  throw new Error('unreachable');
}

/** Runs the scenario through timeoutAfter in virtual time. */
function run({ gaps, end, limits }: Scenario): {
  events: Event[];
  unsubscribedAt: number | null;
  timers: number;
} {
  const scheduler = new TestScheduler(() => undefined);
  const events: Event[] = [];
  let unsubscribedAt: number | null = null;
  let timers = 0;
  scheduler.run(() => {
    const counting = countingScheduler(scheduler);
    // Every emission is scheduled at subscribe, before the operator's timer, as a cold marble would be.
    const source = new Observable<number>((subscriber) => {
      let t = 0;
      gaps.forEach((gap, i) => {
        t += gap;
        subscriber.add(scheduler.schedule(() => subscriber.next(i), t));
      });
      if (end !== null) subscriber.add(scheduler.schedule(() => subscriber.complete(), t + end));
      return () => (unsubscribedAt = scheduler.now());
    });
    const config: TimeoutAfterConfig = { ...limits, scheduler: counting };
    source.pipe(timeoutAfter(config)).subscribe({
      next: (v) => events.push(`${v}@${scheduler.now()}`),
      complete: () => events.push(`|@${scheduler.now()}`),
      error: (e: unknown) => {
        if (!isTimeoutExceededError(e)) throw e;
        events.push(`${e.info.limit}/${e.info.after}/${e.info.seen}@${scheduler.now()}`);
      },
    });
    scheduler.flush();
    timers = counting.calls.length;
  });
  return { events, unsubscribedAt, timers };
}

describe('timeoutAfter properties', () => {
  const seed = process.env['FC_SEED'] === undefined ? 20261127 : Number(process.env['FC_SEED']);
  const numRuns = Number(process.env['FC_RUNS'] ?? 300);

  it('should deliver what the model delivers and time out where the model does, with one timer at a time', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const actual = run(s);
        const expected = model(s);
        expect(actual.events).to.deep.equal(expected.events);
        expect(actual.unsubscribedAt).to.equal(expected.unsubscribedAt);
        // One timer, re-armed from inside; a second only when the first value brings the deadline forward.
        expect(actual.timers).to.be.at.most(
          s.limits.each !== undefined && s.limits.each < (s.limits.first ?? 0) ? 2 : 1,
        );
      }),
      { seed, numRuns },
    );
  });
});
