/**
 * Property of `CircuitBreaker` with re-entrant observers (issue 9's closing requirement, breaker half):
 * several `events$` and `state$` observers, each reacting at random emissions (its n-th one) by
 * cancelling a call (the one being admitted included), resetting, isolating or starting a call, while
 * random commands make calls (answering, failing, hanging, answering then left by `take(1)` or by the
 * caller), advance virtual time, reset, isolate and cancel. After every command:
 * - every `state$` observer's last state, and the `to` of every `events$` observer's last transition, is
 *   the breaker's state; each observer's states form a chain (no repeat, each transition from the last);
 * - permits: `metrics().inFlight` equals the calls whose dependency is still subscribed and unsettled,
 *   and equals admissions minus settlements heard on `events$`;
 * - counts: `metrics()` agrees with `state`, its refusals with the refusals heard since the last reset,
 *   failures and slow calls never exceed calls, a count window never holds more than its size and a
 *   halfOpen phase never more than its probes;
 * - a refused call never reaches the dependency, and an admitted one reaches it at most once.
 * Once every caller and observer has left, nothing is held, subscribed or scheduled.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { Observable, Subject, take, takeUntil, type Subscription } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { CircuitBreaker } from '../../src/breaker/CircuitBreaker';
import type { CircuitBreakerEvent } from '../../src/breaker/CircuitBreakerEvent';
import type { CircuitState } from '../../src/breaker/CircuitState';
import { isCircuitOpenError } from '../../src/errors/CircuitOpenError';
import { circuitBreaker } from '../../src/operators/circuitBreaker';

/** What the dependency does: `answer` emits then stays open (the caller leaves later), `take1` is left by `take(1)`. */
type Kind = 'succeed' | 'fail' | 'ignored' | 'hang' | 'answer' | 'take1';

interface CallSpec {
  readonly kind: Kind;
  readonly duration: number;
  readonly firstValue: boolean;
}

type Action =
  | { readonly type: 'none' }
  | { readonly type: 'cancel'; readonly pick: number }
  | { readonly type: 'cancelNewest' }
  | { readonly type: 'reset' }
  | { readonly type: 'isolate' }
  | { readonly type: 'call'; readonly call: CallSpec };

interface Plan {
  readonly stream: 'events' | 'state';
  /** The action taken on the observer's n-th emission. */
  readonly actions: ReadonlyArray<Action>;
}

type Command =
  | { readonly type: 'call'; readonly call: CallSpec }
  | { readonly type: 'advance'; readonly ms: number }
  | { readonly type: 'reset' }
  | { readonly type: 'isolate' }
  | { readonly type: 'cancel'; readonly pick: number };

interface Setup {
  readonly windowSize: number;
  readonly minimumCalls: number;
  readonly slowCallDuration: number;
  readonly openDuration: number;
  readonly halfOpenCalls: number;
  readonly maxHalfOpenDuration: number;
  readonly plans: ReadonlyArray<Plan>;
}

interface Call {
  readonly spec: CallSpec;
  readonly cancel: Subject<void>;
  /** Times the dependency was subscribed, and whether it is now. */
  reached: number;
  open: boolean;
  /** The dependency emitted (with `successOn: 'firstValue'` the permit is then given back). */
  emitted: boolean;
  error: unknown;
  subscription: Subscription | undefined;
}

interface Watcher {
  readonly plan: Plan;
  emissions: number;
  /** Last state (state$) or last transition's `to` (events$). */
  last: CircuitState;
  subscription: Subscription | undefined;
}

/** A breaker, its calls and its observers on a TestScheduler. */
class Harness {
  readonly scheduler = new TestScheduler(() => undefined);
  readonly breaker: CircuitBreaker;
  readonly calls: Call[] = [];
  readonly watchers: Watcher[] = [];
  /** What a passive events$ observer heard. */
  admits = 0;
  settles = 0;
  refusalsSinceReset = 0;
  /** Broken invariants seen inside observers. */
  readonly violations: string[] = [];
  /** Reactions left for the current command (bounds observer loops such as reset on every reset). */
  budget = 0;
  /** Set while the invariants are read: observers record but do not react. */
  checking = false;
  private readonly passive: Subscription;

  constructor(readonly setup: Setup) {
    this.breaker = new CircuitBreaker({
      window: { type: 'count', size: setup.windowSize },
      minimumCalls: setup.minimumCalls,
      slowCallDuration: setup.slowCallDuration,
      openDuration: setup.openDuration,
      halfOpenCalls: setup.halfOpenCalls,
      maxHalfOpenDuration: setup.maxHalfOpenDuration,
      isFailure: (e) => e !== 'ignored',
      scheduler: this.scheduler,
    });
    this.passive = this.breaker.events$.subscribe((e) => this.hear(e));
    for (const plan of setup.plans) this.observe(plan);
  }

