/**
 * Property P2 of the test plan (anchors/chaos-and-testing.md §4.4): a bounded buffer never holds more than
 * `capacity` and every value is delivered or reported dropped, in source order, under random source
 * timings, capacities, concurrency, inner durations (synchronous ones included) and all three overflow
 * policies; checked in virtual time (TestScheduler), with a fixed seed unless FC_SEED is set and
 * FC_RUNS runs (default 200).
 */
import { expect } from 'chai';
import * as fc from 'fast-check';
import { Observable, defer, finalize, map, mergeMap, of, throwError, timer, type Subscription } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { isBufferOverflowError } from '../../src/errors/BufferOverflowError';
import { boundedMergeMap } from '../../src/operators/boundedMergeMap';
import { boundedMergeMapNotices } from '../../src/operators/boundedMergeMapNotices';
import type { BoundedMergeMapNotice } from '../../src/operators/BoundedMergeMapNotice';

type Overflow = 'error' | 'dropIncoming' | 'dropOldest';

interface Arrival {
  /** Frames after the previous arrival (0: same frame). */
  readonly gap: number;
  /** Frames the inner takes to emit its one value and complete; -1: synchronously. */
  readonly duration: number;
  /** The inner errors instead of emitting (used by the notice property only). */
  readonly fails: boolean;
}

interface Scenario {
  readonly capacity: number;
  readonly concurrency: number;
  readonly overflow: Overflow;
  readonly arrivals: ReadonlyArray<Arrival>;
  /** How the source ends, `gap` frames after the last arrival; 'none': it never ends (we unsubscribe). */
  readonly end: { readonly gap: number; readonly kind: 'complete' | 'error' | 'none' };
}

const scenario = (withFailures: boolean): fc.Arbitrary<Scenario> =>
  fc.record({
    capacity: fc.integer({ min: 0, max: 8 }),
    concurrency: fc.integer({ min: 1, max: 3 }),
    overflow: fc.constantFrom<Overflow>('error', 'dropIncoming', 'dropOldest'),
    arrivals: fc.array(
      fc.record({
        gap: fc.integer({ min: 0, max: 3 }),
        // Half of the inners are synchronous: runs of them exercise the drain loop.
        duration: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 8 })),
        fails: withFailures ? fc.boolean() : fc.constant(false),
      }),
      { maxLength: 30 },
    ),
    end: fc.record({
      gap: fc.integer({ min: 0, max: 5 }),
      kind: fc.constantFrom<'complete' | 'error' | 'none'>('complete', 'complete', 'error', 'none'),
    }),
  });

const runs = Number(process.env['FC_RUNS'] ?? 200);
const seed = process.env['FC_SEED'] === undefined ? 20261127 : Number(process.env['FC_SEED']);

/** What one run observed, in virtual time. */
class Observed {
  arrived = 0;
  readonly started: number[] = [];
  readonly dropped: number[] = [];
  readonly delivered: number[] = [];
  active = 0;
  openInners = 0;
  terminal: { kind: 'complete' | 'error'; error?: unknown; at: number } | undefined;
  readonly afterTerminal: string[] = [];
  /** Invariants broken while the run went on (recorded, not thrown: a throw would change the run). */
  readonly violations: string[] = [];

  constructor(readonly s: Scenario) {}

  /** Values that arrived and neither started nor were dropped: the buffer, seen from outside. */
  get waiting(): number {
    return this.arrived - this.started.length - this.dropped.length;
  }

  check(ok: boolean, what: string): void {
    if (!ok) this.violations.push(what);
  }

  /** The invariants that hold at every instant. */
  checkBounds(where: string): void {
    this.check(this.waiting <= this.s.capacity, `waiting ${this.waiting} > capacity (${where})`);
    this.check(this.active <= this.s.concurrency, `active ${this.active} > concurrency (${where})`);
  }
}

/** A cold source that emits 0, 1, 2, ... at the scenario's frames, checking the bounds after each. */
function sourceOf(ts: TestScheduler, o: Observed): Observable<number> {
  const { arrivals, end } = o.s;
  return new Observable<number>((subscriber) => {
    let at = 0;
    arrivals.forEach((arrival, id) => {
      at += arrival.gap;
      subscriber.add(
        ts.schedule(() => {
          // Work-conserving: a value waits only when every slot is busy.
          o.check(
            o.waiting === 0 || o.active === o.s.concurrency,
            `a value waits while a slot is free (${id})`,
          );
          const couldStart = o.active < o.s.concurrency && o.waiting === 0;
          o.arrived++;
          subscriber.next(id);
          if (couldStart && !subscriber.closed) {
            o.check(
              o.started.includes(id),
              `value ${id} had a free slot and an empty queue but did not start`,
            );
          }
          if (!subscriber.closed) o.checkBounds(`after value ${id}`);
        }, at),
      );
    });
    if (end.kind === 'none') return;
    subscriber.add(
      ts.schedule(() => {
        if (end.kind === 'complete') subscriber.complete();
        else subscriber.error(new Error('source failed'));
      }, at + end.gap),
    );
  });
}

