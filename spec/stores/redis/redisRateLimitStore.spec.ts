import { expect } from 'chai';
import { asyncScheduler, defer, of, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { InvalidConfigError, isInvalidConfigError } from '../../../src/errors/InvalidConfigError';
import { RateLimitedError } from '../../../src/errors/RateLimitedError';
import { RateLimiter, type RateLimiterConfig } from '../../../src/limiter/RateLimiter';
import { rateLimit } from '../../../src/operators/rateLimit';
import { gcraScript } from '../../../src/stores/redis/gcraScript';
import {
  redisRateLimitStore,
  type RedisRateLimitStore,
  type RedisRateLimitStoreConfig,
} from '../../../src/stores/redis/redisRateLimitStore';
import Redis from 'ioredis';
import { captureThrow } from '../../helpers/captureError';
import { countingScheduler } from '../../helpers/countingScheduler';
import { marbles } from '../../helpers/marbles';
import { connectedClient } from '../../helpers/redisClient';
import { startRedisServer, type RedisServer } from '../../helpers/redisServer';
import { StandInRedis, type Behaviour } from './standInRedis';

const refused = (retryAfter: number, key = '', limiter = 'rateLimiter'): RateLimitedError =>
  new RateLimitedError({ limiter, key, retryAfter });

/** A limiter on a Redis store over a stand-in client, both on `scheduler`. */
function setUp(
  scheduler: TestScheduler,
  behaviour: Behaviour,
  store: Partial<RedisRateLimitStoreConfig> = {},
  limiter: Partial<RateLimiterConfig> = {},
) {
  const client = new StandInRedis(scheduler, behaviour);
  const redis = redisRateLimitStore({
    client: client as never,
    timeout: 3,
    probeInterval: 10,
    scheduler,
    ...store,
  });
  return {
    client,
    store: redis,
    limiter: new RateLimiter({ limit: 1, interval: 4, burst: 1, scheduler, store: redis, ...limiter }),
  };
}

describe('redisRateLimitStore', () => {
  describe('config', () => {
    it("should apply the defaults, and define its rule's script on the client once, at its first decision", () => {
      const client = new StandInRedis(asyncScheduler);
      const store = redisRateLimitStore({ client: client as never });
      expect({
        prefix: store.prefix,
        whenUnavailable: store.whenUnavailable,
        timeout: store.timeout,
        probeInterval: store.probeInterval,
        replicas: store.replicas,
      }).to.deep.equal({
        prefix: 'rate-limit:',
        whenUnavailable: 'local',
        timeout: 100,
        probeInterval: 1000,
        replicas: 1,
      });
      expect(store.scheduler).to.equal(asyncScheduler);
      expect(client.defined).to.have.length(0);
      const rule = { limit: 5, interval: 1000 };
      const first = new RateLimiter({ name: 'a', ...rule, store });
      first.store.acquire('k', 1, first.rule, 0);
      first.store.acquire('k', 1, first.rule, 0);
      // Another limiter with the same numbers runs the same script: defined once.
      const second = new RateLimiter({
        name: 'b',
        ...rule,
        store: redisRateLimitStore({ client: client as never }),
      });
      second.store.acquire('k', 1, second.rule, 0);
      expect(client.defined).to.have.length(1);
      expect(client.defined[0]).to.deep.include({ numberOfKeys: 1, lua: gcraScript(first.rule) });
      expect(client.defined[0]!.name).to.match(/^rxjsResilienceGcra[0-9a-f]{8}$/);
      const third = new RateLimiter({
        ...rule,
        burst: 2,
        store: redisRateLimitStore({ client: client as never }),
      });
      third.store.acquire('k', 1, third.rule, 0);
      expect(client.defined).to.have.length(2);
    });

    it('should throw InvalidConfigError naming every bad field, expected and received', () => {
      const error = captureThrow(() =>
        redisRateLimitStore({
          client: {},
          prefix: 'rl:{x}',
          whenUnavailable: 'open',
          timeout: 0,
          probeInterval: Infinity,
          replicas: 1.5,
          scheduler: {},
          ttl: 5,
        } as never),
      );
      expect(isInvalidConfigError(error)).to.equal(true);
      expect((error as InvalidConfigError).message).to.equal(
        'redisRateLimitStore: invalid config: ' +
          '`client` must be an ioredis client (new Redis(...) or new Redis.Cluster(...)), got {} (object); ' +
          '`prefix` must be a string without { or }, got "rl:{x}" (string); ' +
          "`whenUnavailable` must be 'local' | 'allow' | 'refuse', got \"open\" (string); " +
          '`timeout` must be a finite positive number of milliseconds, got 0 (number); ' +
          '`probeInterval` must be a finite positive number of milliseconds, got Infinity (number); ' +
          '`replicas` must be a positive integer, got 1.5 (number); ' +
          '`scheduler` must be a SchedulerLike (an object with now() and schedule()), got {} (object); ' +
          'unknown option `ttl`: expected one of the known options (`client`, `prefix`, `whenUnavailable`, `timeout`, `probeInterval`, `replicas`, `scheduler`), got 5 (number)',
      );
      expect(captureThrow(() => redisRateLimitStore(undefined as never))).to.be.instanceOf(
        InvalidConfigError,
      );
    });

    it('should serve one limiter: a second one fails its calls, naming both', () => {
      const store = redisRateLimitStore({ client: new StandInRedis(asyncScheduler) as never });
      const first = new RateLimiter({ name: 'first', limit: 1, interval: 1000, store });
      const second = new RateLimiter({ name: 'second', limit: 1, interval: 1000, store });
      const message =
        'redisRateLimitStore: this store already serves the limiter "first"; give the limiter "second" its own store';
      store.client.status = 'end' as never; // nothing is sent
      first.penalize(0);
      const errors: unknown[] = [];
      of(1)
        .pipe(rateLimit(second))
        .subscribe({ error: (e: unknown) => errors.push(e) });
      expect(errors.map((e) => (e as Error).message)).to.deep.equal([message]);
      expect(() => second.penalize(0)).to.throw(message);
    });
  });

  describe('when Redis is away (virtual time, a stand-in client)', () => {
    it(
      'should decide locally when Redis does not answer within timeout, then ask again after probeInterval',
      marbles((m) => {
        // Commands sent before frame 13 are never answered; later ones after 1 frame.
        const { client, store, limiter } = setUp(m.scheduler, (now) => (now < 13 ? 'hang' : 1));
        // prettier-ignore
        const source = m.cold('(x|)');
        const call = source.pipe(rateLimit(limiter));
        // limit 1 per 4 ms, burst 1; timeout 3, probeInterval 10.
        m.expect(call, '^').toBeObservable('---(x|)'); // Redis silent: local at 3
        m.expect(call, '-----^').toBeObservable('-----#', undefined, refused(2)); // local at once
        m.expect(call, '-------------^').toBeObservable('--------------(x|)'); // the probe: Redis
        m.expect(call, '---------------^').toBeObservable('----------------#', undefined, refused(2));
        m.flush();
        expect(client.sent.map((s) => s.at)).to.deep.equal([0, 13, 15]);
        expect(store.metrics()).to.deep.equal({
          decisions: 4,
          redis: 2,
          fallback: 2,
          abandoned: 0,
          pending: 0,
          timeouts: 1,
          errors: 0,
          available: true,
          lastError: 'Redis did not answer within 3 ms',
          localKeys: 1,
        });
      }),
    );

    it(
      "should refuse while Redis is away with whenUnavailable: 'refuse', retryAfter the time to the next probe",
      marbles((m) => {
        const { limiter } = setUp(m.scheduler, () => 'hang', { whenUnavailable: 'refuse' });
        // prettier-ignore
        const call = m.cold('(x|)').pipe(rateLimit(limiter));
        m.expect(call, '^').toBeObservable('---#', undefined, refused(10));
        m.expect(call, '-----^').toBeObservable('-----#', undefined, refused(8));
      }),
    );

    it(
      "should admit every call while Redis is away with whenUnavailable: 'allow'",
      marbles((m) => {
        const { limiter } = setUp(m.scheduler, () => 'hang', { whenUnavailable: 'allow' });
        // prettier-ignore
        const call = m.cold('(x|)').pipe(rateLimit(limiter));
        m.expect(call, '^').toBeObservable('---(x|)');
        m.expect(call, '-----^').toBeObservable('-----(x|)');
        m.expect(call, '-----^').toBeObservable('-----(x|)');
      }),
    );

    it(
      'should decide locally with limit / replicas (and burst / replicas) while Redis is away',
      marbles((m) => {
        // 8 per 8 ms with a burst of 4, shared by 4 replicas: locally 8 per 32 ms (T = 4), burst 1.
        const { limiter } = setUp(
          m.scheduler,
          () => 'hang',
          { replicas: 4 },
          { limit: 8, interval: 8, burst: 4 },
        );
        // prettier-ignore
        const call = m.cold('(x|)').pipe(rateLimit(limiter));
        m.expect(call, '^').toBeObservable('---(x|)');
        m.expect(call, '----^').toBeObservable('----#', undefined, refused(3));
        m.expect(call, '-------^').toBeObservable('-------(x|)');
      }),
    );

    it(
      'should send nothing while the client is not ready (no offline queue), and connect a lazy client',
      marbles((m) => {
        const { client, store, limiter } = setUp(m.scheduler, () => 1, {}, { limit: 1, interval: 1 });
        client.status = 'reconnecting';
        // prettier-ignore
        const call = m.cold('(x|)').pipe(rateLimit(limiter));
        m.expect(call, '^').toBeObservable('(x|)');
        m.expect(call, '-----^').toBeObservable('-----(x|)');
        m.scheduler.schedule(() => (client.status = 'wait'), 10);
        m.expect(call, '----------^').toBeObservable('----------(x|)');
        m.scheduler.schedule(() => (client.status = 'ready'), 20);
        m.expect(call, '--------------------^').toBeObservable('---------------------(x|)');
        m.flush();
        expect(client.sent.map((s) => s.at)).to.deep.equal([20]);
        expect(client.connects).to.equal(1);
        expect(store.metrics()).to.include({ redis: 1, fallback: 3, errors: 2, timeouts: 0 });
      }),
    );

    it(
      'should decide locally at once when Redis answers with an error',
      marbles((m) => {
        const { store, limiter } = setUp(m.scheduler, () => ({
          after: 1,
          error: new Error('OOM command not allowed'),
        }));
        // prettier-ignore
        const call = m.cold('(x|)').pipe(rateLimit(limiter));
        m.expect(call, '^').toBeObservable('-(x|)');
        m.flush();
        expect(store.metrics()).to.include({
          redis: 0,
          fallback: 1,
          errors: 1,
          available: false,
          lastError: 'OOM command not allowed',
        });
      }),
    );

    it(
      'should ignore a late answer, and count a caller who left before the answer as abandoned',
      marbles((m) => {
        const { store, limiter } = setUp(m.scheduler, () => 5, { timeout: 3 });
        // prettier-ignore
        const call = m.cold('(x|)').pipe(rateLimit(limiter));
        m.expect(call, '^').toBeObservable('---(x|)'); // timed out at 3, Redis's answer at 5 ignored
        m.expect(call, '^-!').toBeObservable('--');
        m.flush();
        expect(store.metrics()).to.include({
          decisions: 2,
          redis: 0,
          fallback: 1,
          abandoned: 1,
          pending: 0,
          timeouts: 1,
        });
        expect(limiter.metrics()).to.include({ calls: 2, admitted: 1, abandoned: 1, deciding: 0 });
      }),
    );

    it(
      'should answer anyone who subscribes to an answer: each subscription is one decision, its value then complete',
      marbles((m) => {
        // limit 1 per 4 ms, burst 1; Redis answers in 2 frames, deciding when it answers.
        const { client, store, limiter } = setUp(m.scheduler, () => 2);
        const answer = store.acquire('k', 1, limiter.rule, 0) as Observable<number>;
        expect(client.sent).to.have.length(0); // asked when subscribed
        // prettier-ignore
        m.expect(answer, '^').toBeObservable('--(a|)', { a: 0 }); // admitted at 2: tat 6
        // prettier-ignore
        m.expect(answer, '---^').toBeObservable('-----(r|)', { r: -1 }); // at 5: refused, retryAfter 1
        m.flush();
        expect(client.sent.map((c) => c.at)).to.deep.equal([0, 3]);
        expect(store.metrics()).to.include({ decisions: 2, redis: 2, pending: 0 });
      }),
    );

    it(
      'should take an answer that came with the deadline but is read after the timer (a stalled process)',
      marbles((m) => {
        // The answer lands at frame 3, queued behind the timeout timer of frame 3, as replies sit unread
        // in a socket while a stalled process runs its due timers first.
        const { store, limiter } = setUp(m.scheduler, () => 3, { timeout: 3 });
        // prettier-ignore
        const call = m.cold('(x|)').pipe(rateLimit(limiter));
        m.expect(call, '^').toBeObservable('---(x|)');
        m.flush();
        expect(store.metrics()).to.include({ redis: 1, fallback: 0, timeouts: 0, available: true });
      }),
    );

    it('should time out every pending decision with one timer, re-armed for the oldest', () => {
      const scheduler = new TestScheduler(() => undefined);
      scheduler.run(() => {
        const counting = countingScheduler(scheduler);
        const client = new StandInRedis(scheduler, () => 1);
        const store = redisRateLimitStore({ client: client as never, timeout: 10, scheduler: counting });
        const limiter = new RateLimiter({ limit: 1000, interval: 1, scheduler, store });
        let done = 0;
        for (let frame = 0; frame < 60; frame++) {
          scheduler.schedule(() => {
            scheduler
              .createColdObservable('(x|)')
              .pipe(rateLimit(limiter))
              .subscribe({ complete: () => done++ });
          }, frame);
        }
        scheduler.flush();
        expect(done).to.equal(60);
        expect(store.metrics()).to.include({ redis: 60, timeouts: 0, pending: 0 });
        // Each re-arm is for the oldest pending decision, sent at most 1 frame (Redis's latency) ago: one
        // timer per timeout - 1 frames at most, not one per decision.
        expect(counting.calls.length).to.be.at.most(Math.floor(60 / (10 - 1)) + 1);
      });
    });
  });
});

describe('redisRateLimitStore against redis-server', () => {
  let server: RedisServer;
  let admin: Redis;
  /** A cluster of one node that holds every slot, started now: a node turns writable 2 s after it starts. */
  let clusterNode: RedisServer;

  before(async () => {
    [server, clusterNode] = await Promise.all([startRedisServer(), startRedisServer({ cluster: true })]);
    admin = await connectedClient(server);
    const node = await connectedClient(clusterNode);
    await node.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
    node.disconnect();
  });

  after(async () => {
    admin.disconnect();
    await Promise.all([server.stop(), clusterNode.stop()]);
  });

  /**
   * A refusal's `retryAfter`, up to the next 50 ms: it shrinks by the time the server's clock moved between
   * the first decision and this one, which a loaded machine can stretch past 5 ms (seen: 195 for 200), never
   * grows, and 50 ms still tells the scripted answers apart.
   */
  const refusedAfter = (retryAfter: number): string => `refused ${Math.ceil(retryAfter / 50) * 50}`;

  /** What each call of `calls` (subscribed at once, in order) became: admitted, delayed or refused. */
  async function decide(limiter: RateLimiter, calls: ReadonlyArray<{ key?: string; cost?: number }>) {
    return Promise.all(
      calls.map(
        (config) =>
          new Promise<string>((resolve) => {
            const since = performance.now();
            of(1)
              .pipe(rateLimit(limiter, config))
              .subscribe({
                // The one delayed call below waits T = 100 ms; an admitted one answers in a round trip, which a
                // loaded CI machine can stretch well past 20 ms: 60 ms tells them apart with room on both sides.
                complete: () => resolve(performance.now() - since < 60 ? 'admitted' : 'delayed'),
                error: (e: unknown) => resolve(refusedAfter((e as RateLimitedError).info.retryAfter)),
              });
          }),
      ),
    );
  }

  it('should admit, delay and refuse as the memory store does, for a scripted sequence', async () => {
    const client = await connectedClient(server);
    const config = { name: 'scripted', limit: 2, interval: 200, maxWait: 120 };
    const store = redisRateLimitStore({ client });
    const shared = new RateLimiter({ ...config, store });
    const calls = [{}, {}, {}, {}, { key: 'other', cost: 2 }, { key: 'other', cost: 2 }];
    const got = await decide(shared, calls);
    // The memory store in virtual time, every call at frame 0: T = 100 ms, burst 2.
    const memory = new RateLimiter({ ...config, scheduler: new TestScheduler(() => undefined) });
    const expected = calls.map((call) => {
      const answer = memory.store.acquire(call.key ?? '', call.cost ?? 1, memory.rule, 0) as number;
      return answer === 0 ? 'admitted' : answer > 0 ? 'delayed' : refusedAfter(-answer);
    });
    expect(expected).to.deep.equal([
      'admitted',
      'admitted',
      'delayed',
      'refused 200',
      'admitted',
      'refused 200',
    ]);
    expect(got).to.deep.equal(expected);
    expect(store.metrics()).to.include({ decisions: 6, redis: 6, fallback: 0, errors: 0, timeouts: 0 });
    client.disconnect();
  });

  it('should share penalize with every process of the limiter', async () => {
    const [a, b] = [await connectedClient(server), await connectedClient(server)];
    const config = { name: 'penalized', limit: 100, interval: 1000 };
    const first = new RateLimiter({ ...config, store: redisRateLimitStore({ client: a }) });
    const second = new RateLimiter({ ...config, store: redisRateLimitStore({ client: b }) });
    first.penalize(300, 'k');
    await admin.ping(); // the penalty was sent before; a round trip later it has run
    await a.ping();
    const [answer] = await decide(second, [{ key: 'k' }]);
    expect(answer).to.match(/^refused (2\d\d|300)$/);
    expect(await decide(second, [{ key: 'j' }])).to.deep.equal(['admitted']);
    a.disconnect();
    b.disconnect();
  });

  it('should never let the keys of two limiters collide, and tag each Redis key with its limiter key', async () => {
    const client = await connectedClient(server);
    // Pairs that one naive `name:key` would map to the same Redis key.
    const pairs = [
      ['a:b', 'c'],
      ['a', 'b:c'],
      ['x{', 'y}'],
      ['x', '{y}'],
      ['p%3A', 'q'],
      ['p:', 'q'],
    ] as const;
    for (const [name, key] of pairs) {
      const limiter = new RateLimiter({
        name,
        limit: 1,
        interval: 60_000,
        store: redisRateLimitStore({ client, prefix: 'collide:' }),
      });
      expect(await decide(limiter, [{ key }]), `${name} / ${key}`).to.deep.equal(['admitted']);
    }
    const keys = (await admin.keys('collide:*')).sort();
    expect(keys).to.deep.equal(
      [
        'collide:a%3Ab:{c}',
        'collide:a:{b:c}',
        'collide:x%7B:{y}}',
        'collide:x:{{y}}',
        'collide:p%253A:{q}',
        'collide:p%3A:{q}',
      ].sort(),
    );
    client.disconnect();
  });

  it('should recover by itself from SCRIPT FLUSH mid-run (NOSCRIPT, then EVAL, at most once per NOSCRIPT)', async () => {
    const client = await connectedClient(server);
    const store = redisRateLimitStore({ client });
    const limiter = new RateLimiter({ name: 'flushed', limit: 1_000_000, interval: 1000, store });
    const before = await decide(
      limiter,
      Array.from({ length: 20 }, () => ({})),
    );
    const stats = async () => {
      const info = await admin.info('all');
      const count = (pattern: RegExp) => Number(pattern.exec(info)?.[1] ?? 0);
      return {
        eval: count(/^cmdstat_eval:calls=(\d+)/m),
        evalsha: count(/^cmdstat_evalsha:calls=(\d+)/m),
        noscript: count(/^errorstat_NOSCRIPT:count=(\d+)/m),
      };
    };
    const beforeFlush = await stats();
    await admin.script('FLUSH');
    const after = await decide(
      limiter,
      Array.from({ length: 20 }, () => ({})),
    );
    const afterFlush = await stats();
    expect([...before, ...after].every((d) => d === 'admitted')).to.equal(true);
    expect(store.metrics()).to.include({ redis: 40, fallback: 0, errors: 0, timeouts: 0 });
    const noscripts = afterFlush.noscript - beforeFlush.noscript;
    expect(noscripts).to.be.at.least(1);
    // ioredis resends a decision answered NOSCRIPT as EVAL, and the next ones as EVALSHA once the script
    // is back; replies read in two batches make it send EVAL twice (seen in a full npm test), never more
    // than once per NOSCRIPT.
    expect(afterFlush.eval - beforeFlush.eval).to.be.within(1, noscripts);
    client.disconnect();
  });

  describe('when Redis goes away mid-run', () => {
    /** How long the server stays away: no decision may wait that long (none waits for it to return). */
    const AWAY = 600;

    it('should fall back within the timeout when Redis is killed, lose no call, admit none twice, and go back to Redis after it restarts', async function () {
      this.timeout(20_000);
      // ioredis's defaults otherwise: an offline queue, 20 retries per request, unfulfilled commands
      // resent after a reconnect. The store must not wait on any of them.
      const client = await connectedClient(server, { retryStrategy: () => 20 });
      const store = redisRateLimitStore({ client, timeout: 50, probeInterval: 100 });
      const limiter = new RateLimiter({ name: 'killed', limit: 1_000_000, interval: 1000, store });
      const run = traffic(limiter);
      await waitFor(() => store.metrics().redis >= 50, 'decisions on Redis');
      await server.kill();
      await sleep(AWAY);
      const away = store.metrics();
      await server.start();
      await waitFor(() => store.metrics().redis >= away.redis + 50, 'decisions back on Redis');
      run.stop();
      await waitFor(() => run.records.every((r) => r.settled > 0), 'every call settled');

      expectEveryCallOnce(run.records, AWAY);
      expect(away.fallback).to.be.greaterThan(0);
      expect(away.timeouts + away.errors).to.be.greaterThan(0);
      expect(away.redis).to.be.lessThan(store.metrics().redis);
      expectBalanced(store, limiter, run.records.length);
      // The decisions made after the restart are in the new server.
      const fresh = await connectedClient(server);
      expect(await fresh.info('commandstats')).to.match(/^cmdstat_eval(sha)?:calls=[1-9]/m);
      fresh.disconnect();
      client.disconnect();
    });

    it('should fall back after the timeout when Redis freezes (SIGSTOP), and go back when it thaws', async function () {
      this.timeout(20_000);
      const client = await connectedClient(server);
      const store = redisRateLimitStore({ client, timeout: 50, probeInterval: 100 });
      const limiter = new RateLimiter({ name: 'frozen', limit: 1_000_000, interval: 1000, store });
      const run = traffic(limiter);
      await waitFor(() => store.metrics().redis >= 50, 'decisions on Redis');
      server.pause();
      try {
        await sleep(AWAY);
      } finally {
        server.resume();
      }
      const away = store.metrics();
      await waitFor(() => store.metrics().redis >= away.redis + 50, 'decisions back on Redis');
      run.stop();
      await waitFor(() => run.records.every((r) => r.settled > 0), 'every call settled');

      expectEveryCallOnce(run.records, AWAY);
      // The connection stayed open: only the timeout could tell.
      expect(away.timeouts).to.be.greaterThan(0);
      expect(away.errors).to.equal(0);
      expect(away.fallback).to.be.greaterThan(0);
      expectBalanced(store, limiter, run.records.length);
      client.disconnect();
    });
  });

  describe('on a Redis Cluster (one node holding every slot)', () => {
    it('should decide through an ioredis Cluster client, each Redis key in the slot of its limiter key', async function () {
      this.timeout(10_000);
      const node = await connectedClient(clusterNode);
      await waitFor(
        async () => /cluster_state:ok/.test(String(await node.call('CLUSTER', 'INFO'))),
        'cluster_state:ok',
      );
      node.disconnect();
      const cluster = new Redis.Cluster([{ host: clusterNode.host, port: clusterNode.port }]);
      cluster.on('error', () => undefined);
      await new Promise((resolve) => cluster.once('ready', resolve));
      const store = redisRateLimitStore({ client: cluster });
      const limiter = new RateLimiter({ name: 'api', limit: 1, interval: 60_000, store });
      const outcomes: string[] = [];
      for (const key of ['user-1', 'user-2', 'user-1']) {
        await new Promise<void>((resolve) =>
          of(1)
            .pipe(rateLimit(limiter, { key }))
            .subscribe({
              complete: () => resolve(void outcomes.push('admitted')),
              error: () => resolve(void outcomes.push('refused')),
            }),
        );
      }
      expect(outcomes).to.deep.equal(['admitted', 'admitted', 'refused']);
      expect(store.metrics()).to.include({ redis: 3, fallback: 0, errors: 0 });
      for (const key of ['user-1', 'user-2']) {
        expect(await cluster.call('CLUSTER', 'KEYSLOT', `rate-limit:api:{${key}}`)).to.equal(
          await cluster.call('CLUSTER', 'KEYSLOT', key),
        );
      }
      cluster.disconnect();
    });
  });
});

/** One call of {@link traffic}: how often its source was subscribed, how often it settled, and how. */
interface CallRecord {
  subscribed: number;
  settled: number;
  outcome: 'admitted' | 'refused' | 'failed' | null;
  /** ms from the subscribe to the decision (the source subscribed, or the error). */
  decidedIn: number;
}

/** Three calls through `limiter` every 3 ms until `stop()`, each recorded. */
function traffic(limiter: RateLimiter): { records: CallRecord[]; stop(): void } {
  const records: CallRecord[] = [];
  const call = (): void => {
    const record: CallRecord = { subscribed: 0, settled: 0, outcome: null, decidedIn: NaN };
    records.push(record);
    const since = performance.now();
    defer(() => {
      record.subscribed++;
      record.decidedIn = performance.now() - since;
      return of(1);
    })
      .pipe(rateLimit(limiter))
      .subscribe({
        complete: () => {
          record.settled++;
          record.outcome = 'admitted';
        },
        error: (e: unknown) => {
          record.settled++;
          record.outcome = e instanceof RateLimitedError ? 'refused' : 'failed';
          record.decidedIn = performance.now() - since;
        },
      });
  };
  const timer = setInterval(() => {
    call();
    call();
    call();
  }, 3);
  return { records, stop: () => clearInterval(timer) };
}

/** Every call settled once, was admitted (the limit is far away), subscribed its source once, and no
 * decision waited `away` ms: none waited for Redis to come back. */
function expectEveryCallOnce(records: ReadonlyArray<CallRecord>, away: number): void {
  expect(records.length).to.be.greaterThan(100);
  expect(records.filter((r) => r.settled !== 1)).to.deep.equal([]);
  expect(records.filter((r) => r.outcome !== 'admitted' || r.subscribed !== 1)).to.deep.equal([]);
  const slowest = Math.max(...records.map((r) => r.decidedIn));
  expect(slowest, `the slowest decision took ${slowest.toFixed(1)} ms`).to.be.lessThan(away);
}

/** The store's and the limiter's books balance, nothing pending. */
function expectBalanced(store: RedisRateLimitStore, limiter: RateLimiter, calls: number): void {
  const m = store.metrics();
  expect(m.pending).to.equal(0);
  expect(m.decisions).to.equal(calls);
  expect(m.redis + m.fallback + m.abandoned).to.equal(m.decisions);
  expect(limiter.metrics()).to.include({ calls, admitted: calls, deciding: 0, failed: 0 });
}

/** Polls `condition` every 5 ms; throws naming `what` after 10 s. */
async function waitFor(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