  advanceTo(time: number): void {
    this.scheduler.schedule(() => undefined, time - this.scheduler.now());
    this.scheduler.maxFrames = time;
    this.scheduler.flush();
  }

  call(spec: CallSpec): void {
    const call: Call = {
      spec,
      cancel: new Subject<void>(),
      reached: 0,
      open: false,
      emitted: false,
      error: undefined,
      subscription: undefined,
    };
    this.calls.push(call);
    const dependency = new Observable<string>((subscriber) => {
      call.reached++;
      call.open = true;
      const due = (): void => {
        switch (spec.kind) {
          case 'succeed':
            subscriber.complete();
            break;
          case 'fail':
            subscriber.error(new Error('down'));
            break;
          case 'ignored':
            subscriber.error('ignored');
            break;
          default:
            call.emitted = true;
            subscriber.next('v');
        }
      };
      const action = spec.kind === 'hang' ? undefined : this.scheduler.schedule(due, spec.duration);
      return () => {
        action?.unsubscribe();
        call.open = false;
      };
    });
    const made = dependency.pipe(
      circuitBreaker(this.breaker, { successOn: spec.firstValue ? 'firstValue' : 'complete' }),
      takeUntil(call.cancel),
    );
    call.subscription = (spec.kind === 'take1' ? made.pipe(take(1)) : made).subscribe({
      error: (error: unknown) => (call.error = error),
    });
  }

  cancel(pick: number): void {
    const live = this.calls.filter((c) => c.subscription === undefined || !c.subscription.closed);
    if (live.length > 0) live[pick % live.length]!.cancel.next();
  }

  /** Permits the breaker should hold: calls at the dependency, not settled at their first value. */
  expectedInFlight(): number {
    return this.calls.filter((c) => c.open && !(c.spec.firstValue && c.emitted)).length;
  }

  leave(): void {
    for (const call of this.calls) call.cancel.next();
    for (const watcher of this.watchers) watcher.subscription?.unsubscribe();
    this.passive.unsubscribe();
  }

  private observe(plan: Plan): void {
    const watcher: Watcher = { plan, emissions: 0, last: this.breaker.state, subscription: undefined };
    this.watchers.push(watcher);
    const where = () => `${plan.stream} observer ${this.watchers.indexOf(watcher)}`;
    if (plan.stream === 'state') {
      let first = true;
      watcher.subscription = this.breaker.state$.subscribe((state) => {
        if (!first && state === watcher.last) this.violations.push(`${where()} heard ${state} twice`);
        first = false;
        watcher.last = state;
        this.react(watcher);
      });
    } else {
      watcher.subscription = this.breaker.events$.subscribe((event) => {
        if (event.type === 'transition') {
          if (event.from !== watcher.last) {
            this.violations.push(`${where()}: transition from ${event.from} after ${watcher.last}`);
          }
          watcher.last = event.to;
        }
        this.react(watcher);
      });
    }
  }

  private react(watcher: Watcher): void {
    const action = watcher.plan.actions[watcher.emissions++];
    if (action === undefined || action.type === 'none' || this.checking || this.budget <= 0) return;
    this.budget--;
    switch (action.type) {
      case 'cancel':
        this.cancel(action.pick);
        break;
      case 'cancelNewest':
        this.calls[this.calls.length - 1]?.cancel.next();
        break;
      case 'reset':
        this.breaker.reset();
        break;
      case 'isolate':
        this.breaker.isolate();
        break;
      case 'call':
        this.call(action.call);
        break;
    }
  }

  private hear(event: CircuitBreakerEvent): void {
    switch (event.type) {
      case 'admit':
        this.admits++;
        break;
      case 'success':
      case 'failure':
      case 'ignore':
      case 'cancel':
        this.settles++;
        break;
      case 'refuse':
        this.refusalsSinceReset++;
        break;
      case 'reset':
        this.refusalsSinceReset = 0;
        break;
      default:
        break;
    }
  }
}

const callArb: fc.Arbitrary<CallSpec> = fc.record({
  kind: fc.constantFrom<Kind>('succeed', 'succeed', 'fail', 'fail', 'ignored', 'hang', 'answer', 'take1'),
  duration: fc.integer({ min: 0, max: 4 }),
  firstValue: fc.boolean(),
});

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 8, arbitrary: fc.constant({ type: 'none' as const }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('cancel' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.constant({ type: 'cancelNewest' as const }) },
  { weight: 1, arbitrary: fc.constant({ type: 'reset' as const }) },
  { weight: 1, arbitrary: fc.constant({ type: 'isolate' as const }) },
  { weight: 3, arbitrary: fc.record({ type: fc.constant('call' as const), call: callArb }) },
);

