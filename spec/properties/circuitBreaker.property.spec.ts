/**
 * Model-based property of `CircuitBreaker` + `circuitBreaker` (anchors/chaos-and-testing.md §4.4, P3):
 * random sequences of calls that succeed, fail, fail with an ignored error or hang, time advances,
 * isolate(), reset() and unsubscribes, run in virtual time and checked after every command against a
 * small independent model (plain arrays, eager transitions, no generations):
 * - the breaker's state always matches the model's (and, when `state$` is observed, every transition is
 *   emitted at the model's instant);
 * - a call the model refuses errors at once with CircuitOpenError (exact `retryAfter`) and subscribes
 *   upstream zero times; a call it admits subscribes upstream exactly once;
 * - a halfOpen phase never subscribes upstream more than `halfOpenCalls` times;
 * - no subscription, permit or timer is left once every caller has unsubscribed.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { Observable, type Subscription } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { CircuitBreaker, type CircuitBreakerConfig } from '../../src/breaker/CircuitBreaker';
import type { CircuitState } from '../../src/breaker/CircuitState';
import { isCircuitOpenError } from '../../src/errors/CircuitOpenError';
import { circuitBreaker } from '../../src/operators/circuitBreaker';

type Kind = 'succeed' | 'fail' | 'ignored' | 'hang';

interface Setup {
  readonly window: { type: 'count'; size: number } | { type: 'time'; duration: number; buckets: number };
  readonly minimumCalls: number;
  readonly failureRateThreshold: number;
  readonly slowCallDuration: number;
  readonly slowCallRateThreshold: number;
  readonly openDuration: { fixed: number } | { perOpening: number };
  readonly halfOpenCalls: number;
  readonly maxHalfOpenDuration: number;
  readonly observe: boolean;
}

interface ModelCall {
  readonly id: number;
  readonly kind: Kind;
  readonly start: number;
  readonly due: number;
  /** The model's phase number when admitted: outcomes of earlier phases are ignored. */
  readonly phase: number;
}

/** The breaker as DESIGN.md §2.4 states it, written plainly: arrays, eager transitions. */
class Model {
  state: CircuitState = 'closed';
  now = 0;
  /** Incremented on every transition and reset. */
  phase = 0;
  outcomes: Array<{ at: number; failed: boolean; slow: boolean }> = [];
  opening = 0;
  openUntil = Infinity;
  halfOpenUntil = Infinity;
  probesRunning = 0;
  probeOutcomes: Array<{ failed: boolean; slow: boolean }> = [];
  refusals = 0;
  readonly calls: ModelCall[] = [];
  readonly transitions: Array<[CircuitState, number]> = [['closed', 0]];

  constructor(private readonly setup: Setup) {}

  openDuration(opening: number): number {
    const d = this.setup.openDuration;
    return 'fixed' in d ? d.fixed : d.perOpening * opening;
  }

  /** The outcomes a closed breaker decides on at `at`. */
  windowAt(at: number): Array<{ failed: boolean; slow: boolean }> {
    const w = this.setup.window;
    if (w.type === 'count') return this.outcomes.slice(-w.size);
    const bucket = w.duration / w.buckets;
    return this.outcomes.filter((o) => Math.floor(at / bucket) - Math.floor(o.at / bucket) < w.buckets);
  }

  go(state: CircuitState, at: number): void {
    this.state = state;
    this.phase++;
    this.probesRunning = 0;
    this.probeOutcomes = [];
    if (state === 'closed') {
      this.outcomes = [];
      this.opening = 0;
    }
    // maxHalfOpenDuration counts from the phase's first probe
    if (state === 'halfOpen') this.halfOpenUntil = Infinity;
    this.transitions.push([state, at]);
  }

  open(at: number): void {
    this.opening++;
    this.openUntil = at + this.openDuration(this.opening);
    this.go('open', at);
  }

  tripped(outcomes: Array<{ failed: boolean; slow: boolean }>): boolean {
    const n = outcomes.length;
    const failed = outcomes.filter((o) => o.failed).length;
    const slow = outcomes.filter((o) => o.slow).length;
    return failed / n >= this.setup.failureRateThreshold || slow / n >= this.setup.slowCallRateThreshold;
  }

