/**
 * The bulkhead half of issue 9's closing property: `events$` observers that act on the pool from inside
 * (cancel a call, start new calls) at random instants never make the pool lose or invent a permit, and
 * never leave an observer on a stale state.
 *
 * Each scenario draws a pool, a few calls at random frames (synchronous, timed or never-ending, with
 * random top-level cancellations), and two or three `events$` observers, each reacting to every event it
 * sees with the next action of its own script: nothing, start a new call, cancel the call subscribed
 * last (the one being admitted or queued), cancel the oldest call that has not started (the one being
 * started), or cancel any live call. After every top-level step (when the cascade of reactions is over)
 * and at the end:
 * - `active` is the number of sources subscribed, `queued` the number of calls waiting;
 * - the counters satisfy the equations of `BulkheadMetrics`, within the pool's bounds, and no slot is
 *   free while a call waits;
 * - every observer saw the same events in the same order, the last one carrying the current counts, and
 *   `bulkheadStates` ends on the state those counts give.
 * Half the pools are adaptive (AIMD, issue 14), and failing calls then fail with a drop or another error:
 * the same holds with a limit that moves under the observers' feet (events then include `limit`).
 * In virtual time (TestScheduler), with a fixed seed unless FC_SEED is set and FC_RUNS runs (default 200).
 */
import { expect } from 'chai';
import * as fc from 'fast-check';
import { Observable, Subject, finalize, takeUntil } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { Bulkhead } from '../../src/bulkhead/Bulkhead';
import { TimeoutExceededError } from '../../src/errors/TimeoutExceededError';
import type { BulkheadEvent } from '../../src/bulkhead/BulkheadEvent';
import { bulkhead } from '../../src/operators/bulkhead';
import { bulkheadStates, type BulkheadState } from '../../src/testing/bulkheadStates';

type Reaction = 'none' | 'start' | 'cancelLatest' | 'cancelNextToStart' | 'cancelAny';

interface CallSpec {
  /** Frames the source takes to end; -1: it ends synchronously when subscribed; null: never. */
  readonly duration: number | null;
  readonly fails: boolean;
  /** A failing call fails with a drop (`TimeoutExceededError`), which moves an adaptive limit. */
  readonly drops: boolean;
}

interface Scenario {
  readonly maxConcurrent: number;
  readonly maxQueued: number;
  readonly queueTimeout: number;
  /** An adaptive (AIMD) pool: how far above `maxConcurrent` its limit may grow, and its backoff. */
  readonly adaptive: { readonly headroom: number; readonly backoffRatio: number } | null;
  /** Calls made from outside, `gap` frames after the previous one. */
  readonly calls: ReadonlyArray<CallSpec & { readonly gap: number }>;
  /** Top-level cancellations: at `frame`, the live call picked by `pick`. */
  readonly cancels: ReadonlyArray<{ readonly frame: number; readonly pick: number }>;
  /** Each observer's script, used round and round: one action per event it sees. */
  readonly observers: ReadonlyArray<ReadonlyArray<Reaction>>;
  /** The calls observers start, used round and round. */
  readonly started: ReadonlyArray<CallSpec>;
  /** Random numbers for `cancelAny`. */
  readonly picks: ReadonlyArray<number>;
}

const callSpec = fc.record({
  duration: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 6 }), fc.constant(null)),
  fails: fc.boolean(),
  drops: fc.boolean(),
});

const scenario: fc.Arbitrary<Scenario> = fc.record({
  maxConcurrent: fc.integer({ min: 1, max: 3 }),
  maxQueued: fc.integer({ min: 0, max: 3 }),
  queueTimeout: fc.oneof(fc.constant(Infinity), fc.integer({ min: 1, max: 8 })),
  adaptive: fc.option(
    fc.record({ headroom: fc.integer({ min: 0, max: 3 }), backoffRatio: fc.constantFrom(0.5, 0.9) }),
  ),
  calls: fc.array(
    fc.record({
      gap: fc.integer({ min: 0, max: 3 }),
      duration: callSpec.map((c) => c.duration),
      fails: fc.boolean(),
      drops: fc.boolean(),
    }),
    {
      minLength: 1,
      maxLength: 12,
    },
  ),
  cancels: fc.array(fc.record({ frame: fc.integer({ min: 0, max: 30 }), pick: fc.nat() }), { maxLength: 6 }),
  observers: fc.array(
    fc.array(
      fc.constantFrom<Reaction>('none', 'none', 'start', 'cancelLatest', 'cancelNextToStart', 'cancelAny'),
      { minLength: 1, maxLength: 8 },
    ),
    { minLength: 2, maxLength: 3 },
  ),
  started: fc.array(callSpec, { minLength: 1, maxLength: 4 }),
  picks: fc.array(fc.nat(), { minLength: 1, maxLength: 8 }),
});

