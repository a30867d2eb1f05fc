/**
 * The rate limiter's decision per call, side by side in one process with the limiters users would
 * otherwise pick: rate-limiter-flexible's `RateLimiterMemory` (a fixed window per key, a promise per
 * call) and bottleneck (a job scheduler with a reservoir).
 *
 * 1. The decision alone, per call, 1 000 keys in turn, every call admitted: `MemoryRateLimitStore.acquire`
 *    (what the limiter asks per call) against `await RateLimiterMemory.consume(key)` and
 *    `await Bottleneck.schedule(fn)` (one limiter per key through a Group would be slower still; one
 *    shared limiter is its best case).
 * 2. The whole call through the operator: `of(x).pipe(rateLimit(limiter, { key }))` subscribed, against
 *    the bare `of(x)`, so what the limiter adds per call is visible.
 * 3. The refusal path: every call refused (the key is spent), ours (`RateLimitedError` without a stack)
 *    against rate-limiter-flexible's rejected promise.
 *
 * Target (issue 13): our decision costs at most 0.5x rate-limiter-flexible's per call.
 *
 * Run: npm run bench -- rateLimit
 */
import Bottleneck from 'bottleneck';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { map, of, type Observer } from 'rxjs';
import { MemoryRateLimitStore } from '../src/limiter/MemoryRateLimitStore';
import { RateLimiter } from '../src/limiter/RateLimiter';
import { rateLimit } from '../src/operators/rateLimit';
import { compare, formatNs, Report, type Row } from './harness';

const KEYS = Array.from({ length: 1000 }, (_, i) => `user-${i}`);
const CALLS = 50_000;
const BOTTLENECK_CALLS = 500;
const observer: Partial<Observer<number>> = { next: () => undefined, error: () => undefined };
const nsOf = (rows: Row[], name: string): number => rows.find((r) => r.name === name)!.nsPerOp;