  /** Applies every timed transition and outcome due by `time`, in time order (transitions first). */
  advanceTo(time: number): void {
    for (;;) {
      const due =
        this.state === 'open' ? this.openUntil : this.state === 'halfOpen' ? this.halfOpenUntil : Infinity;
      const next = this.calls.filter((c) => c.due <= time).sort((a, b) => a.due - b.due || a.id - b.id)[0];
      if (due <= time && (next === undefined || due <= next.due)) {
        if (this.state === 'open') this.go('halfOpen', due);
        else this.open(due);
        continue;
      }
      if (next === undefined) break;
      this.calls.splice(this.calls.indexOf(next), 1);
      this.settle(next, next.due);
    }
    this.now = time;
  }

  settle(call: ModelCall, at: number): void {
    if (call.phase !== this.phase) return;
    if (call.kind === 'ignored') {
      if (this.state === 'halfOpen') this.probesRunning--;
      return;
    }
    const outcome = {
      at,
      failed: call.kind === 'fail',
      slow: at - call.start >= this.setup.slowCallDuration,
    };
    if (this.state === 'closed') {
      this.outcomes.push(outcome);
      const window = this.windowAt(at);
      if (window.length >= this.setup.minimumCalls && this.tripped(window)) this.open(at);
    } else if (this.state === 'halfOpen') {
      this.probesRunning--;
      this.probeOutcomes.push(outcome);
      if (this.probeOutcomes.length === this.setup.halfOpenCalls) {
        if (this.tripped(this.probeOutcomes)) this.open(at);
        else this.go('closed', at);
      }
    }
  }

  /** Admits (returns the call) or refuses (returns retryAfter) a call made now. */
  call(id: number, kind: Kind, duration: number): ModelCall | number {
    const admitted =
      this.state === 'closed' ||
      (this.state === 'halfOpen' &&
        this.probesRunning + this.probeOutcomes.length < this.setup.halfOpenCalls);
    if (!admitted) {
      this.refusals++;
      return this.state === 'open' ? this.openUntil - this.now : this.state === 'isolated' ? Infinity : 0;
    }
    if (this.state === 'halfOpen') {
      this.probesRunning++;
      if (this.halfOpenUntil === Infinity) this.halfOpenUntil = this.now + this.setup.maxHalfOpenDuration;
    }
    const call = {
      id,
      kind,
      start: this.now,
      due: kind === 'hang' ? Infinity : this.now + duration,
      phase: this.phase,
    };
    this.calls.push(call);
    return call;
  }

  cancel(call: ModelCall): void {
    this.calls.splice(this.calls.indexOf(call), 1);
    if (call.phase === this.phase && this.state === 'halfOpen') this.probesRunning--;
  }

  /** What `metrics()` should report now. */
  metrics(): {
    state: CircuitState;
    calls: number;
    failures: number;
    slowCalls: number;
    opening: number;
    refusals: number;
  } {
    const counted = this.state === 'halfOpen' ? this.probeOutcomes : this.windowAt(this.now);
    return {
      state: this.state,
      calls: counted.length,
      failures: counted.filter((o) => o.failed).length,
      slowCalls: counted.filter((o) => o.slow).length,
      opening: this.opening,
      refusals: this.refusals,
    };
  }

  isolate(): void {
    if (this.state !== 'isolated') this.go('isolated', this.now);
  }

  reset(): void {
    this.refusals = 0;
    if (this.state === 'closed') {
      this.phase++;
      this.outcomes = [];
    } else {
      this.go('closed', this.now);
    }
  }
}

/** The system under test, driven on a TestScheduler (virtual time, advanced command by command). */
class Real {
  readonly scheduler = new TestScheduler(() => undefined);
  readonly breaker: CircuitBreaker;
  readonly subscriptions = new Map<number, Subscription>();
  /** Upstream subscriptions open right now, and made in all. */
  openUpstreams = 0;
  upstreamsMade = 0;
  /** Upstreams running per halfOpen phase (calls tagged as probes), and the most seen at once. */
  readonly runningProbes = new Map<number, number>();
  mostProbesAtOnce = 0;
  readonly emitted: Array<[CircuitState, number]> = [];
  private readonly observer: Subscription | undefined;

