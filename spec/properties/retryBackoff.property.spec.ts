/**
 * retryBackoff against DESIGN 2.3 written out independently, under random configs (every jitter, caps,
 * multipliers, seeds) and a source that fails a random number of times before it succeeds: the source is
 * subscribed exactly at the cumulative delays the formulas give for the same draws, never more than
 * `maxRetries + 1` times, and the result is the source's value or its original last error. Checked in
 * virtual time, with a fixed seed unless FC_SEED is set and FC_RUNS runs (default 300). And no strategy
 * ever computes a NaN or negative delay (issue 9: `0 * 2^1024` is NaN).
 */
import { expect } from 'chai';
import * as fc from 'fast-check';
import { defer, of, throwError, timer, concatMap } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { decorrelatedJitter } from '../../src/backoff/decorrelatedJitter';
import { equalJitter } from '../../src/backoff/equalJitter';
import { fullJitter } from '../../src/backoff/fullJitter';
import { noJitter } from '../../src/backoff/noJitter';
import { seededRandom } from '../../src/chaos/seededRandom';
import { retryBackoff, type RetryBackoffJitter } from '../../src/operators/retryBackoff';

interface Scenario {
  readonly maxRetries: number;
  readonly initialDelay: number;
  readonly maxDelay: number;
  readonly multiplier: number;
  readonly jitter: RetryBackoffJitter;
  readonly seed: number;
  /** The source fails this many times (after `duration` frames each), then emits `ok` and completes. */
  readonly failures: number;
  readonly duration: number;
}

const scenario: fc.Arbitrary<Scenario> = fc
  .record({
    maxRetries: fc.integer({ min: 0, max: 6 }),
    initialDelay: fc.integer({ min: 0, max: 20 }),
    // `maxDelay` is at least `initialDelay` (DESIGN 2.3 refuses less): Infinity, or initialDelay + extra.
    extraDelay: fc.oneof(fc.constant(Infinity), fc.integer({ min: 0, max: 80 })),
    multiplier: fc.oneof(fc.constant(1), fc.constant(2), fc.double({ min: 1, max: 4, noNaN: true })),
    jitter: fc.constantFrom<RetryBackoffJitter>('none', 'full', 'equal', 'decorrelated'),
    seed: fc.integer(),
    failures: fc.integer({ min: 0, max: 8 }),
    duration: fc.integer({ min: 0, max: 3 }),
  })
  .map(({ extraDelay, ...s }) => ({ ...s, maxDelay: s.initialDelay + extraDelay }));

/** The subscribe frames and the outcome DESIGN 2.3 gives for the scenario. */
function model(s: Scenario): { subscribedAt: number[]; outcome: string } {
  const random = seededRandom(s.seed);
  const subscribedAt = [0];
  let previous = s.initialDelay;
  for (let n = 1; n <= s.failures; n++) {
    const failedAt = subscribedAt[n - 1]! + s.duration;
    if (n > s.maxRetries) return { subscribedAt, outcome: `error ${n}@${failedAt}` };
    const d = Math.min(s.maxDelay, s.initialDelay * s.multiplier ** (n - 1));
    const delay =
      s.jitter === 'none'
        ? d
        : s.jitter === 'full'
          ? random() * d
          : s.jitter === 'equal'
            ? d / 2 + (random() * d) / 2
            : Math.min(s.maxDelay, s.initialDelay + random() * (3 * previous - s.initialDelay));
    previous = delay;
    subscribedAt.push(failedAt + delay);
  }
  return { subscribedAt, outcome: `ok@${subscribedAt[s.failures]! + s.duration}` };
}

function run(s: Scenario): { subscribedAt: number[]; outcome: string } {
  const scheduler = new TestScheduler(() => undefined);
  const subscribedAt: number[] = [];
  let outcome = 'none';
  scheduler.run(() => {
    const source = defer(() => {
      const attempt = subscribedAt.push(scheduler.now());
      return timer(s.duration).pipe(
        concatMap(() => (attempt <= s.failures ? throwError(() => new Error(`${attempt}`)) : of('ok'))),
      );
    });
    const { failures: _f, duration: _d, seed, ...config } = s;
    source.pipe(retryBackoff({ ...config, random: seededRandom(seed) })).subscribe({
      next: (v) => (outcome = `${v}@${scheduler.now()}`),
      error: (e: Error) => (outcome = `error ${e.message}@${scheduler.now()}`),
    });
  });
  return { subscribedAt, outcome };
}

describe('retryBackoff properties', () => {
  const seed = process.env['FC_SEED'] === undefined ? 20261127 : Number(process.env['FC_SEED']);
  const numRuns = Number(process.env['FC_RUNS'] ?? 300);

  it('should resubscribe exactly when DESIGN 2.3 says, and end with the value or the original last error', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const actual = run(s);
        const expected = model(s);
        expect(actual.subscribedAt.length).to.be.at.most(s.maxRetries + 1);
        expect(actual.subscribedAt).to.have.length(expected.subscribedAt.length);
        actual.subscribedAt.forEach((at, i) => expect(at).to.be.closeTo(expected.subscribedAt[i]!, 1e-6));
        expect(actual.outcome.split('@')[0]).to.equal(expected.outcome.split('@')[0]);
        expect(Number(actual.outcome.split('@')[1])).to.be.closeTo(
          Number(expected.outcome.split('@')[1]),
          1e-6,
        );
      }),
      { seed, numRuns },
    );
  });

  it('should never compute a NaN or negative delay, whatever the retry, draw and previous delay', () => {
    const strategies = {
      none: noJitter,
      full: fullJitter,
      equal: equalJitter,
      decorrelated: decorrelatedJitter,
    };
    fc.assert(
      fc.property(
        fc.constantFrom<RetryBackoffJitter>('none', 'full', 'equal', 'decorrelated'),
        fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1e6, noNaN: true })),
        fc.oneof(fc.constant(Infinity), fc.double({ min: 0, max: 1e9, noNaN: true })),
        fc.double({ min: 1, max: 10, noNaN: true }),
        fc.integer({ min: 1, max: 5000 }),
        fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })),
        fc.oneof(fc.constant(Infinity), fc.double({ min: 0, max: 1e12, noNaN: true })),
        (jitter, initialDelay, extra, multiplier, retry, draw, previous) => {
          const maxDelay = initialDelay + extra;
          const delay = strategies[jitter]({ initialDelay, maxDelay, multiplier });
          const d = delay(retry, Math.max(initialDelay, previous), () => draw);
          expect(d >= 0, `${jitter}: ${d}`).to.equal(true);
          expect(d).to.be.at.most(maxDelay);
        },
      ),
      { seed, numRuns: numRuns * 10 },
    );
  });
});
