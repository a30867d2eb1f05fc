/**
 * The hedge's properties (DESIGN 2.8), over random delays, attempt counts, budgets, cancellations and
 * attempts that answer, complete empty, fail (transient or fatal) or hang, synchronously or later, in
 * virtual time (TestScheduler), with a fixed seed unless FC_SEED is set and FC_RUNS runs (default 300):
 *
 * 1. at most `maxAttempts` upstream subscriptions, and with a budget at most one per withdrawal after
 *    the first;
 * 2. exactly one winner once the result emits or completes: every value comes from one attempt, the one
 *    that emitted (or completed) first, and every other attempt is unsubscribed by that instant;
 * 3. an attempt after the first starts only `delay` ms after the previous one started or when one failed
 *    with an error `shouldHedge` accepts;
 * 4. without a winner the result fails: with the first fatal error at once, or with the last error when
 *    every attempt started has failed;
 * 5. nothing is left subscribed at the end.
 */
import { expect } from 'chai';
import * as fc from 'fast-check';
import { Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { RetryBudget } from '../../src/budget/RetryBudget';
import { HttpStatusError } from '../../src/errors/HttpStatusError';
import { hedge } from '../../src/operators/hedge';

type Outcome = 'value' | 'values' | 'stream' | 'empty' | 'transient' | 'fatal' | 'never';

interface Behaviour {
  /** Frames from subscribe to the outcome; 0 plays it while subscribing (synchronously). */
  readonly after: number;
  readonly outcome: Outcome;
}

interface Scenario {
  readonly delay: number;
  readonly maxAttempts: number;
  readonly attempts: ReadonlyArray<Behaviour>;
  /** Retries the budget allows (its reserve, with no percentage); null: no budget. */
  readonly budget: number | null;
  readonly cancelAt: number | null;
}

const behaviour = fc.record({
  after: fc.integer({ min: 0, max: 8 }),
  outcome: fc.constantFrom<Outcome>(
    'value',
    'values',
    'stream',
    'stream',
    'empty',
    'transient',
    'transient',
    'fatal',
    'never',
  ),
});

const scenario: fc.Arbitrary<Scenario> = fc.record({
  delay: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.constant(Infinity)),
  maxAttempts: fc.integer({ min: 1, max: 4 }),
  attempts: fc.array(behaviour, { minLength: 4, maxLength: 4 }),
  budget: fc.option(fc.integer({ min: 0, max: 3 }), { nil: null }),
  cancelAt: fc.option(fc.integer({ min: 0, max: 12 }), { nil: null }),
});

const runs = Number(process.env['FC_RUNS'] ?? 300);
const seed = process.env['FC_SEED'] === undefined ? 20261205 : Number(process.env['FC_SEED']);

const fatal = new HttpStatusError({
  status: 404,
  statusText: '',
  url: 'http://127.0.0.1/',
  retryAfter: undefined,
  body: '',
});

interface Log {
  start: number;
  end: number | null;
  /** Time of its first value or completion. */
  answered: number | null;
  failedAt: number | null;
  failedWith: 'transient' | 'fatal' | null;
}

type Ending = 'won' | 'failed' | 'cancelled';