  constructor(setup: Setup) {
    const d = setup.openDuration;
    const config: CircuitBreakerConfig = {
      window: setup.window,
      minimumCalls: setup.minimumCalls,
      failureRateThreshold: setup.failureRateThreshold,
      slowCallDuration: setup.slowCallDuration,
      slowCallRateThreshold: setup.slowCallRateThreshold,
      openDuration: 'fixed' in d ? d.fixed : (n) => d.perOpening * n,
      halfOpenCalls: setup.halfOpenCalls,
      maxHalfOpenDuration: setup.maxHalfOpenDuration,
      isFailure: (e) => e !== 'ignored',
      scheduler: this.scheduler,
    };
    this.breaker = new CircuitBreaker(config);
    if (setup.observe) {
      this.observer = this.breaker.state$.subscribe((s) => this.emitted.push([s, this.scheduler.now()]));
    }
  }

  advanceTo(time: number): void {
    this.scheduler.schedule(() => undefined, time - this.scheduler.now());
    this.scheduler.maxFrames = time;
    this.scheduler.flush();
  }

  /** Makes a call; returns the error it got at once, if any. */
  call(id: number, kind: Kind, duration: number, probeOf?: number): { error?: unknown } {
    const upstream = new Observable<never>((subscriber) => {
      this.upstreamsMade++;
      this.openUpstreams++;
      if (probeOf !== undefined) {
        const running = (this.runningProbes.get(probeOf) ?? 0) + 1;
        this.runningProbes.set(probeOf, running);
        this.mostProbesAtOnce = Math.max(this.mostProbesAtOnce, running);
      }
      const action =
        kind === 'hang'
          ? undefined
          : this.scheduler.schedule(() => {
              if (kind === 'succeed') subscriber.complete();
              else subscriber.error(kind === 'fail' ? new Error('down') : 'ignored');
            }, duration);
      return () => {
        action?.unsubscribe();
        this.openUpstreams--;
        if (probeOf !== undefined) this.runningProbes.set(probeOf, this.runningProbes.get(probeOf)! - 1);
      };
    });
    let result: { error?: unknown } = {};
    const subscription = upstream
      .pipe(circuitBreaker(this.breaker))
      .subscribe({ error: (error: unknown) => (result = { error }) });
    this.subscriptions.set(id, subscription);
    return result;
  }

  stopObserving(): void {
    this.observer?.unsubscribe();
  }
}

type Command =
  | { readonly type: 'call'; readonly kind: Kind; readonly duration: number }
  | { readonly type: 'advance'; readonly ms: number }
  | { readonly type: 'isolate' }
  | { readonly type: 'reset' }
  | { readonly type: 'unsubscribe'; readonly pick: number };

const setupArb: fc.Arbitrary<Setup> = fc
  .record({
    window: fc.oneof(
      fc.record({ type: fc.constant('count' as const), size: fc.integer({ min: 1, max: 5 }) }),
      fc.record({
        type: fc.constant('time' as const),
        duration: fc.integer({ min: 4, max: 20 }),
        buckets: fc.integer({ min: 1, max: 4 }),
      }),
    ),
    minimumCalls: fc.integer({ min: 1, max: 5 }),
    failureRateThreshold: fc.constantFrom(0.25, 0.5, 0.75, 1),
    slowCallDuration: fc.constantFrom(Infinity, 2, 4),
    slowCallRateThreshold: fc.constantFrom(0.5, 1),
    openDuration: fc.oneof(
      fc.record({ fixed: fc.integer({ min: 0, max: 8 }) }),
      fc.record({ perOpening: fc.integer({ min: 1, max: 4 }) }),
    ),
    halfOpenCalls: fc.integer({ min: 1, max: 3 }),
    maxHalfOpenDuration: fc.constantFrom(Infinity, 2, 5),
    observe: fc.boolean(),
  })
  .map((s) =>
    s.window.type === 'count' ? { ...s, minimumCalls: Math.min(s.minimumCalls, s.window.size) } : s,
  );