export default async function rateLimitBench(): Promise<void> {
  const report = new Report(
    'rateLimit',
    'rate limiter decision per call vs rate-limiter-flexible and bottleneck',
  );

  // Limits high enough that every call is admitted: the admit path is measured.
  const generous = { limit: 1_000_000_000, interval: 1000 };
  const ours = new RateLimiter(generous);
  const store = new MemoryRateLimitStore();
  const rule = ours.rule;
  const rlf = new RateLimiterMemory({ points: 1_000_000_000, duration: 1 });
  const bottleneck = new Bottleneck({ maxConcurrent: null, minTime: 0 });
  const job = (): Promise<number> => Promise.resolve(1);

  const decision = await compare(
    [
      {
        name: 'ours: MemoryRateLimitStore.acquire (the decision)',
        run: (n) => {
          let now = Date.now();
          for (let i = 0; i < n; i++) {
            if ((i & 1023) === 0) now = Date.now();
            store.acquire(KEYS[i % 1000]!, 1, rule, now);
          }
        },
      },
      {
        name: 'ours: limiter decision with the scheduler clock (store.acquire + scheduler.now)',
        run: (n) => {
          for (let i = 0; i < n; i++) ours.store.acquire(KEYS[i % 1000]!, 1, rule, ours.scheduler.now());
        },
      },
      {
        name: 'rate-limiter-flexible: await RateLimiterMemory.consume(key)',
        run: async (n) => {
          for (let i = 0; i < n; i++) await rlf.consume(KEYS[i % 1000]!);
        },
      },
    ],
    CALLS,
    7,
    'minor',
  );
  // Bottleneck dispatches each job from a timer (about a millisecond or more per job), so it is timed
  // over fewer calls, with a timer keeping the process alive while its unref'd timers are pending.
  const keepAlive = setInterval(() => undefined, 1000);
  const scheduled = await compare(
    [
      {
        name: 'bottleneck: await schedule(fn) (one limiter, no key)',
        run: async (n) => {
          for (let i = 0; i < n; i++) await bottleneck.schedule(job);
        },
      },
    ],
    BOTTLENECK_CALLS,
    3,
    'minor',
  );
  clearInterval(keepAlive);
  decision.push(...scheduled);
  report.timings(
    `decision per call, ${CALLS} calls over 1 000 keys (bottleneck: ${BOTTLENECK_CALLS}), all admitted`,
    decision,
    'rate-limiter-flexible: await RateLimiterMemory.consume(key)',
  );

  const perCall = await compare(
    [
      {
        name: 'of(x) (bare)',
        run: (n) => {
          for (let i = 0; i < n; i++) of(i).subscribe(observer);
        },
      },
      {
        name: 'of(x).pipe(rateLimit(limiter, { key })) (operator created per call)',
        run: (n) => {
          for (let i = 0; i < n; i++)
            of(i)
              .pipe(rateLimit(ours, { key: KEYS[i % 1000]! }))
              .subscribe(observer);
        },
      },
      {
        name: 'of(x).pipe(map(identity)) (any one rxjs operator created per call, for scale)',
        run: (n) => {
          for (let i = 0; i < n; i++)
            of(i)
              .pipe(map((v) => v))
              .subscribe(observer);
        },
      },
      {
        name: 'rate-limiter-flexible: await consume(key), then the work',
        run: async (n) => {
          for (let i = 0; i < n; i++) {
            await rlf.consume(KEYS[i % 1000]!);
            of(i).subscribe(observer);
          }
        },
      },
    ],
    CALLS,
    7,
    'minor',
  );
  report.timings(`whole call, ${CALLS} calls over 1 000 keys, all admitted`, perCall, 'of(x) (bare)');

  // Every call refused: one permit per hour, spent by the first call.
  const spent = new RateLimiter({ limit: 1, interval: 3_600_000 });
  of(0).pipe(rateLimit(spent)).subscribe(observer);
  const spentRlf = new RateLimiterMemory({ points: 1, duration: 3600 });
  await spentRlf.consume('');
  const refused = await compare(
    [
      {
        name: 'ours: of(x).pipe(rateLimit(spent)) refused (RateLimitedError)',
        run: (n) => {
          for (let i = 0; i < n; i++) of(i).pipe(rateLimit(spent)).subscribe(observer);
        },
      },
      {
        name: 'rate-limiter-flexible: consume(key) rejected',
        run: async (n) => {
          for (let i = 0; i < n; i++) await spentRlf.consume('').catch(() => undefined);
        },
      },
    ],
    CALLS,
    7,
    'minor',
  );
  report.timings(`refused call, ${CALLS} calls`, refused, 'rate-limiter-flexible: consume(key) rejected');
  if (spent.metrics().admitted !== 1) throw new Error('the spent limiter admitted a call');

  const theirs = nsOf(decision, 'rate-limiter-flexible: await RateLimiterMemory.consume(key)');
  const ratio =
    nsOf(decision, 'ours: limiter decision with the scheduler clock (store.acquire + scheduler.now)') /
    theirs;
  report.check(
    'our decision per call <= 0.5x rate-limiter-flexible RateLimiterMemory (ratio)',
    ratio,
    ratio <= 0.5,
  );
  const bare = nsOf(perCall, 'of(x) (bare)');
  const added = nsOf(perCall, 'of(x).pipe(rateLimit(limiter, { key })) (operator created per call)') - bare;
  const oneOperator =
    nsOf(perCall, 'of(x).pipe(map(identity)) (any one rxjs operator created per call, for scale)') - bare;
  report.table('added to a whole call', [
    { case: 'rateLimit(limiter, { key }) over of(x)', 'added per call': formatNs(added) },
    { case: 'map(identity) over of(x)', 'added per call': formatNs(oneOperator) },
    { case: 'rate-limiter-flexible consume (its decision alone)', 'added per call': formatNs(theirs) },
  ]);
  report.save();
}
