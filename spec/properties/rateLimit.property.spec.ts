/**
 * The rate limiter's properties (DESIGN 2.9), over random limits, bursts, waits, costs, keys, arrival
 * times, penalties and cancellations, in virtual time (TestScheduler), with a fixed seed unless FC_SEED
 * is set and FC_RUNS runs (default 200):
 *
 * 1. over any window, admissions never exceed what GCRA allows: for any two calls i, j of one key that
 *    started at s_i <= s_j, the costs of the calls started from s_i to s_j add up to at most
 *    `burst + (s_j - s_i) / T`;
 * 2. every call is admitted at once, waits and starts, is cancelled while waiting, or is refused, exactly
 *    one of them, as a GCRA reference model says: the wait to the ms, the refusal's `retryAfter` exactly;
 * 3. a refused or cancelled call never subscribes upstream, and the metrics add up.
 */
import { expect } from 'chai';
import * as fc from 'fast-check';
import { Observable, type Subscription } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { isRateLimitedError } from '../../src/errors/RateLimitedError';
import { RateLimiter } from '../../src/limiter/RateLimiter';
import { rateLimit } from '../../src/operators/rateLimit';

interface Step {
  /** Frames after the previous step. */
  readonly gap: number;
  readonly kind: 'call' | 'penalize';
  readonly key: 'a' | 'b';
  /** Cost of a call (capped at burst); ms of a penalty. */
  readonly amount: number;
  /** Frames after subscribing at which the caller leaves; null: never. */
  readonly cancelAfter: number | null;
}

interface Scenario {
  readonly limit: number;
  readonly interval: number;
  readonly burst: number;
  readonly maxWait: number;
  readonly steps: ReadonlyArray<Step>;
}

const scenario: fc.Arbitrary<Scenario> = fc.record({
  limit: fc.integer({ min: 1, max: 4 }),
  interval: fc.integer({ min: 1, max: 12 }),
  burst: fc.integer({ min: 1, max: 4 }),
  maxWait: fc.integer({ min: 0, max: 10 }),
  steps: fc.array(
    fc.record({
      gap: fc.integer({ min: 0, max: 3 }),
      kind: fc.constantFrom<Step['kind']>('call', 'call', 'call', 'call', 'penalize'),
      key: fc.constantFrom<Step['key']>('a', 'b'),
      amount: fc.integer({ min: 1, max: 4 }),
      cancelAfter: fc.option(fc.integer({ min: 0, max: 8 }), { nil: null }),
    }),
    { maxLength: 40 },
  ),
});

const runs = Number(process.env['FC_RUNS'] ?? 200);
const seed = process.env['FC_SEED'] === undefined ? 20261204 : Number(process.env['FC_SEED']);

type Fate = 'admitted' | 'waited' | 'cancelled' | 'refused';

/**
 * The reference: GCRA as DESIGN 2.9 writes it, in exact integers (times in units of 1 / limit ms, where
 * `T` is `interval`). Returns the wait in ms (0: at once), or `-retryAfter`.
 */
class Model {
  private readonly tats = new Map<string, number>();
  constructor(private readonly s: Scenario) {}

  acquire(key: string, cost: number, now: number): number {
    const { limit, interval, burst, maxWait } = this.s;
    const t = now * limit;
    const next = Math.max(this.tats.get(key) ?? t, t) + interval * cost;
    const w = next - interval * burst - t;
    if (w > maxWait * limit) return -w / limit;
    this.tats.set(key, next);
    return Math.max(0, w) / limit;
  }

  penalize(key: string, ms: number, now: number): void {
    const { limit, interval, burst } = this.s;
    const until = (now + ms) * limit + interval * (burst - 1);
    this.tats.set(key, Math.max(this.tats.get(key) ?? -Infinity, until));
  }
}