// Isolation lasts until a reset, and a hanging probe holds its permit until unsubscribed: both are kept
// rare so that most runs cycle through closed, open and halfOpen many times.
const commandArb: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 20,
    arbitrary: fc.record({
      type: fc.constant('call' as const),
      kind: fc.constantFrom<Kind>('succeed', 'succeed', 'succeed', 'fail', 'fail', 'fail', 'ignored', 'hang'),
      duration: fc.integer({ min: 0, max: 6 }),
    }),
  },
  {
    weight: 14,
    arbitrary: fc.record({ type: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 8 }) }),
  },
  { weight: 1, arbitrary: fc.constant({ type: 'isolate' as const }) },
  { weight: 2, arbitrary: fc.constant({ type: 'reset' as const }) },
  { weight: 3, arbitrary: fc.record({ type: fc.constant('unsubscribe' as const), pick: fc.nat() }) },
);

function run(setup: Setup, commands: ReadonlyArray<Command>): void {
  const model = new Model(setup);
  const real = new Real(setup);
  let id = 0;
  commands.forEach((command, step) => {
    const where = `step ${step} ${JSON.stringify(command)}`;
    switch (command.type) {
      case 'advance': {
        const time = model.now + command.ms;
        model.advanceTo(time);
        real.advanceTo(time);
        break;
      }
      case 'call': {
        const made = real.upstreamsMade;
        const probeOf = model.state === 'halfOpen' ? model.phase : undefined;
        const expected = model.call(id, command.kind, command.duration);
        const got = real.call(id, command.kind, command.duration, probeOf);
        if (typeof expected === 'number') {
          expect(isCircuitOpenError(got.error), `${where}: refused`).to.equal(true);
          expect(
            (got.error as { info: { retryAfter: number } }).info.retryAfter,
            `${where}: retryAfter`,
          ).to.equal(expected);
          expect(real.upstreamsMade, `${where}: a refused call subscribed upstream`).to.equal(made);
        } else {
          expect(got.error, `${where}: admitted`).to.equal(undefined);
          expect(real.upstreamsMade, `${where}: an admitted call subscribes upstream once`).to.equal(
            made + 1,
          );
        }
        id++;
        break;
      }
      case 'isolate':
        model.isolate();
        real.breaker.isolate();
        break;
      case 'reset':
        model.reset();
        real.breaker.reset();
        break;
      case 'unsubscribe': {
        if (model.calls.length === 0) break;
        const call = model.calls[command.pick % model.calls.length]!;
        model.cancel(call);
        real.subscriptions.get(call.id)!.unsubscribe();
        break;
      }
    }
    expect(real.breaker.state, `${where}: state`).to.equal(model.state);
    expect(real.breaker.metrics(), `${where}: metrics`).to.deep.include(model.metrics());
    expect(real.mostProbesAtOnce, `${where}: probes running at once`).to.be.at.most(setup.halfOpenCalls);
    // a call has ended in the system exactly when the model settled or cancelled it
    const running = new Set(model.calls.map((c) => c.id));
    for (const [callId, subscription] of real.subscriptions) {
      expect(subscription.closed, `${where}: call ${callId} ended`).to.equal(!running.has(callId));
    }
    expect(real.openUpstreams, `${where}: upstreams open`).to.equal(model.calls.length);
    expect(real.breaker.metrics().inFlight, `${where}: permits held`).to.equal(model.calls.length);
  });
  if (setup.observe) expect(real.emitted, 'state$ emissions').to.deep.equal(model.transitions);
  // every caller leaves: nothing may stay subscribed, held or scheduled
  for (const subscription of real.subscriptions.values()) subscription.unsubscribe();
  real.stopObserving();
  expect(real.openUpstreams, 'upstreams left open').to.equal(0);
  expect(real.breaker.metrics().inFlight, 'permits left').to.equal(0);
  expect(real.scheduler.actions.length, 'timers left').to.equal(0);
}

describe('circuitBreaker property', () => {
  // PROPERTY_RUNS and PROPERTY_SEED explore further than CI's fixed 250 runs (e.g. PROPERTY_RUNS=5000).
  const numRuns = Number(process.env.PROPERTY_RUNS ?? 250);
  const seed = Number(process.env.PROPERTY_SEED ?? 20261127);

  it('should match an independent model of DESIGN.md §2.4 on random call sequences', function () {
    this.timeout(Math.max(10_000, numRuns * 50));
    fc.assert(
      fc.property(
        setupArb,
        fc.array(commandArb, { minLength: 5, maxLength: 60, size: 'max' }),
        (setup, commands) => {
          run(setup, commands);
        },
      ),
      { numRuns, seed },
    );
  });
});