/** The inner of value `id`: tracks active and open subscriptions, checks FIFO order and the index. */
function project(ts: TestScheduler, o: Observed) {
  return (id: number, index: number): Observable<number> => {
    o.check(index === id, `index ${index} given for value ${id}: index counts every source value`);
    const last = o.started[o.started.length - 1];
    o.check(last === undefined || id > last, `value ${id} started after ${last}: out of source order`);
    o.started.push(id);
    o.checkBounds(`project(${id})`);
    const { duration, fails } = o.s.arrivals[id]!;
    const body: Observable<number> = fails
      ? timer(Math.max(duration, 0), ts).pipe(mergeMap(() => throwError(() => new Error(`inner ${id}`))))
      : duration < 0
        ? of(id)
        : timer(duration, ts).pipe(map(() => id));
    return defer(() => {
      o.active++;
      o.openInners++;
      o.checkBounds(`inner ${id} subscribed`);
      return body;
    }).pipe(
      finalize(() => {
        o.active--;
        o.openInners--;
      }),
    );
  };
}

function onOverflow(o: Observed) {
  return (id: number): void => {
    // A drop happens only at a full buffer with every slot busy: counting the arriving value, one too many wait.
    o.check(o.waiting === o.s.capacity + 1, `drop of ${id} while the buffer was not full`);
    o.check(o.active === o.s.concurrency, `drop of ${id} while a slot was free`);
    const newest = o.arrived - 1;
    if (o.s.overflow === 'dropOldest' && o.s.capacity > 0) {
      const gone = new Set([...o.started, ...o.dropped]);
      let oldest = 0;
      while (gone.has(oldest)) oldest++;
      o.check(id === oldest, `dropOldest dropped ${id}, not the oldest waiting value ${oldest}`);
    } else {
      o.check(id === newest, `dropIncoming (or capacity 0) dropped ${id}, not the arriving value ${newest}`);
    }
    o.check(!o.dropped.includes(id), `${id} dropped twice`);
    o.dropped.push(id);
    o.checkBounds(`onOverflow(${id})`);
  };
}

/** Runs `s` in virtual time through `build` and returns what was observed once everything settled. */
function runScenario(
  s: Scenario,
  build: (ts: TestScheduler, o: Observed, source: Observable<number>) => Observable<unknown>,
  onValue: (o: Observed, value: unknown, at: number) => void,
): Observed {
  const o = new Observed(s);
  const ts = new TestScheduler(() => undefined);
  ts.run(() => {
    const subscription: Subscription = build(ts, o, sourceOf(ts, o)).subscribe({
      next: (value) => {
        if (o.terminal !== undefined) o.afterTerminal.push(`next ${String(value)}`);
        onValue(o, value, ts.now());
      },
      error: (error: unknown) => {
        if (o.terminal !== undefined) o.afterTerminal.push('error');
        o.terminal = { kind: 'error', error, at: ts.now() };
      },
      complete: () => {
        if (o.terminal !== undefined) o.afterTerminal.push('complete');
        o.terminal = { kind: 'complete', at: ts.now() };
      },
    });
    // Far beyond the last event of any scenario: a source that never ends is unsubscribed here.
    ts.schedule(() => subscription.unsubscribe(), 10_000);
  });
  return o;
}

/** Invariants after the run, common to both forms. */
function checkSettled(o: Observed): void {
  const { s } = o;
  expect(o.violations, 'invariants during the run').to.deep.equal([]);
  expect(o.afterTerminal, 'nothing after the terminal notification').to.deep.equal([]);
  expect(o.openInners, 'no inner subscription left open').to.equal(0);
  expect(new Set(o.dropped).size, 'each dropped value reported once').to.equal(o.dropped.length);
  expect(
    o.dropped.filter((id) => o.started.includes(id)),
    'a dropped value never starts',
  ).to.deep.equal([]);
  if (s.overflow === 'error') expect(o.dropped, "'error' drops nothing").to.deep.equal([]);
  if (o.terminal?.kind === 'error' && isBufferOverflowError(o.terminal.error)) {
    expect(s.overflow, 'only the error policy overflows with an error').to.equal('error');
    expect(o.terminal.error.info).to.deep.equal({ capacity: s.capacity });
    // The overflowing value arrived and was neither started nor queued.
    expect(o.waiting, 'overflow happened at a full buffer').to.equal(s.capacity + 1);
  } else if (o.terminal?.kind === 'error') {
    expect(s.end.kind, 'the only other error is the source error').to.equal('error');
    expect((o.terminal.error as Error).message).to.equal('source failed');
  }
  if (s.end.kind === 'complete' && o.terminal?.kind !== 'error') {
    expect(o.terminal?.kind, 'completes once the source completed and the buffer drained').to.equal(
      'complete',
    );
    expect(o.arrived, 'every value arrived').to.equal(s.arrivals.length);
    // Conservation: produced = delivered + dropped, nothing left waiting.
    expect(o.started.length + o.dropped.length, 'produced = delivered + dropped').to.equal(o.arrived);
  }
  if (s.end.kind === 'none')
    expect(o.terminal?.kind, 'a source that never ends never completes').to.not.equal('complete');
}