const runs = Number(process.env['FC_RUNS'] ?? 200);
const seed = process.env['FC_SEED'] === undefined ? 20260509 : Number(process.env['FC_SEED']);

/** Reactions run per scenario at most, so observers that start a call per event still end. */
const REACTION_BUDGET = 40;

interface Call {
  readonly id: number;
  readonly cancel: Subject<void>;
  /** Its source was subscribed (it held a slot and ran). */
  ran: boolean;
  /** Its caller's subscription ended: completed, errored, refused or cancelled. */
  ended: boolean;
}

/** What each of the scenario's reactions did, summed over a run: the property must not be vacuous. */
interface Tally {
  cancelledWhileAdmitted: number;
  cancelledWhileStarted: number;
  cancelledWhileQueued: number;
  startedFromObserver: number;
  limitChanges: number;
}

/** Runs one scenario in virtual time, asserting every invariant after every step. */
function check(s: Scenario, tally: Tally): void {
  const scheduler = new TestScheduler(() => undefined);
  scheduler.run(() => {
    const pool = new Bulkhead({
      maxConcurrent: s.maxConcurrent,
      maxQueued: s.maxQueued,
      queueTimeout: s.queueTimeout,
      ...(s.adaptive === null
        ? {}
        : {
            adaptive: {
              algorithm: 'aimd',
              max: s.maxConcurrent + s.adaptive.headroom,
              backoffRatio: s.adaptive.backoffRatio,
            },
          }),
    });
    const maxLimit = s.maxConcurrent + (s.adaptive?.headroom ?? 0);
    const calls: Call[] = [];
    let running = 0;
    let budget = REACTION_BUDGET;
    let startedCount = 0;
    let pickCount = 0;

    const live = (): Call[] => calls.filter((c) => !c.ended);
    const waiting = (): number => calls.filter((c) => !c.ended && !c.ran).length;

    const source = (call: Call, spec: CallSpec): Observable<number> =>
      new Observable<number>((subscriber) => {
        call.ran = true;
        running++;
        const end = (): void => {
          if (spec.fails) {
            subscriber.error(
              spec.drops
                ? new TimeoutExceededError({ limit: 'total', after: 1, seen: 0, meta: call.id })
                : new Error(`call ${call.id}`),
            );
          } else {
            subscriber.next(call.id);
            subscriber.complete();
          }
        };
        if (spec.duration === -1) end();
        else if (spec.duration !== null) subscriber.add(scheduler.schedule(end, spec.duration));
        return () => running--;
      });

    const makeCall = (spec: CallSpec): void => {
      const call: Call = { id: calls.length, cancel: new Subject<void>(), ran: false, ended: false };
      calls.push(call);
      source(call, spec)
        .pipe(
          bulkhead(pool),
          takeUntil(call.cancel),
          finalize(() => (call.ended = true)),
        )
        .subscribe({ error: () => undefined });
    };

    const cancel = (call: Call | undefined, event: BulkheadEvent['type'] | null): void => {
      if (call === undefined || call.ended) return;
      if (event === 'admitted') tally.cancelledWhileAdmitted++;
      if (event === 'started' && !call.ran) tally.cancelledWhileStarted++;
      if (event === 'queued') tally.cancelledWhileQueued++;
      call.cancel.next();
    };

    const react = (reaction: Reaction, event: BulkheadEvent): void => {
      if (reaction === 'none' || budget <= 0) return;
      budget--;
      switch (reaction) {
        case 'start':
          tally.startedFromObserver++;
          return makeCall(s.started[startedCount++ % s.started.length]!);
        case 'cancelLatest':
          return cancel(calls[calls.length - 1], event.type);
        case 'cancelNextToStart':
          return cancel(
            calls.find((c) => !c.ended && !c.ran),
            event.type,
          );
        case 'cancelAny': {
          const candidates = live();
          const pick = s.picks[pickCount++ % s.picks.length]!;
          return cancel(candidates[pick % Math.max(1, candidates.length)], null);
        }
      }
    };

    // Observers, in subscription order: each logs what it sees and reacts with its script.
    const logs: string[][] = s.observers.map(() => []);
    s.observers.forEach((script, o) => {
      let turn = 0;
      pool.events$.subscribe((event) => {
        if (o === 0 && event.type === 'limit') tally.limitChanges++;
        logs[o]!.push(`${event.type} ${event.active}/${event.queued}`);
        react(script[turn++ % script.length]!, event);
      });
    });
    const states: BulkheadState[] = [];
    bulkheadStates(pool).subscribe((state) => states.push(state));

    const stateOf = (active: number, queued: number): BulkheadState =>
      queued > 0 ? 'queueing' : active === 0 ? 'empty' : active < pool.limit ? 'busy' : 'full';

    /** After a step, when every reaction has run: the pool agrees with the world and its observers. */
    const settle = (): void => {
      const m = pool.metrics();
      expect(m.active, 'active = sources subscribed').to.equal(running);
      expect(m.queued, 'queued = calls waiting').to.equal(waiting());
      expect(m.active).to.be.at.most(maxLimit);
      expect(m.limit).to.be.within(1, maxLimit);
      expect(m.queued).to.be.at.most(s.maxQueued);
      expect(m.active < m.limit && m.queued > 0, 'a slot is free while a call waits').to.equal(false);
      expect(m.calls, 'calls').to.equal(m.admitted + m.enqueued + m.rejectedFull);
      expect(m.enqueued, 'enqueued').to.equal(m.started + m.rejectedQueueTimeout + m.abandoned + m.queued);
      expect(m.admitted + m.started, 'slots').to.equal(m.released + m.active);
      for (const log of logs.slice(1))
        expect(log, 'every observer sees the same events').to.deep.equal(logs[0]);
      const last = logs[0]![logs[0]!.length - 1];
      if (last !== undefined) expect(last.split(' ')[1], 'last event').to.equal(`${m.active}/${m.queued}`);
      expect(states[states.length - 1], 'bulkheadStates').to.equal(stateOf(m.active, m.queued));
    };

    let frame = 0;
    for (const call of s.calls) {
      frame += call.gap;
      scheduler.schedule(() => {
        makeCall(call);
        settle();
      }, frame);
    }
    for (const { frame: at, pick } of s.cancels) {
      scheduler.schedule(() => {
        const candidates = live();
        cancel(candidates[pick % Math.max(1, candidates.length)], null);
        settle();
      }, at);
    }
    // Timed sources and queue timeouts end between the steps above: check after each of those too.
    for (let at = 0; at <= 45; at++) scheduler.schedule(settle, at);
    scheduler.flush();
    // Callers leave; reactions may start calls meanwhile (within the budget): until none is left.
    for (let left = live(); left.length > 0; left = live()) {
      cancel(left[0], null);
      settle();
    }
    expect([running, pool.active, pool.queued]).to.deep.equal([0, 0, 0]);
    expect(states[states.length - 1]).to.equal('empty');
  });
}

describe('Bulkhead (property: re-entrant events$ observers)', () => {
  it('should keep permits, counts and every observer’s last state consistent whatever observers do', function () {
    this.timeout(60_000);
    const tally: Tally = {
      cancelledWhileAdmitted: 0,
      cancelledWhileStarted: 0,
      cancelledWhileQueued: 0,
      startedFromObserver: 0,
      limitChanges: 0,
    };
    fc.assert(
      fc.property(scenario, (s) => check(s, tally)),
      { seed, numRuns: runs },
    );
    // The generator reaches every instant the property is about, so it is not vacuous.
    expect(tally.cancelledWhileAdmitted).to.be.greaterThan(0);
    expect(tally.cancelledWhileStarted).to.be.greaterThan(0);
    expect(tally.cancelledWhileQueued).to.be.greaterThan(0);
    expect(tally.startedFromObserver).to.be.greaterThan(0);
    expect(tally.limitChanges).to.be.greaterThan(0);
  });
});