const planArb: fc.Arbitrary<Plan> = fc.record({
  stream: fc.constantFrom<'events' | 'state'>('events', 'state'),
  actions: fc.array(actionArb, { maxLength: 30 }),
});

const setupArb: fc.Arbitrary<Setup> = fc
  .record({
    windowSize: fc.integer({ min: 1, max: 5 }),
    minimumCalls: fc.integer({ min: 1, max: 5 }),
    slowCallDuration: fc.constantFrom(Infinity, 2, 3),
    openDuration: fc.integer({ min: 0, max: 6 }),
    halfOpenCalls: fc.integer({ min: 1, max: 3 }),
    maxHalfOpenDuration: fc.constantFrom(Infinity, 2, 4),
    plans: fc.array(planArb, { minLength: 1, maxLength: 4 }),
  })
  .map((s) => ({ ...s, minimumCalls: Math.min(s.minimumCalls, s.windowSize) }));

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ type: fc.constant('call' as const), call: callArb }) },
  {
    weight: 7,
    arbitrary: fc.record({ type: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 6 }) }),
  },
  { weight: 1, arbitrary: fc.constant({ type: 'reset' as const }) },
  { weight: 1, arbitrary: fc.constant({ type: 'isolate' as const }) },
  { weight: 3, arbitrary: fc.record({ type: fc.constant('cancel' as const), pick: fc.nat() }) },
);

function check(h: Harness, where: string): void {
  h.checking = true;
  const state = h.breaker.state;
  const m = h.breaker.metrics();
  h.checking = false;
  expect(h.violations, `${where}: observers`).to.deep.equal([]);
  expect(m.state, `${where}: metrics().state`).to.equal(state);
  h.watchers.forEach((w, i) => {
    expect(w.last, `${where}: ${w.plan.stream} observer ${i} last state`).to.equal(state);
  });
  expect(m.inFlight, `${where}: permits held`).to.equal(h.expectedInFlight());
  expect(h.admits - h.settles, `${where}: admissions minus settlements`).to.equal(m.inFlight);
  expect(m.refusals, `${where}: refusals`).to.equal(h.refusalsSinceReset);
  expect(m.failures, `${where}: failures`).to.be.at.most(m.calls);
  expect(m.slowCalls, `${where}: slow calls`).to.be.at.most(m.calls);
  expect(m.calls, `${where}: calls`).to.be.at.most(
    state === 'halfOpen' ? h.setup.halfOpenCalls : h.setup.windowSize,
  );
  h.calls.forEach((c, i) => {
    expect(c.reached, `${where}: call ${i} reached the dependency`).to.be.at.most(1);
    if (isCircuitOpenError(c.error)) expect(c.reached, `${where}: refused call ${i}`).to.equal(0);
  });
}

function run(setup: Setup, commands: ReadonlyArray<Command>): void {
  const h = new Harness(setup);
  commands.forEach((command, step) => {
    h.budget = 8;
    switch (command.type) {
      case 'call':
        h.call(command.call);
        break;
      case 'advance':
        h.advanceTo(h.scheduler.now() + command.ms);
        break;
      case 'reset':
        h.breaker.reset();
        break;
      case 'isolate':
        h.breaker.isolate();
        break;
      case 'cancel':
        h.cancel(command.pick);
        break;
    }
    check(h, `step ${step} ${JSON.stringify(command)}`);
  });
  h.budget = 0;
  h.leave();
  expect(
    h.calls.filter((c) => c.open),
    'dependencies left subscribed',
  ).to.deep.equal([]);
  expect(h.breaker.metrics().inFlight, 'permits left').to.equal(0);
  expect(h.scheduler.actions.length, 'timers left').to.equal(0);
}

describe('circuitBreaker re-entrant observers property', () => {
  // PROPERTY_RUNS and PROPERTY_SEED explore further than CI's fixed 200 runs (e.g. PROPERTY_RUNS=5000).
  const numRuns = Number(process.env.PROPERTY_RUNS ?? 200);
  const seed = Number(process.env.PROPERTY_SEED ?? 20261209);

  it("should keep permits, counts and every observer's last state consistent with the breaker", function () {
    this.timeout(Math.max(10_000, numRuns * 50));
    fc.assert(
      fc.property(setupArb, fc.array(commandArb, { minLength: 5, maxLength: 50, size: 'max' }), run),
      { numRuns, seed },
    );
  });
});
