/**
 * Decisions through Redis on 127.0.0.1, side by side in one process with rate-limiter-flexible's
 * `RateLimiterRedis`, on the same redis-server (started here: Debian's, persistence off) and the same
 * ioredis client.
 *
 * 1. Per decision, one at a time (latency): our decision (what the limiter awaits from
 *    `redisRateLimitStore.acquire`) against `await RateLimiterRedis.consume(key)`; then the whole call a
 *    user writes, `of(x).pipe(rateLimit(limiter, { key }))` subscribed, against `await consume(key)` then
 *    `of(x)` subscribed (each side one subscription and one promise); and a bare `PING` (one round trip,
 *    the floor). 1 000 keys in turn, every call admitted. Medians of the rounds, and the p50 / p99 of
 *    every decision of 8 more rounds. The cases take turns, and only the young generation is collected
 *    between rounds (a full collection slows rxjs code for the next ~20 000 calls: TOOLCHAIN.md).
 * 2. Decisions per second with 100 in flight (ioredis pipelines what is in flight on its one socket).
 * 3. Round trips per decision: the commands the server receives from the client (MONITOR, commands run
 *    inside a script not counted), per decision; and the commands the script runs inside the server.
 *
 * Targets (issue 15): at least as fast as RateLimiterRedis (ratio <= 1, decision against decision, in 1
 * and 2, and the p50 in 1; the whole call against the whole call, in 1 and 2), one round trip per
 * decision.
 *
 * Run: npm run bench -- redisRateLimit
 */
import Redis from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { of, type Observable, type Observer } from 'rxjs';
import { RateLimiter } from '../src/limiter/RateLimiter';
import { rateLimit } from '../src/operators/rateLimit';
import { redisRateLimitStore, type RedisRateLimitStore } from '../src/stores/redis/redisRateLimitStore';
import { startRedisServer } from '../spec/helpers/redisServer';
import { compare, formatNs, median, minorGc, Report, type Row } from './harness';

const KEYS = Array.from({ length: 1000 }, (_, i) => `user-${i}`);
const SEQUENTIAL = 2000;
const IN_FLIGHT = 100;
const CONCURRENT = 20_000;
const nsOf = (rows: Row[], name: string): number => rows.find((r) => r.name === name)!.nsPerOp;

const OURS = 'ours: the decision (redisRateLimitStore.acquire, its answer awaited)';
const THEIRS = 'rate-limiter-flexible: await RateLimiterRedis.consume(key)';
const OURS_CALL = 'ours: the whole call, of(x).pipe(rateLimit(limiter, { key }))';
const THEIRS_CALL = 'rate-limiter-flexible: the whole call, await consume(key) then of(x)';
const PING = 'await client.ping() (one bare round trip)';
const noop = (): void => undefined;
const quiet: Partial<Observer<number>> = { next: noop };

/** Runs `n` decisions with at most `width` in flight. */
async function inFlight(n: number, width: number, decide: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < n) await decide(next++);
  };
  await Promise.all(Array.from({ length: width }, lane));
}

/**
 * Each decision's time, ns, sorted, per case: the cases take turns (`rounds` runs of `n` decisions each,
 * after one warm-up run each), and only the young generation is collected before each run.
 */
async function latencies(
  names: readonly string[],
  decide: Record<string, (i: number) => Promise<unknown>>,
  n: number,
  rounds: number,
): Promise<Map<string, number[]>> {
  const times = new Map(names.map((name) => [name, [] as number[]]));
  for (let round = -1; round < rounds; round++) {
    for (const name of names) {
      const run = decide[name]!;
      const into = times.get(name)!;
      minorGc();
      for (let i = 0; i < n; i++) {
        const start = process.hrtime.bigint();
        await run(i);
        if (round >= 0) into.push(Number(process.hrtime.bigint() - start));
      }
    }
  }
  for (const list of times.values()) list.sort((a, b) => a - b);
  return times;
}

