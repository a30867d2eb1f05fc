import { expect } from 'chai';
import { asyncScheduler, of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { InvalidConfigError, isInvalidConfigError } from '../../../src/errors/InvalidConfigError';
import { RateLimitedError } from '../../../src/errors/RateLimitedError';
import { RateLimiter, type RateLimiterConfig } from '../../../src/limiter/RateLimiter';
import { rateLimit } from '../../../src/operators/rateLimit';
import { GCRA_SCRIPT } from '../../../src/stores/redis/gcraScript';
import {
  redisRateLimitStore,
  type RedisRateLimitStoreConfig,
} from '../../../src/stores/redis/redisRateLimitStore';
import { captureThrow } from '../../helpers/captureError';
import { countingScheduler } from '../../helpers/countingScheduler';
import { marbles } from '../../helpers/marbles';
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
    it('should apply the defaults and define its script once on the client', () => {
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
      redisRateLimitStore({ client: client as never });
      expect(client.defined).to.have.length(1);
      expect(client.defined[0]).to.deep.include({ numberOfKeys: 1, lua: GCRA_SCRIPT });
      expect(client.defined[0]!.name).to.match(/^rxjsResilienceGcra[0-9a-f]{8}$/);
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
