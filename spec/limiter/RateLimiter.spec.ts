import { expect } from 'chai';
import { asyncScheduler, of } from 'rxjs';
import { InvalidConfigError, isInvalidConfigError } from '../../src/errors/InvalidConfigError';
import { MemoryRateLimitStore } from '../../src/limiter/MemoryRateLimitStore';
import { RateLimiter } from '../../src/limiter/RateLimiter';
import { rateLimit } from '../../src/operators/rateLimit';
import { ManualClock } from '../breaker/manualClock';
import { captureThrow } from '../helpers/captureError';

describe('RateLimiter', () => {
  describe('config', () => {
    it('should apply the defaults of DESIGN 2.9', () => {
      const limiter = new RateLimiter({ limit: 10, interval: 1000 });
      expect({
        name: limiter.name,
        limit: limiter.limit,
        interval: limiter.interval,
        burst: limiter.burst,
        maxWait: limiter.maxWait,
      }).to.deep.equal({ name: 'rateLimiter', limit: 10, interval: 1000, burst: 10, maxWait: 0 });
      expect(limiter.scheduler).to.equal(asyncScheduler);
      expect(limiter.store).to.be.instanceOf(MemoryRateLimitStore);
      expect(limiter.rule).to.deep.equal({
        name: 'rateLimiter',
        limit: 10,
        interval: 1000,
        burst: 10,
        maxWait: 0,
      });
      expect(Object.isFrozen(limiter.rule)).to.equal(true);
    });

    it('should throw InvalidConfigError naming every bad field, expected and received', () => {
      const error = captureThrow(
        () =>
          new RateLimiter({
            limit: 0.5,
            interval: Infinity,
            burst: 0,
            maxWait: -1,
            name: 3,
            scheduler: {},
            store: { acquire: () => 0 },
            rate: 5,
          } as never),
      );
      expect(isInvalidConfigError(error)).to.equal(true);
      expect((error as InvalidConfigError).message).to.equal(
        'RateLimiter: invalid config: ' +
          '`limit` must be a positive integer, got 0.5 (number); ' +
          '`interval` must be a finite positive number of milliseconds, got Infinity (number); ' +
          '`burst` must be a positive integer, got 0 (number); ' +
          '`maxWait` must be a finite non-negative number of milliseconds, got -1 (number); ' +
          '`name` must be a string, got 3 (number); ' +
          '`scheduler` must be a SchedulerLike (an object with now() and schedule()), got {} (object); ' +
          '`store` must be a RateLimitStore (an object with acquire() and penalize()), got {} (object); ' +
          'unknown option `rate`: expected one of the known options (`limit`, `interval`, `burst`, `maxWait`, `name`, `scheduler`, `store`), got 5 (number)',
      );
    });

    it('should refuse a missing config, limit or interval, and an unbounded maxWait', () => {
      const messages = [undefined, {}, { limit: 1, interval: 1, maxWait: Infinity }].map(
        (config) => (captureThrow(() => new RateLimiter(config as never)) as Error).message,
      );
      expect(messages).to.deep.equal([
        'RateLimiter: invalid config: config must be an object, got undefined',
        'RateLimiter: invalid config: `limit` must be a positive integer, got undefined; `interval` must be a finite positive number of milliseconds, got undefined',
        'RateLimiter: invalid config: `maxWait` must be a finite non-negative number of milliseconds, got Infinity (number)',
      ]);
      expect(captureThrow(() => new RateLimiter({} as never))).to.be.instanceOf(InvalidConfigError);
    });
  });

  describe('memory bounded by the active keys', () => {
    it('should hold about the active keys while a million distinct keys pass through in virtual time', function () {
      this.timeout(20_000);
      // One permit per 10 ms per key, burst 1: a key is quiet 10 ms after its call. 100 new keys each ms,
      // so about 1 000 keys are active at any time; one hot key calls every ms throughout.
      const clock = new ManualClock();
      const limiter = new RateLimiter({ limit: 1, interval: 10, burst: 1, maxWait: 0, scheduler: clock });
      const active = 100 * 10;
      const perMs = 100;
      let admitted = 0;
      let refused = 0;
      let most = 0;
      const count = { next: () => admitted++, error: () => refused++ };
      for (let i = 0; i < 1_000_000; i++) {
        clock.time = Math.floor(i / perMs);
        of(i)
          .pipe(rateLimit(limiter, { key: `user-${i}` }))
          .subscribe(count);
        if (i % perMs === 0)
          of(i)
            .pipe(rateLimit(limiter, { key: 'hot' }))
            .subscribe(count);
        const keys = limiter.metrics().keys!;
        if (keys > most) most = keys;
      }
      expect(admitted, 'every new key admitted, the hot key once per 10 ms').to.equal(1_000_000 + 1_000);
      expect(refused).to.equal(9_000);
      expect(most, 'most keys held at once').to.be.at.most(2 * active + 2);
      expect(clock.pending, 'no timer kept').to.equal(0);
      // Quiet for 10 ms: the next call drops every key but its own.
      clock.time += 10;
      of(0)
        .pipe(rateLimit(limiter, { key: 'late' }))
        .subscribe(count);
      expect(limiter.metrics().keys).to.equal(1);
    });
  });
});