function check(s: Scenario): Ending {
  const scheduler = new TestScheduler(() => undefined);
  let ending: Ending = 'cancelled';
  scheduler.run(() => {
    const logs: Log[] = [];
    const source = new Observable<string>((subscriber) => {
      const i = logs.length;
      const log: Log = {
        start: scheduler.now(),
        end: null,
        answered: null,
        failedAt: null,
        failedWith: null,
      };
      logs.push(log);
      const b = s.attempts[i] ?? { after: 0, outcome: 'never' };
      const play = (): void => {
        switch (b.outcome) {
          case 'value':
          case 'values':
          case 'empty':
            log.answered = scheduler.now();
            if (b.outcome !== 'empty') subscriber.next(`${i}:a`);
            if (b.outcome === 'values') subscriber.next(`${i}:b`);
            subscriber.complete();
            break;
          case 'transient':
          case 'fatal':
            log.failedAt = scheduler.now();
            log.failedWith = b.outcome;
            subscriber.error(b.outcome === 'fatal' ? fatal : new Error(`attempt ${i}`));
            break;
          case 'stream':
            // A value, then more later: the result follows the winner while its losers are gone.
            log.answered = scheduler.now();
            subscriber.next(`${i}:a`);
            subscriber.add(
              scheduler.schedule(() => {
                subscriber.next(`${i}:b`);
                subscriber.complete();
              }, 3),
            );
            break;
          case 'never':
            break;
        }
      };
      if (b.after === 0) play();
      else subscriber.add(scheduler.schedule(play, b.after));
      return () => {
        if (log.end === null) log.end = scheduler.now();
      };
    });
    const budget =
      s.budget === null
        ? undefined
        : new RetryBudget({ minRetriesPerSecond: s.budget / 10, percentCanRetry: 0 });
    const values: Array<{ at: number; value: string }> = [];
    let result: { kind: 'complete' | 'error'; at: number; error?: unknown } | null = null;
    const subscription = source
      .pipe(hedge({ delay: s.delay, maxAttempts: s.maxAttempts, budget }))
      .subscribe({
        next: (value) => values.push({ at: scheduler.now(), value }),
        complete: () => (result = { kind: 'complete', at: scheduler.now() }),
        error: (error: unknown) => (result = { kind: 'error', at: scheduler.now(), error }),
      });
    if (s.cancelAt !== null) scheduler.schedule(() => subscription.unsubscribe(), s.cancelAt);
    scheduler.flush();
    subscription.unsubscribe();
    const ended = result as { kind: 'complete' | 'error'; at: number; error?: unknown } | null;

    // (1) at most maxAttempts upstream subscriptions; with a budget, one per withdrawal after the first
    expect(logs.length, 'attempts').to.be.at.most(s.maxAttempts);
    if (budget !== undefined) {
      expect(logs.length - 1, 'attempts paid for').to.be.at.most(budget.metrics().totalWithdrawals);
      expect(budget.metrics().totalDeposits).to.equal(1);
    }
    // (5) nothing left subscribed
    for (const log of logs) expect(log.end, 'left subscribed').not.to.equal(null);

    // (2) exactly one winner once the result emits or completes
    const winners = new Set(values.map((v) => v.value.split(':')[0]));
    const answered = logs
      .map((log, i) => ({ log, i }))
      .filter(({ log }) => log.answered !== null)
      .sort((a, b) => a.log.answered! - b.log.answered! || a.i - b.i);
    if (values.length > 0 || ended?.kind === 'complete') {
      ending = 'won';
      expect(winners.size, 'winners').to.be.at.most(1);
      const first = answered[0]!;
      if (winners.size === 1) expect([...winners][0], 'the first to answer wins').to.equal(String(first.i));
      for (const [i, log] of logs.entries()) {
        if (i === first.i) continue;
        expect(log.end!, `attempt ${i} unsubscribed by the win`).to.be.at.most(first.log.answered!);
        if (log.answered !== null) expect(log.answered, `attempt ${i} answered after losing`).to.equal(null);
      }
    } else if (ended?.kind === 'error') {
      ending = 'failed';
      // (4) without a winner: the first fatal error at once, or the last error once all started have failed
      const failures = logs.filter((log) => log.failedAt !== null);
      const firstFatal = failures.find((log) => log.failedWith === 'fatal');
      if (firstFatal !== undefined) {
        expect(ended.error, 'fatal error').to.equal(fatal);
        expect(ended.at).to.equal(firstFatal.failedAt);
      } else {
        expect(failures.length, 'every attempt failed').to.equal(logs.length);
        const last = logs.indexOf(failures.reduce((a, b) => (b.failedAt! >= a.failedAt! ? b : a)));
        expect((ended.error as Error).message).to.equal(`attempt ${last}`);
      }
      for (const log of logs) expect(log.end!).to.be.at.most(ended.at);
    }

    // (3) attempt k starts delay ms after attempt k - 1 started, or when an attempt failed transiently
    for (let k = 1; k < logs.length; k++) {
      const start = logs[k]!.start;
      const onDelay = start === logs[k - 1]!.start + s.delay;
      const onFailure = logs
        .slice(0, k)
        .some((log) => log.failedWith === 'transient' && log.failedAt === start);
      expect(onDelay || onFailure, `attempt ${k} started at ${start}`).to.equal(true);
    }
  });
  return ending;
}

describe('hedge (properties)', () => {
  it('should subscribe at most maxAttempts times, let exactly one attempt win, and leave nothing subscribed', function () {
    this.timeout(60_000);
    const seen: Record<Ending, number> = { won: 0, failed: 0, cancelled: 0 };
    fc.assert(
      fc.property(scenario, (s) => {
        seen[check(s)]++;
      }),
      { seed, numRuns: runs },
    );
    for (const ending of Object.keys(seen) as Ending[]) expect(seen[ending], ending).to.be.greaterThan(0);
  });
});
