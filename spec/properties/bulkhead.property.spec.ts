/**
 * Property P1 of the test plan (anchors/chaos-and-testing.md §4.4): a bulkhead never runs more than
 * `maxConcurrent` calls at once; every call is run, refused or cancelled while waiting (exactly one);
 * waiting calls start first in, first out; a call is refused as full only when every slot and every queue
 * place is taken; a slot never stays free while a call waits; a queueTimeout refusal comes exactly
 * `queueTimeout` ms after the call queued; nothing is left subscribed at the end. Random pool sizes, queue
 * timeouts, arrival times, durations (synchronous ones included), outcomes (value, error, never) and
 * cancellations, in virtual time (TestScheduler), with a fixed seed unless FC_SEED is set and FC_RUNS
 * runs (default 200).
 */
import { expect } from 'chai';
import * as fc from 'fast-check';
import { Observable, type Subscription } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { Bulkhead } from '../../src/bulkhead/Bulkhead';
import { isBulkheadRejectedError } from '../../src/errors/BulkheadRejectedError';
import { bulkhead } from '../../src/operators/bulkhead';

interface Call {
  /** Frames after the previous call (0: same frame). */
  readonly gap: number;
  /** Frames the source takes to end; -1: it ends synchronously when subscribed. */
  readonly duration: number;
  readonly outcome: 'value' | 'error' | 'never';
  /** Frames after subscribing at which the caller unsubscribes; null: never. */
  readonly cancelAfter: number | null;
}

interface Scenario {
  readonly maxConcurrent: number;
  readonly maxQueued: number;
  readonly queueTimeout: number;
  readonly calls: ReadonlyArray<Call>;
}

const scenario: fc.Arbitrary<Scenario> = fc.record({
  maxConcurrent: fc.integer({ min: 1, max: 5 }),
  maxQueued: fc.integer({ min: 0, max: 5 }),
  queueTimeout: fc.oneof(fc.constant(Infinity), fc.integer({ min: 1, max: 15 })),
  calls: fc.array(
    fc.record({
      gap: fc.integer({ min: 0, max: 3 }),
      duration: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 10 })),
      outcome: fc.constantFrom<Call['outcome']>('value', 'value', 'error', 'never'),
      cancelAfter: fc.option(fc.integer({ min: 0, max: 15 }), { nil: null }),
    }),
    { maxLength: 30 },
  ),
});

const runs = Number(process.env['FC_RUNS'] ?? 200);
const seed = process.env['FC_SEED'] === undefined ? 20261127 : Number(process.env['FC_SEED']);

type Fate = 'ran' | 'refused' | 'cancelled';

