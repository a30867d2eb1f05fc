import { expect } from 'chai';
import fc from 'fast-check';
import Redis from 'ioredis';
import { MemoryRateLimitStore } from '../../../src/limiter/MemoryRateLimitStore';
import type { RateLimitRule } from '../../../src/limiter/RateLimitStore';
import { gcraScript, PENALIZE, REPORT_TIME } from '../../../src/stores/redis/gcraScript';
import { connectedClient } from '../../helpers/redisClient';
import { startRedisServer, type RedisServer } from '../../helpers/redisServer';

const seed = process.env['FC_SEED'] === undefined ? 20261203 : Number(process.env['FC_SEED']);

type Gcra = (key: string, ...argv: string[]) => Promise<unknown>;

type Op =
  | { readonly type: 'acquire'; readonly key: string; readonly cost: number; readonly pause: number }
  | { readonly type: 'penalize'; readonly key: string; readonly ms: number; readonly pause: number };

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('GCRA_SCRIPT', () => {
  let server: RedisServer;
  let client: Redis;
  let defined = 0;

  /** The script of `rule`, as a command on the client. */
  const script = (rule: Omit<RateLimitRule, 'name'>): Gcra => {
    const name = `gcraSpec${defined++}`;
    client.defineCommand(name, { numberOfKeys: 1, lua: gcraScript({ name, ...rule }) });
    return (client as unknown as Record<string, Gcra>)[name]!.bind(client);
  };

  before(async () => {
    server = await startRedisServer();
    client = await connectedClient(server);
  });

  after(async () => {
    client.disconnect();
    await server.stop();
  });

  it("should decide as MemoryRateLimitStore does on the server's TIME, for any sequence of calls and penalties", async function () {
    this.timeout(20_000);
    // Emission intervals of a fraction of a ms to a few ms, so the time that passes between calls (a
    // round trip, plus a pause) moves the decisions: admitted, reserved and refused all occur.
    const rules = fc.record({
      limit: fc.integer({ min: 1, max: 7 }),
      interval: fc.constantFrom(1, 2, 3, 5, 10),
      burst: fc.integer({ min: 1, max: 4 }),
      maxWait: fc.constantFrom(0, 1, 3),
    });
    const key = fc.constantFrom('a', 'b');
    const pause = fc.constantFrom(0, 0, 0, 1, 2);
    const op: fc.Arbitrary<Op> = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.record({
          type: fc.constant('acquire' as const),
          key,
          cost: fc.integer({ min: 1, max: 3 }),
          pause,
        }),
      },
      {
        weight: 1,
        arbitrary: fc.record({
          type: fc.constant('penalize' as const),
          key,
          ms: fc.integer({ min: 0, max: 3 }),
          pause,
        }),
      },
    );
    let run = 0;
    const outcomes = { admitted: 0, reserved: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(rules, fc.array(op, { minLength: 10, maxLength: 30 }), async (rule, ops) => {
        const prefix = `gcra-${run++}:`;
        const gcra = script(rule);
        // The memory store on the server's clock in µs: the same units as the script (1 / limit µs).
        const memory = new MemoryRateLimitStore();
        const inMicroseconds: RateLimitRule = {
          name: 'memory',
          limit: rule.limit,
          interval: rule.interval * 1000,
          burst: rule.burst,
          maxWait: rule.maxWait * 1000,
        };
        let first: number | null = null;
        for (const o of ops) {
          if (o.pause > 0) await sleep(o.pause);
          const [answer, seconds, microseconds] = (await gcra(
            prefix + o.key,
            String(o.type === 'acquire' ? o.cost : o.ms),
            o.type === 'acquire' ? REPORT_TIME : PENALIZE + REPORT_TIME,
          )) as [string, string, string];
          const time = Number(seconds) * 1_000_000 + Number(microseconds);
          first ??= time;
          const now = time - first;
          if (o.type === 'penalize') {
            memory.penalize(o.key, o.ms * 1000, inMicroseconds, now);
            expect(answer).to.equal('0');
            continue;
          }
          const expected = memory.acquire(o.key, o.cost, inMicroseconds, now) / 1000;
          const got = Number(answer);
          expect(Math.sign(got), `${o.key} cost ${o.cost} at ${now} µs: ${got} vs ${expected}`).to.equal(
            Math.sign(expected),
          );
          expect(got).to.be.closeTo(expected, 1e-9 * Math.max(1, Math.abs(expected)));
          outcomes[got === 0 ? 'admitted' : got > 0 ? 'reserved' : 'refused']++;
        }
      }),
      { seed, numRuns: 30 },
    );
    // The runs reached every outcome.
    expect(outcomes.admitted).to.be.greaterThan(0);
    expect(outcomes.reserved).to.be.greaterThan(0);
    expect(outcomes.refused).to.be.greaterThan(0);
  });

  it('should expire a key about a second after its tat passes (it then holds nothing), and refused calls leave it as it is', async () => {
    // limit 1 per 300 ms, burst 1: tat = now + 300 ms after the call, and the key lives a second more.
    const gcra = script({ limit: 1, interval: 300, burst: 1, maxWait: 0 });
    expect(await gcra('ttl', '1')).to.equal(0); // admitted: the integer reply 0
    const afterCall = await client.pttl('ttl');
    expect(afterCall).to.be.within(1200, 1302);
    const refusal = await gcra('ttl', '1');
    expect(refusal).to.be.a('string'); // refused: the ms as a string
    expect(Number(refusal)).to.be.lessThan(0);
    expect(await client.pttl('ttl')).to.be.within(1, afterCall);
    // A penalty of 2 s: tat = now + 2000 + T * (burst - 1), past the key's expiry: a new one.
    await gcra('ttl', '2000', PENALIZE);
    expect(await client.pttl('ttl')).to.be.within(2700, 3002);
    // A penalty that ends before tat changes nothing.
    await gcra('ttl', '0', PENALIZE);
    expect(await client.pttl('ttl')).to.be.within(2700, 3002);
  });

  it("should keep a key's expiry while its tat stays a millisecond short of it, and move it once tat passes", async () => {
    // limit 10 per s, burst 10 (T = 100 ms): the first call sets tat = now + 100 and the expiry a second on.
    const gcra = script({ limit: 10, interval: 1000, burst: 10, maxWait: 0 });
    expect(await gcra('keep', '1')).to.equal(0);
    const first = await client.pttl('keep');
    expect(first).to.be.within(1000, 1102);
    // tat = now + 200, then now + 1000: within the expiry, which is kept (the value rewritten in place).
    expect(await gcra('keep', '1')).to.equal(0);
    expect(await gcra('keep', '8')).to.equal(0);
    expect(await client.pttl('keep')).to.be.within(first - 100, first);
    // Kept in place, the key still decides: the burst is spent, so the next call is refused for ~100 ms.
    expect(-Number(await gcra('keep', '1'))).to.be.within(50, 100);
    // A penalty of 2 s: tat = now + 2000 + T * 9 = now + 2900, past the expiry: the key lives to 3900.
    await gcra('keep', '2000', PENALIZE);
    expect(await client.pttl('keep')).to.be.within(3800, 3902);
  });

  it('should read a key written with another limit in its own units (a rolling deploy of a new limit)', async () => {
    // 10 per s: cost 5 holds the key 500 ms ahead. Then 20 per s, burst 1, reads the same 500 ms.
    await script({ limit: 10, interval: 1000, burst: 10, maxWait: 0 })('deploy', '5');
    const answer = await script({ limit: 20, interval: 1000, burst: 1, maxWait: 0 })('deploy', '1');
    expect(-Number(answer)).to.be.within(400, 500);
  });
});
