import { expect } from 'chai';
import { asyncScheduler } from 'rxjs';
import { RetryBudget, type RetryBudgetConfig } from '../../src/budget/RetryBudget';
import type { RetryBudgetEvent } from '../../src/budget/RetryBudgetEvent';
import { InvalidConfigError, isInvalidConfigError } from '../../src/errors/InvalidConfigError';
import { ManualClock } from '../breaker/manualClock';
import { captureThrow } from '../helpers/captureError';

/** A budget on a clock the test moves by hand. */
function budgetOn(config: RetryBudgetConfig = {}): { budget: RetryBudget; clock: ManualClock } {
  const clock = new ManualClock();
  return { budget: new RetryBudget({ scheduler: clock, ...config }), clock };
}

/** Withdraws until refused; returns how many were allowed. */
function drain(budget: RetryBudget): number {
  let allowed = 0;
  while (budget.tryWithdraw()) allowed++;
  return allowed;
}

describe('RetryBudget', () => {
  describe('config', () => {
    it("should apply Finagle's defaults: ttl 10 s, 10 retries per second, 20%", () => {
      const budget = new RetryBudget();
      expect({
        name: budget.name,
        ttl: budget.ttl,
        minRetriesPerSecond: budget.minRetriesPerSecond,
        percentCanRetry: budget.percentCanRetry,
      }).to.deep.equal({ name: 'retryBudget', ttl: 10_000, minRetriesPerSecond: 10, percentCanRetry: 0.2 });
      expect(budget.scheduler).to.equal(asyncScheduler);
      expect(budget.balance, 'the reserve: 10 per second over 10 s').to.equal(100);
    });

    it('should throw InvalidConfigError naming every bad field, expected and received', () => {
      const error = captureThrow(
        () =>
          new RetryBudget({
            ttl: 60_001,
            minRetriesPerSecond: -1,
            percentCanRetry: 1001,
            name: 1,
            scheduler: 2,
            percent: 3,
          } as never),
      );
      expect(isInvalidConfigError(error)).to.equal(true);
      expect((error as InvalidConfigError).message).to.equal(
        'RetryBudget: invalid config: ' +
          '`ttl` must be a number of milliseconds in (0, 60000], got 60001 (number); ' +
          '`minRetriesPerSecond` must be a finite non-negative number, got -1 (number); ' +
          '`percentCanRetry` must be a number in [0, 1000], got 1001 (number); ' +
          '`name` must be a string, got 1 (number); ' +
          '`scheduler` must be a SchedulerLike (an object with now() and schedule()), got 2 (number); ' +
          'unknown option `percent`: expected one of the known options (`ttl`, `minRetriesPerSecond`, `percentCanRetry`, `name`, `scheduler`), got 3 (number)',
      );
      const messages = [{ ttl: 0 }, { minRetriesPerSecond: Infinity }, { percentCanRetry: NaN }, null].map(
        (config) => (captureThrow(() => new RetryBudget(config as never)) as Error).message,
      );
      expect(messages).to.deep.equal([
        'RetryBudget: invalid config: `ttl` must be a number of milliseconds in (0, 60000], got 0 (number)',
        'RetryBudget: invalid config: `minRetriesPerSecond` must be a finite non-negative number, got Infinity (number)',
        'RetryBudget: invalid config: `percentCanRetry` must be a number in [0, 1000], got NaN (number)',
        'RetryBudget: invalid config: config must be an object, got null',
      ]);
    });
  });

  describe('rules (DESIGN 2.10)', () => {
    it('should allow percentCanRetry retries per call deposited', () => {
      const { budget } = budgetOn({ minRetriesPerSecond: 0, percentCanRetry: 0.2 });
      expect(drain(budget)).to.equal(0);
      for (let i = 0; i < 4; i++) budget.deposit();
      expect(budget.balance).to.equal(0);
      budget.deposit();
      expect(budget.balance).to.equal(1);
      for (let i = 0; i < 10; i++) budget.deposit();
      expect(drain(budget)).to.equal(3);
      expect(budget.balance).to.equal(0);
    });

    it('should allow the reserve, minRetriesPerSecond * ttl / 1000, with no call at all', () => {
      const { budget } = budgetOn({ ttl: 2000, minRetriesPerSecond: 5, percentCanRetry: 0.2 });
      expect(budget.balance).to.equal(10);
      expect(drain(budget)).to.equal(10);
    });

    it('should count the reserve in decimal: 2.05 retries per second over 60 s are 123 retries', () => {
      // 2.05 * 60000 is 122999.99999999999 in floating point: the 123rd retry was lost.
      for (const [minRetriesPerSecond, ttl, reserve] of [
        [2.05, 60_000, 123],
        [4.1, 30_000, 123],
        [0.3, 10_000, 3],
        [0.05, 10_000, 0.5],
      ] as const) {
        for (const percentCanRetry of [0, 0.2, 0.3]) {
          const { budget } = budgetOn({ ttl, minRetriesPerSecond, percentCanRetry });
          const label = `${minRetriesPerSecond}/s over ${ttl} ms, ${percentCanRetry}`;
          expect(budget.metrics().reserve, label).to.equal(reserve);
          expect(budget.balance, label).to.equal(Math.floor(reserve));
          expect(drain(budget), label).to.equal(Math.floor(reserve));
        }
      }
    });

    it('should let deposits expire exactly ttl ms after they were made', () => {
      const { budget, clock } = budgetOn({ ttl: 10, minRetriesPerSecond: 0, percentCanRetry: 1 });
      budget.deposit();
      clock.time = 9;
      expect(budget.balance).to.equal(1);
      clock.time = 10;
      expect(budget.balance).to.equal(0);
      expect(budget.tryWithdraw()).to.equal(false);
    });

    it('should let withdrawals expire exactly ttl ms after they were made', () => {
      const { budget, clock } = budgetOn({ ttl: 1000, minRetriesPerSecond: 2, percentCanRetry: 0.2 });
      expect(drain(budget)).to.equal(2);
      clock.time = 999;
      expect(budget.tryWithdraw()).to.equal(false);
      clock.time = 1000;
      expect(budget.balance).to.equal(2);
    });

    it('should follow the marble of its doc comment', () => {
      const { budget, clock } = budgetOn({ ttl: 10, minRetriesPerSecond: 0, percentCanRetry: 0.5 });
      const balances: number[] = [];
      budget.deposit();
      balances.push(budget.balance);
      clock.time = 1;
      budget.deposit();
      balances.push(budget.balance);
      clock.time = 2;
      expect(budget.tryWithdraw()).to.equal(true);
      balances.push(budget.balance);
      clock.time = 3;
      expect(budget.tryWithdraw()).to.equal(false);
      balances.push(budget.balance);
      for (const at of [10, 11, 12]) {
        clock.time = at;
        balances.push(budget.balance);
      }
      expect(balances).to.deep.equal([0, 1, 0, 0, 0, 0, 0]);
      clock.time = 12;
      budget.deposit();
      budget.deposit();
      expect(budget.balance, 'everything before 2 has expired').to.equal(1);
    });

    it("should use Finagle's token arithmetic (1000 per call, floor(1000 / percent) per retry)", () => {
      // 0.57 * 100 is 56.99999999999999 in floating point; in tokens, 100 calls are 100 000 and a retry
      // 1754, so 57 retries.
      const { budget } = budgetOn({ minRetriesPerSecond: 0, percentCanRetry: 0.57 });
      for (let i = 0; i < 100; i++) budget.deposit();
      expect(drain(budget)).to.equal(57);
      const twice = budgetOn({ minRetriesPerSecond: 0, percentCanRetry: 2 }).budget;
      twice.deposit();
      expect(drain(twice), 'percentCanRetry 2: two retries per call').to.equal(2);
    });

    it('should take every retry from the reserve when percentCanRetry is 0', () => {
      const { budget } = budgetOn({ ttl: 1000, minRetriesPerSecond: 3, percentCanRetry: 0 });
      for (let i = 0; i < 100; i++) budget.deposit();
      expect(drain(budget)).to.equal(3);
      const empty = budgetOn({ minRetriesPerSecond: 0, percentCanRetry: 0 }).budget;
      empty.deposit();
      expect(drain(empty), 'no reserve and no percent: never').to.equal(0);
    });

    it('should never report a negative balance when deposits expire before the retries they paid for', () => {
      const { budget, clock } = budgetOn({ ttl: 10, minRetriesPerSecond: 0, percentCanRetry: 1 });
      budget.deposit();
      clock.time = 5;
      expect(budget.tryWithdraw()).to.equal(true);
      clock.time = 10;
      expect(budget.balance).to.equal(0);
      budget.deposit();
      expect(budget.balance, 'the withdrawal at 5 still counts').to.equal(0);
      clock.time = 15;
      expect(budget.balance).to.equal(1);
    });
  });

  describe('memory', () => {
    it('should keep one slot per millisecond over ttl, whatever the call rate', () => {
      const { budget, clock } = budgetOn({ ttl: 100 });
      let most = 0;
      for (let i = 0; i < 100_000; i++) {
        clock.time = Math.floor(i / 10);
        budget.deposit();
        if (i % 3 === 0) budget.tryWithdraw();
        most = Math.max(most, (budget as unknown as { length: number }).length);
      }
      expect(most).to.equal(100);
      expect(clock.scheduled, 'no timer').to.equal(0);
    });

    it('should put an event of a clock gone backwards in the newest slot', () => {
      const { budget, clock } = budgetOn({ ttl: 10, minRetriesPerSecond: 0, percentCanRetry: 1 });
      clock.time = 5;
      budget.deposit();
      clock.time = 3;
      budget.deposit();
      clock.time = 14;
      expect(budget.balance).to.equal(2);
      clock.time = 15;
      expect(budget.balance).to.equal(0);
    });
  });

  describe('events$ and metrics()', () => {
    it('should report deposits, withdrawals and refusals with at and balance', () => {
      const { budget, clock } = budgetOn({
        name: 'users',
        ttl: 1000,
        minRetriesPerSecond: 1,
        percentCanRetry: 0.5,
      });
      const events: RetryBudgetEvent[] = [];
      budget.events$.subscribe((e) => events.push(e));
      budget.deposit();
      clock.time = 4;
      budget.tryWithdraw();
      budget.tryWithdraw();
      budget.tryWithdraw();
      expect(events).to.deep.equal([
        { type: 'deposited', budget: 'users', at: 0, balance: 1 },
        { type: 'withdrawn', budget: 'users', at: 4, balance: 0 },
        { type: 'refused', budget: 'users', at: 4, balance: 0 },
        { type: 'refused', budget: 'users', at: 4, balance: 0 },
      ]);
      expect(budget.metrics()).to.deep.equal({
        name: 'users',
        at: 4,
        balance: 0,
        deposits: 1,
        withdrawals: 1,
        reserve: 1,
        totalDeposits: 1,
        totalWithdrawals: 1,
        totalRefusals: 2,
      });
      clock.time = 1004;
      expect(budget.metrics()).to.include({ deposits: 0, withdrawals: 0, balance: 1, totalDeposits: 1 });
    });

    it('should build no event while events$ is not observed', () => {
      const { budget } = budgetOn();
      budget.deposit();
      budget.tryWithdraw();
      expect((budget as unknown as { subject: unknown }).subject).to.equal(null);
    });
  });
});