function check(s: Scenario): Fate[] {
  const scheduler = new TestScheduler(() => undefined);
  const fates: Fate[] = [];
  scheduler.run(() => {
    const limiter = new RateLimiter({
      limit: s.limit,
      interval: s.interval,
      burst: s.burst,
      maxWait: s.maxWait,
    });
    const model = new Model(s);
    const starts: Record<string, Array<{ at: number; cost: number }>> = { a: [], b: [] };
    const subscriptions: Subscription[] = [];
    let at = 0;
    s.steps.forEach((step, i) => {
      at += step.gap;
      scheduler.schedule(() => {
        const now = scheduler.now();
        if (step.kind === 'penalize') {
          limiter.penalize(step.amount, step.key);
          model.penalize(step.key, step.amount, now);
          return;
        }
        const cost = Math.min(step.amount, s.burst);
        const expected = model.acquire(step.key, cost, now);
        let started: number | null = null;
        let refusedAfter: number | null = null;
        const upstream = new Observable<number>((subscriber) => {
          expect(started, 'subscribed twice').to.equal(null);
          started = scheduler.now();
          starts[step.key]!.push({ at: started, cost });
          subscriber.next(i);
          subscriber.complete();
        });
        const subscription = upstream.pipe(rateLimit(limiter, { key: step.key, cost })).subscribe({
          error: (err: unknown) => {
            expect(isRateLimitedError(err), 'only refusals').to.equal(true);
            if (isRateLimitedError(err)) refusedAfter = err.info.retryAfter;
          },
        });
        subscriptions.push(subscription);
        const settle = (): void => {
          if (expected < 0) {
            // (2, 3) refused at once with the exact retryAfter, never subscribed
            expect(refusedAfter, `call ${i} retryAfter`).to.equal(-expected);
            expect(started, `refused call ${i} started`).to.equal(null);
            fates[i] = 'refused';
          } else if (expected === 0) {
            expect(started, `call ${i} admitted at once`).to.equal(now);
            fates[i] = 'admitted';
          } else if (started !== null) {
            expect(started, `call ${i} waited`).to.equal(now + expected);
            fates[i] = 'waited';
          } else {
            fates[i] = 'cancelled';
          }
        };
        if (expected <= 0 || step.cancelAfter === null || step.cancelAfter >= expected) {
          scheduler.schedule(settle, Math.max(0, expected));
        }
        if (step.cancelAfter !== null) {
          scheduler.schedule(() => {
            subscription.unsubscribe();
            if (expected > 0 && step.cancelAfter! < expected) {
              // (2, 3) a call cancelled while waiting never starts
              expect(started, `cancelled call ${i} started`).to.equal(null);
              settle();
            }
          }, step.cancelAfter);
        }
      }, at);
    });
    scheduler.flush();
    for (const subscription of subscriptions) subscription.unsubscribe();

    // (1) over any window of one key, started costs stay within burst + window / T (in units of 1 / limit ms)
    for (const list of Object.values(starts)) {
      for (let i = 0; i < list.length; i++) {
        let sum = 0;
        for (let j = i; j < list.length; j++) {
          sum += list[j]!.cost;
          const window = list[j]!.at - list[i]!.at;
          expect(sum * s.interval, 'started in a window').to.be.at.most(
            s.burst * s.interval + window * s.limit + 1e-9,
          );
        }
      }
    }
    const m = limiter.metrics();
    expect(m.calls).to.equal(
      m.admitted + m.started + m.rejected + m.abandoned + m.failed + m.deciding + m.waiting,
    );
    expect([m.waiting, m.deciding]).to.deep.equal([0, 0]);
  });
  return fates.filter((f) => f !== undefined);
}

describe('rateLimit (properties)', () => {
  it('should admit within GCRA over any window, and admit, delay, cancel or refuse each call as GCRA says', function () {
    this.timeout(60_000);
    const seen: Record<Fate, number> = { admitted: 0, waited: 0, cancelled: 0, refused: 0 };
    fc.assert(
      fc.property(scenario, (s) => {
        for (const fate of check(s)) seen[fate]++;
      }),
      { seed, numRuns: runs },
    );
    // The generator reaches every fate, so the property is not vacuous.
    for (const fate of Object.keys(seen) as Fate[]) expect(seen[fate], fate).to.be.greaterThan(0);
  });
});
