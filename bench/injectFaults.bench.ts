/**
 * injectFaults: what it costs when it is in a pipeline and (mostly) does not fire.
 * 1. Per value: a synchronous stream of 1 000 000 values through map (baseline) vs injectFaults per value
 *    with indices that never match, with a seeded 1 % value substitution, and with a predicate.
 * 2. Per call: 200 000 subscriptions to of(1) (baseline) vs through injectFaults per call with indices
 *    that never match and with a seeded 1 % error rate.
 */
import { map, of, range } from 'rxjs';
import { injectFaults } from '../src/chaos/injectFaults';
import { compare, Report } from './harness';

export default async function main(): Promise<void> {
  const report = new Report('injectFaults', 'injectFaults: cost on the path where no fault fires');
  const noop = () => undefined;
  const values = await compare(
    [
      {
        name: 'rxjs range + map (baseline)',
        run: (n) =>
          void range(0, n)
            .pipe(map((x) => x))
            .subscribe(noop),
      },
      {
        name: 'injectFaults per value, indices never hit',
        run: (n) =>
          void range(0, n)
            .pipe(
              injectFaults<number>({ per: 'value', fault: 'value', when: [-0 + 2 ** 40], value: () => -1 }),
            )
            .subscribe(noop),
      },
      {
        name: 'injectFaults per value, 1 % value faults (seeded rate)',
        run: (n) =>
          void range(0, n)
            .pipe(injectFaults<number>({ per: 'value', fault: 'value', when: 0.01, value: () => -1 }))
            .subscribe(noop),
      },
      {
        name: 'injectFaults per value, predicate',
        run: (n) =>
          void range(0, n)
            .pipe(
              injectFaults<number>({
                per: 'value',
                fault: 'value',
                when: ({ value }) => value === -1,
                value: () => -1,
              }),
            )
            .subscribe(noop),
      },
    ],
    1_000_000,
    7,
  );
  report.timings('per value (1 000 000 synchronous values)', values, 'rxjs range + map (baseline)');
  const callsNever = injectFaults<number>({ fault: 'error', when: [2 ** 40] });
  const callsRate = injectFaults<number>({ fault: 'error', when: 0.01 });
  const calls = await compare(
    [
      {
        name: 'of(1).subscribe (baseline)',
        run: (n) => {
          for (let i = 0; i < n; i++) of(1).subscribe(noop);
        },
      },
      {
        name: 'of(1).pipe(map(x => x)).subscribe (a plain operator)',
        run: (n) => {
          for (let i = 0; i < n; i++)
            of(1)
              .pipe(map((x) => x))
              .subscribe(noop);
        },
      },
      {
        name: 'injectFaults per call, indices never hit',
        run: (n) => {
          for (let i = 0; i < n; i++) of(1).pipe(callsNever).subscribe(noop);
        },
      },
      {
        name: 'injectFaults per call, 1 % errors (seeded rate)',
        run: (n) => {
          for (let i = 0; i < n; i++) of(1).pipe(callsRate).subscribe({ next: noop, error: noop });
        },
      },
    ],
    200_000,
    7,
  );
  report.timings('per call (200 000 subscriptions)', calls, 'of(1).subscribe (baseline)');
  const base = values[0]!.nsPerOp;
  report.check(
    'per value, no fault: adds <= 100 ns per value over map',
    values[1]!.nsPerOp - base,
    values[1]!.nsPerOp - base <= 100,
  );
  report.save();
}
