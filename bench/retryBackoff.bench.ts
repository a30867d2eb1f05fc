/**
 * retryBackoff against rxjs `retry` with the same count and an equivalent delay function, on work that
 * never fails (the common case, where a retry policy must cost nothing), side by side in one process.
 *
 * 1. Per call: `of(1)` subscribed 10 000 times through each.
 * 2. Per value: `range` of 100 000 values through each.
 *
 * The decorrelated strategy keeps one number per subscription, so it adds one subscriber per call; it is
 * measured apart.
 *
 * Run: npm run bench -- retryBackoff
 */
import { of, range, retry, timer, type Observable } from 'rxjs';
import { retryBackoff } from '../src/operators/retryBackoff';
import { compare, Report, type Case, type Row } from './harness';

const CALLS = 10_000;
const VALUES = 100_000;
const noop = (): void => undefined;

/** rxjs retry configured as a user would write exponential backoff by hand. */
const rxjsRetry = <T>() =>
  retry<T>({ count: 3, delay: (_error: unknown, n: number) => timer(Math.random() * 100 * 2 ** (n - 1)) });

function calls(name: string, call: Observable<number>): Case {
  return {
    name,
    run: (ops) => {
      for (let i = 0; i < ops; i++) call.subscribe(noop);
    },
  };
}

function stream(name: string, source: Observable<number>): Case {
  return { name, run: () => void source.subscribe(noop) };
}

const nsOf = (rows: Row[], name: string): number => rows.find((r) => r.name === name)!.nsPerOp;

export default async function retryBackoffBench(): Promise<void> {
  const report = new Report('retryBackoff', 'retryBackoff vs rxjs retry (nothing fails)');
  const config = { maxRetries: 3, initialDelay: 100 };

  const perCall = await compare(
    [
      calls('of(1) (bare)', of(1)),
      calls('of(1) + rxjs retry({ count, delay })', of(1).pipe(rxjsRetry())),
      calls('of(1) + retryBackoff (full jitter)', of(1).pipe(retryBackoff(config))),
      calls(
        'of(1) + retryBackoff (decorrelated)',
        of(1).pipe(retryBackoff({ ...config, jitter: 'decorrelated' })),
      ),
    ],
    CALLS,
    9,
  );
  report.timings('Per call, of(1) subscribed 10 000 times', perCall, 'of(1) + rxjs retry({ count, delay })');

  const perValue = await compare(
    [
      stream('range (bare)', range(0, VALUES)),
      stream('range + rxjs retry({ count, delay })', range(0, VALUES).pipe(rxjsRetry())),
      stream('range + retryBackoff (full jitter)', range(0, VALUES).pipe(retryBackoff(config))),
    ],
    VALUES,
    9,
  );
  report.timings(
    'Per value, synchronous stream of 100 000',
    perValue,
    'range + rxjs retry({ count, delay })',
  );

  const callRatio =
    nsOf(perCall, 'of(1) + retryBackoff (full jitter)') /
    nsOf(perCall, 'of(1) + rxjs retry({ count, delay })');
  const valueRatio =
    nsOf(perValue, 'range + retryBackoff (full jitter)') /
    nsOf(perValue, 'range + rxjs retry({ count, delay })');
  // The two run the same rxjs retry subscriber; a ratio within 5% of 1 is noise between rounds.
  report.check(
    'retryBackoff per call / rxjs retry per call (<= 1.05: no extra cost)',
    callRatio,
    callRatio <= 1.05,
  );
  report.check(
    'retryBackoff per value / rxjs retry per value (<= 1.05: no extra cost)',
    valueRatio,
    valueRatio <= 1.05,
  );
  report.save();
}