/** Runs one scenario in virtual time and asserts every invariant; returns each call's fate. */
function check(s: Scenario): Fate[] {
  const scheduler = new TestScheduler(() => undefined);
  const fates: Array<Fate | undefined> = s.calls.map(() => undefined);
  scheduler.run(() => {
    const pool = new Bulkhead({
      maxConcurrent: s.maxConcurrent,
      maxQueued: s.maxQueued,
      queueTimeout: s.queueTimeout,
    });
    let running = 0;
    const waiting: number[] = []; // the model queue: call ids, oldest first
    const queuedAt = new Map<number, number>();
    const subscribed = new Set<number>();
    const subscriptions: Subscription[] = [];

    /** Checked after every step: the pool agrees with the model, and it is work-conserving. */
    const settle = (): void => {
      expect(pool.active, 'active').to.equal(running);
      expect(pool.queued, 'queued').to.equal(waiting.length);
      expect(running < s.maxConcurrent && waiting.length > 0, 'a slot is free while a call waits').to.equal(
        false,
      );
    };

    const upstream = (i: number, call: Call): Observable<number> =>
      new Observable<number>((subscriber) => {
        // (1) never more than maxConcurrent at once
        running++;
        expect(running, 'running').to.be.at.most(s.maxConcurrent);
        expect(subscribed.has(i), 'subscribed twice').to.equal(false);
        subscribed.add(i);
        const at = waiting.indexOf(i);
        if (at >= 0) {
          // (3) FIFO: a waiting call starts only when it is the oldest one waiting
          expect(at, `call ${i} started ahead of ${waiting[0]}`).to.equal(0);
          waiting.shift();
        }
        const end = (): void => {
          if (call.outcome === 'value') {
            subscriber.next(i);
            subscriber.complete();
          } else if (call.outcome === 'error') {
            subscriber.error(new Error(`upstream ${i}`));
          }
        };
        if (call.duration < 0) end();
        else
          subscriber.add(
            scheduler.schedule(() => {
              end();
              settle();
            }, call.duration),
          );
        return () => running--;
      });

    let at = 0;
    s.calls.forEach((call, i) => {
      at += call.gap;
      scheduler.schedule(() => {
        const active = pool.active;
        const queued = pool.queued;
        let refused = false;
        const subscription = upstream(i, call)
          .pipe(bulkhead(pool))
          .subscribe({
            error: (err: unknown) => {
              if (!isBulkheadRejectedError(err)) return; // the upstream's own error: the call ran
              expect(subscribed.has(i), 'refused after running').to.equal(false);
              fates[i] = 'refused';
              if (err.info.reason === 'full') {
                // (4) refused only when every slot and every queue place is taken
                expect([active, queued]).to.deep.equal([s.maxConcurrent, s.maxQueued]);
              } else {
                expect(scheduler.now() - queuedAt.get(i)!, 'waited').to.equal(s.queueTimeout);
                waiting.splice(waiting.indexOf(i), 1);
              }
              refused = true;
            },
          });
        if (!subscribed.has(i) && !refused) {
          waiting.push(i);
          queuedAt.set(i, scheduler.now());
        }
        subscriptions[i] = subscription;
        settle();
        if (call.cancelAfter !== null) {
          scheduler.schedule(() => {
            const index = waiting.indexOf(i);
            subscription.unsubscribe();
            if (index >= 0) {
              waiting.splice(index, 1);
              fates[i] = 'cancelled';
            }
            settle();
          }, call.cancelAfter);
        }
      }, at);
    });
    scheduler.flush();
    // Calls still waiting or running at the end are cancelled by their callers.
    subscriptions.forEach((subscription, i) => {
      if (waiting.includes(i)) {
        waiting.splice(waiting.indexOf(i), 1);
        fates[i] = 'cancelled';
      }
      subscription.unsubscribe();
      settle();
    });
    subscribed.forEach((i) => {
      expect(fates[i], `call ${i}`).to.equal(undefined);
      fates[i] = 'ran';
    });
    // (6) nothing left subscribed, nothing left waiting
    expect([running, pool.active, pool.queued]).to.deep.equal([0, 0, 0]);
    const m = pool.metrics();
    expect(m.admitted + m.started, 'ran').to.equal(subscribed.size);
    expect(m.calls).to.equal(s.calls.length);
  });
  // (2) every call is exactly one of run, refused or cancelled
  expect(fates.every((fate) => fate !== undefined)).to.equal(true);
  return fates as Fate[];
}

describe('bulkhead (property P1)', () => {
  it('should never run more than maxConcurrent, and run, refuse or cancel every call, FIFO', function () {
    this.timeout(60_000);
    const seen = { ran: 0, refused: 0, cancelled: 0 };
    fc.assert(
      fc.property(scenario, (s) => {
        for (const fate of check(s)) seen[fate]++;
      }),
      { seed, numRuns: runs },
    );
    // The generator reaches every fate, so the property is not vacuous.
    expect(seen.ran).to.be.greaterThan(0);
    expect(seen.refused).to.be.greaterThan(0);
    expect(seen.cancelled).to.be.greaterThan(0);
  });
});