export default async function redisRateLimitBench(): Promise<void> {
  const report = new Report(
    'redisRateLimit',
    'decisions through Redis on 127.0.0.1: redisRateLimitStore vs rate-limiter-flexible RateLimiterRedis',
  );
  const server = await startRedisServer();
  const client = new Redis(server.port, server.host);
  const monitor = new Redis(server.port, server.host);
  try {
    await client.ping();
    // Limits far away: the admit path is measured, as users mostly see it.
    const limiter = new RateLimiter({
      name: 'bench',
      limit: 1_000_000_000,
      interval: 1000,
      // A long timeout: a stall of a loaded machine must not send decisions to the fallback mid-measure.
      store: redisRateLimitStore({ client, timeout: 1000 }),
    });
    const rlf = new RateLimiterRedis({
      storeClient: client,
      points: 1_000_000_000,
      duration: 60,
      keyPrefix: 'rlf',
    });
    const store = limiter.store;
    const rule = limiter.rule;
    const decisions: Record<string, (i: number) => Promise<unknown>> = {
      [OURS]: (i) => {
        const answer = store.acquire(KEYS[i % 1000]!, 1, rule, limiter.scheduler.now());
        if (typeof answer === 'number') {
          const books = (store as RedisRateLimitStore).metrics();
          throw new Error(`a decision was made by the fallback: ${JSON.stringify(books)}`);
        }
        return new Promise((resolve) => (answer as Observable<number>).subscribe(resolve));
      },
      [THEIRS]: (i) => rlf.consume(KEYS[i % 1000]!),
      // The whole call, each side with one subscription to of(x) and one promise the loop awaits (not
      // lastValueFrom on our side only: its promise, subscriber and extra ticks cost about 1 µs).
      [OURS_CALL]: (i) =>
        new Promise((resolve, reject) => {
          of(i)
            .pipe(rateLimit(limiter, { key: KEYS[i % 1000]! }))
            .subscribe({ next: noop, error: reject, complete: resolve as () => void });
        }),
      [THEIRS_CALL]: async (i) => {
        await rlf.consume(KEYS[i % 1000]!);
        of(i).subscribe(quiet);
      },
      [PING]: () => client.ping(),
    };
    const names = [OURS, THEIRS, OURS_CALL, THEIRS_CALL, PING];

    const sequential = await compare(
      names.map((name) => ({
        name,
        run: async (n: number) => {
          for (let i = 0; i < n; i++) await decisions[name]!(i);
        },
      })),
      SEQUENTIAL,
      7,
      'minor',
    );
    const spread = await latencies(names, decisions, SEQUENTIAL / 4, 8);
    const at = (times: number[], q: number): number =>
      times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
    report.table(
      `per decision, one at a time (${SEQUENTIAL} decisions over 1 000 keys, all admitted; p50/p99 of ${SEQUENTIAL * 2}, taking turns)`,
      sequential.map((row) => ({
        case: row.name,
        'per decision (median of rounds)': formatNs(row.nsPerOp),
        'decisions/s': Math.round(1e9 / row.nsPerOp),
        p50: formatNs(at(spread.get(row.name)!, 0.5)),
        p99: formatNs(at(spread.get(row.name)!, 0.99)),
        'x rate-limiter-flexible': Number((row.nsPerOp / nsOf(sequential, THEIRS)).toFixed(2)),
      })),
    );

    const concurrent = await compare(
      names.map((name) => ({ name, run: (n: number) => inFlight(n, IN_FLIGHT, decisions[name]!) })),
      CONCURRENT,
      7,
      'minor',
    );
    report.table(
      `decisions per second, ${IN_FLIGHT} in flight (${CONCURRENT} decisions over 1 000 keys)`,
      concurrent.map((row) => ({
        case: row.name,
        'decisions/s': Math.round(1e9 / row.nsPerOp),
        'per decision': formatNs(row.nsPerOp),
        'x rate-limiter-flexible': Number((row.nsPerOp / nsOf(concurrent, THEIRS)).toFixed(2)),
      })),
    );

    // Round trips: what the server receives from this client, per decision, by MONITOR.
    const seen = { client: [] as string[], lua: [] as string[] };
    const feed = await monitor.monitor();
    feed.on('monitor', (_time: string, args: string[], source: string) => {
      (source === 'lua' ? seen.lua : seen.client).push(String(args[0]).toLowerCase());
    });
    const counted = 200;
    const perDecision: Array<Record<string, unknown>> = [];
    for (const name of [OURS_CALL, THEIRS_CALL]) {
      seen.client.length = 0;
      seen.lua.length = 0;
      for (let i = 0; i < counted; i++) await decisions[name]!(i);
      await client.ping(); // a marker: MONITOR has reported everything before it once it is seen
      while (seen.client.at(-1) !== 'ping') await new Promise((resolve) => setTimeout(resolve, 5));
      seen.client.pop();
      const tally = (list: string[]) =>
        [...new Set(list)].map((c) => `${c} ${list.filter((x) => x === c).length / counted}`).join(', ');
      perDecision.push({
        case: name,
        'round trips per decision': seen.client.length / counted,
        'sent per decision': tally(seen.client),
        'run by the script per decision': tally(seen.lua),
      });
    }
    feed.disconnect();
    report.table(`commands per decision (MONITOR, ${counted} decisions each)`, perDecision);
    // The server's own time per decision (INFO commandstats, without MONITOR).
    const serverTime: Array<Record<string, unknown>> = [];
    for (const name of [OURS, THEIRS]) {
      await client.config('RESETSTAT');
      await inFlight(CONCURRENT / 4, IN_FLIGHT, decisions[name]!);
      const stats = await client.info('commandstats');
      const usec = /^cmdstat_evalsha:calls=(\d+),usec=(\d+)/m.exec(stats)!;
      const calls = Number(usec[1]);
      // What the script ran, over a steady run (MONITOR above sees only 200 decisions).
      const ran = [...stats.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)]
        .filter(([, command]) => !['evalsha', 'eval', 'config', 'info'].includes(command!))
        .map(([, command, n]) => `${command} ${Number((Number(n) / calls).toFixed(3))}`)
        .join(', ');
      serverTime.push({
        case: name,
        'server µs per decision': Number((Number(usec[2]) / calls).toFixed(2)),
        'run by the script per decision': ran,
      });
    }
    report.table(
      `time the script holds the server, per decision (INFO commandstats, ${CONCURRENT / 4} decisions, ${IN_FLIGHT} in flight)`,
      serverTime,
    );
    const books = (store as RedisRateLimitStore).metrics();
    report.table('the store over the whole bench', [
      { decisions: books.decisions, redis: books.redis, fallback: books.fallback, timeouts: books.timeouts },
    ]);
    if (books.fallback > 0) throw new Error('decisions were made by the fallback: the figures are not Redis');

    const latencyRatio = nsOf(sequential, OURS) / nsOf(sequential, THEIRS);
    report.check(
      'our decision one at a time <= 1x RateLimiterRedis (ratio)',
      latencyRatio,
      latencyRatio <= 1,
    );
    const throughputRatio = nsOf(concurrent, OURS) / nsOf(concurrent, THEIRS);
    report.check(
      `our decisions with ${IN_FLIGHT} in flight <= 1x RateLimiterRedis per decision (ratio)`,
      throughputRatio,
      throughputRatio <= 1,
    );
    const p50Ratio = median(spread.get(OURS)!) / median(spread.get(THEIRS)!);
    report.check('our decision p50 <= 1x RateLimiterRedis p50 (ratio)', p50Ratio, p50Ratio <= 1);
    const callRatio = nsOf(sequential, OURS_CALL) / nsOf(sequential, THEIRS_CALL);
    report.check(
      'the whole call one at a time <= 1x rate-limiter-flexible consume then of(x) (ratio)',
      callRatio,
      callRatio <= 1,
    );
    const callsRatio = nsOf(concurrent, OURS_CALL) / nsOf(concurrent, THEIRS_CALL);
    report.check(
      `the whole call with ${IN_FLIGHT} in flight <= 1x rate-limiter-flexible consume then of(x) (ratio)`,
      callsRatio,
      callsRatio <= 1,
    );
    const trips = perDecision[0]!['round trips per decision'] as number;
    report.check('round trips per decision = 1', trips, trips === 1);
    const p50 = median(spread.get(OURS)!);
    report.table('the floor', [
      {
        case: 'our p50 decision over a bare PING p50',
        ratio: Number((p50 / median(spread.get(PING)!)).toFixed(2)),
      },
    ]);
    report.save();
  } finally {
    monitor.disconnect();
    client.disconnect();
    await server.stop();
  }
}