describe('boundedMergeMap properties', () => {
  it(`P2: never more than capacity waiting; produced = delivered + dropped; source order kept (${runs} runs)`, () => {
    fc.assert(
      fc.property(scenario(false), (s) => {
        const o = runScenario(
          s,
          (ts, o, source) =>
            source.pipe(
              boundedMergeMap(project(ts, o), {
                capacity: s.capacity,
                concurrency: s.concurrency,
                overflow: s.overflow,
                onOverflow: onOverflow(o),
              }),
            ),
          (o, value) => o.delivered.push(value as number),
        );
        checkSettled(o);
        // Every started inner emits exactly its id once, unless the stream ended first.
        expect(
          o.delivered.every((id) => o.started.includes(id)),
          'only started values are delivered',
        ).to.equal(true);
        expect(new Set(o.delivered).size, 'each value delivered once').to.equal(o.delivered.length);
        if (o.terminal?.kind === 'complete') {
          expect(
            [...o.delivered].sort((a, b) => a - b),
            'every started value delivered',
          ).to.deep.equal(o.started);
        }
        if (s.concurrency === 1) {
          expect(o.delivered, 'with one slot, delivered in source order').to.deep.equal(
            o.started.slice(0, o.delivered.length),
          );
        }
      }),
      { numRuns: runs, seed },
    );
  });

  it(`P2 (notices): every value gets exactly one terminal notice, in order; failed inners do not end it (${runs} runs)`, () => {
    fc.assert(
      fc.property(scenario(true), (s) => {
        const notices: Array<BoundedMergeMapNotice<number, number>> = [];
        const o = runScenario(
          s,
          (ts, o, source) =>
            source.pipe(
              boundedMergeMapNotices(project(ts, o), {
                capacity: s.capacity,
                concurrency: s.concurrency,
                overflow: s.overflow,
                onOverflow: onOverflow(o),
              }),
            ),
          (o, value) => {
            const n = value as BoundedMergeMapNotice<number, number>;
            notices.push(n);
            if (n.kind === 'accepted') {
              o.check(
                n.position >= 0 && n.position <= s.capacity,
                `position ${n.position} out of the buffer`,
              );
              o.check(
                (n.position === 0) === o.active < s.concurrency,
                `position 0 exactly when a slot is free`,
              );
            }
            if (n.kind === 'result') o.delivered.push(n.result);
          },
        );
        checkSettled(o);
        expect(
          notices.filter((n) => n.kind === 'dropped').map((n) => n.index),
          'dropped notices = onOverflow calls',
        ).to.deep.equal(o.dropped);
        const byValue = new Map<number, string[]>();
        for (const n of notices) {
          expect(n.value, 'value and index agree').to.equal(n.index);
          byValue.set(n.index, [...(byValue.get(n.index) ?? []), n.kind]);
        }
        // In order; a story may stop early only because the stream ended (error or unsubscribe).
        const lifecycle = /^(dropped|accepted( dropped| started( result)?( finished| failed)?)?)$/;
        for (const [id, kinds] of byValue) {
          expect(kinds.join(' '), `notices of value ${id}`).to.match(lifecycle);
        }
        const failedIds = notices.filter((n) => n.kind === 'failed').map((n) => n.index);
        expect(
          failedIds.every((id) => s.arrivals[id]!.fails),
          'only failing inners fail',
        ).to.equal(true);
        if (o.terminal?.kind === 'complete') {
          for (let id = 0; id < s.arrivals.length; id++) {
            const terminal = (byValue.get(id) ?? []).filter(
              (k) => k === 'finished' || k === 'failed' || k === 'dropped',
            );
            expect(terminal, `value ${id} ends with exactly one terminal notice`).to.have.length(1);
          }
        }
      }),
      { numRuns: runs, seed },
    );
  });
});
