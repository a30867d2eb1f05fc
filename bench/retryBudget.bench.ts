/**
 * What the retry budget costs per call: a deposit (each call's first attempt) and a withdrawal (each
 * retry or extra hedge), on the default clock (`asyncScheduler`, so `Date.now()` per operation), against
 * `Date.now()` alone, the floor of anything that reads the clock; then a whole call through `hedge` with
 * and without a budget.
 *
 * Run: npm run bench -- retryBudget
 */
import { of, type Observer } from 'rxjs';
import { RetryBudget } from '../src/budget/RetryBudget';
import { hedge } from '../src/operators/hedge';
import { retryBackoff } from '../src/operators/retryBackoff';
import { compare, Report, type Row } from './harness';

const OPS = 200_000;
const observer: Partial<Observer<number>> = { next: () => undefined, error: () => undefined };
const nsOf = (rows: Row[], name: string): number => rows.find((r) => r.name === name)!.nsPerOp;

export default async function retryBudgetBench(): Promise<void> {
  const report = new Report('retryBudget', 'RetryBudget: per-call cost of deposits and withdrawals');
  let sink = 0;
  const budget = new RetryBudget();
  const rich = new RetryBudget({ percentCanRetry: 1000 });
  const empty = new RetryBudget({ minRetriesPerSecond: 0, percentCanRetry: 0 });

  const ops = await compare(
    [
      {
        name: 'Date.now() (the clock read, for scale)',
        run: (n) => {
          for (let i = 0; i < n; i++) sink += Date.now();
        },
      },
      {
        name: 'budget.deposit()',
        run: (n) => {
          for (let i = 0; i < n; i++) budget.deposit();
        },
      },
      {
        name: 'budget.tryWithdraw() allowed',
        run: (n) => {
          for (let i = 0; i < n; i++) {
            rich.deposit();
            if (rich.tryWithdraw()) sink++;
          }
        },
      },
      {
        name: 'budget.tryWithdraw() refused',
        run: (n) => {
          for (let i = 0; i < n; i++) if (!empty.tryWithdraw()) sink++;
        },
      },
      {
        name: 'budget.balance',
        run: (n) => {
          for (let i = 0; i < n; i++) sink += budget.balance;
        },
      },
    ],
    OPS,
    7,
    'minor',
  );
  report.timings(`per operation, ${OPS} operations`, ops, 'Date.now() (the clock read, for scale)');

  const retried = retryBackoff<number>({ maxRetries: 3, initialDelay: 100 });
  const retriedWithBudget = retryBackoff<number>({ maxRetries: 3, initialDelay: 100, budget });
  const withBudget = hedge<number>({ delay: 100, budget });
  const without = hedge<number>({ delay: 100 });
  const calls = await compare(
    [
      {
        name: 'of(x).pipe(hedge({ delay: 100 }))',
        run: (n) => {
          for (let i = 0; i < n; i++) of(i).pipe(without).subscribe(observer);
        },
      },
      {
        name: 'of(x).pipe(retryBackoff({ maxRetries: 3, initialDelay: 100 }))',
        run: (n) => {
          for (let i = 0; i < n; i++) of(i).pipe(retried).subscribe(observer);
        },
      },
      {
        name: 'of(x).pipe(retryBackoff({ ..., budget }))',
        run: (n) => {
          for (let i = 0; i < n; i++) of(i).pipe(retriedWithBudget).subscribe(observer);
        },
      },
      {
        name: 'of(x).pipe(hedge({ delay: 100, budget }))',
        run: (n) => {
          for (let i = 0; i < n; i++) of(i).pipe(withBudget).subscribe(observer);
        },
      },
    ],
    50_000,
    7,
    'minor',
  );
  report.timings(
    'per call (the call answers at once, nothing is retried), 50 000 calls',
    calls,
    'of(x).pipe(hedge({ delay: 100 }))',
  );
  const added =
    nsOf(calls, 'of(x).pipe(hedge({ delay: 100, budget }))') -
    nsOf(calls, 'of(x).pipe(hedge({ delay: 100 }))');
  const deposit = nsOf(ops, 'budget.deposit()') - nsOf(ops, 'Date.now() (the clock read, for scale)');
  report.check('a deposit adds <= 60 ns to its clock read (ns)', deposit, deposit <= 60);
  const addedRetry =
    nsOf(calls, 'of(x).pipe(retryBackoff({ ..., budget }))') -
    nsOf(calls, 'of(x).pipe(retryBackoff({ maxRetries: 3, initialDelay: 100 }))');
  report.check('a budget adds <= 150 ns to a hedged call (ns)', added, added <= 150);
  report.check(
    'a budget adds <= 300 ns to a retryBackoff call (the deposit, and one more subscriber for the window of the call) (ns)',
    addedRetry,
    addedRetry <= 300,
  );
  if (sink === 0.5) console.log(sink);
  report.save();
}
