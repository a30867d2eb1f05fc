import { expect } from 'chai';
import { runInNewContext } from 'vm';
import * as c from '../../src/internal/codecs';
import { decodeConfig, describeValue } from '../../src/internal/decodeConfig';
import { InvalidConfigError, isInvalidConfigError } from '../../src/errors/InvalidConfigError';
import { bulkhead } from '../../src/operators/bulkhead';
import { of } from 'rxjs';
import { captureThrow } from '../helpers/captureError';
import { fetchRequest } from '../../src/adapters/fetchRequest';
import { CircuitBreaker } from '../../src/breaker/CircuitBreaker';
import { RetryBudget } from '../../src/budget/RetryBudget';
import { Bulkhead } from '../../src/bulkhead/Bulkhead';
import { injectFaults } from '../../src/chaos/injectFaults';
import { RateLimiter } from '../../src/limiter/RateLimiter';
import { boundedMergeMap } from '../../src/operators/boundedMergeMap';
import { boundedMergeMapNotices } from '../../src/operators/boundedMergeMapNotices';
import { circuitBreaker } from '../../src/operators/circuitBreaker';
import { hedge } from '../../src/operators/hedge';
import { rateLimit } from '../../src/operators/rateLimit';
import { retryBackoff } from '../../src/operators/retryBackoff';
import { timeoutAfter } from '../../src/operators/timeoutAfter';
import { PolicyRegistry } from '../../src/registry/PolicyRegistry';

const Window = c.tagged('a window', 'type', {
  count: c.config('CountWindow', { type: c.oneOf(['count']), size: c.positiveInt }, {}),
  time: c.config(
    'TimeWindow',
    { type: c.oneOf(['time']), duration: c.finitePositiveMs },
    { buckets: c.positiveInt },
  ),
});

const Codec = c.config(
  'ExampleConfig',
  { maxRetries: c.nonNegativeInt },
  {
    initialDelay: c.nonNegativeMs,
    jitter: c.oneOf(['none', 'full', 'equal', 'decorrelated']),
    threshold: c.rate,
    chance: c.probability,
    name: c.nonEmptyString,
    flag: c.boolean,
    isFailure: c.fn,
    scheduler: c.scheduler,
    window: Window,
    limit: c.either(c.positiveInt, c.fn),
  },
);

/** One call through `pool`, its values pushed to `seen`. */
function bulkheadCall(pool: Bulkhead, seen: number[]): void {
  of(1)
    .pipe(bulkhead(pool))
    .subscribe((v) => seen.push(v));
}

function messageOf(config: unknown): string {
  const error = captureThrow(() => decodeConfig('example', Codec, config));
  expect(error).to.be.instanceOf(InvalidConfigError);
  return (error as Error).message;
}

describe('decodeConfig', () => {
  it('should return a plain copy of a valid config, nested configs copied, other values as given', () => {
    const scheduler = { now: () => 0, schedule: () => undefined };
    const config = { maxRetries: 3, jitter: 'full', window: { type: 'time', duration: 100 }, scheduler };
    const decoded = decodeConfig('example', Codec, config);
    expect(decoded).to.deep.equal(config);
    expect(decoded).to.not.equal(config);
    expect(decoded.window).to.not.equal(config.window);
    expect(decoded.scheduler).to.equal(scheduler);
  });

  describe('reading each field once', () => {
    it('should validate and return the first value of a getter that changes', () => {
      let reads = 0;
      const config = {
        get maxRetries() {
          return reads++ === 0 ? 1 : -1;
        },
      };
      expect(decodeConfig('example', Codec, config)).to.deep.equal({ maxRetries: 1 });
      expect(reads).to.equal(1);
    });

    it('should read a nested config once too', () => {
      let reads = 0;
      const window = {
        type: 'count',
        get size() {
          return reads++ === 0 ? 5 : 0;
        },
      };
      const decoded = decodeConfig('example', Codec, { maxRetries: 1, window });
      expect(decoded.window).to.deep.equal({ type: 'count', size: 5 });
      expect(reads).to.equal(1);
    });

    it('should read a Proxy once per field, through its traps', () => {
      const reads: string[] = [];
      const config = new Proxy(
        { maxRetries: 2, jitter: 'none' },
        {
          get: (target, key, receiver) => {
            reads.push(String(key));
            return Reflect.get(target, key, receiver) as unknown;
          },
        },
      );
      expect(decodeConfig('example', Codec, config)).to.deep.equal({ maxRetries: 2, jitter: 'none' });
      expect(reads).to.deep.equal(['maxRetries', 'jitter']);
    });

    it('should accept an object without prototype and an object literal of another realm', () => {
      const bare = Object.assign(Object.create(null) as object, { maxRetries: 1 });
      expect(decodeConfig('example', Codec, bare)).to.deep.equal({ maxRetries: 1 });
      const foreign: unknown = runInNewContext('({ maxRetries: 2, window: { type: "count", size: 3 } })');
      expect(decodeConfig('example', Codec, foreign)).to.deep.equal({
        maxRetries: 2,
        window: { type: 'count', size: 3 },
      });
    });

    class Settings {
      maxRetries = 1;
    }
    const throwing = {
      maxRetries: 1,
      get jitter(): string {
        throw new Error('getter bug');
      },
    };
    const hostile = new Proxy(
      { maxRetries: 1 },
      {
        ownKeys: () => {
          throw new TypeError('trap bug');
        },
      },
    );
    const misbehaving: Array<[string, unknown, string]> = [
      [
        'a Map carrying the fields',
        new Map([['maxRetries', 1]]),
        'config must be a plain object, got {} (Map)',
      ],
      ['a class instance', new Settings(), 'config must be a plain object, got {"maxRetries":1} (Settings)'],
      [
        'a nested Map',
        { maxRetries: 1, window: new Map([['type', 'count']]) },
        '`window` must be a plain object, got {} (Map)',
      ],
      ['a throwing getter', throwing, '`jitter` could not be read: reading it threw Error: getter bug'],
      [
        'a Proxy whose trap throws',
        hostile,
        'config could not be read: reading it threw TypeError: trap bug',
      ],
      [
        'a Proxy scheduler whose trap throws',
        {
          maxRetries: 1,
          scheduler: new Proxy(
            {},
            {
              get: () => {
                throw new Error('scheduler trap');
              },
            },
          ),
        },
        'config could not be read: reading it threw Error: scheduler trap',
      ],
    ];
    for (const [name, config, expected] of misbehaving) {
      it(`should report ${name} as an InvalidConfigError, never a raw error`, () => {
        expect(messageOf(config)).to.equal(`example: invalid config: ${expected}`);
      });
    }

    it('should report a throwing getter along with the other bad fields', () => {
      const config = {
        maxRetries: -1,
        get window(): unknown {
          throw new RangeError('nope');
        },
      };
      expect(messageOf(config)).to.equal(
        'example: invalid config: `window` could not be read: reading it threw RangeError: nope; ' +
          '`maxRetries` must be a non-negative integer, got -1 (number)',
      );
    });
  });

  const cases: Array<[string, unknown, string]> = [
    [
      'a negative integer',
      { maxRetries: -1 },
      '`maxRetries` must be a non-negative integer, got -1 (number)',
    ],
    ['a fraction', { maxRetries: 1.5 }, '`maxRetries` must be a non-negative integer, got 1.5 (number)'],
    ['NaN', { maxRetries: NaN }, '`maxRetries` must be a non-negative integer, got NaN (number)'],
    ['a missing required field', {}, '`maxRetries` must be a non-negative integer, got undefined'],
    [
      'a numeric string',
      { maxRetries: '3' },
      '`maxRetries` must be a non-negative integer, got "3" (string)',
    ],
    [
      'a negative duration',
      { maxRetries: 1, initialDelay: -5 },
      '`initialDelay` must be a non-negative number of milliseconds, got -5 (number)',
    ],
    [
      'a literal outside the union',
      { maxRetries: 1, jitter: 'half' },
      "`jitter` must be 'none' | 'full' | 'equal' | 'decorrelated', got \"half\" (string)",
    ],
    [
      'a zero rate',
      { maxRetries: 1, threshold: 0 },
      '`threshold` must be a number in (0, 1], got 0 (number)',
    ],
    [
      'a probability above 1',
      { maxRetries: 1, chance: 1.2 },
      '`chance` must be a number in [0, 1], got 1.2 (number)',
    ],
    ['an empty name', { maxRetries: 1, name: '' }, '`name` must be a non-empty string, got "" (string)'],
    ['a non-boolean flag', { maxRetries: 1, flag: 1 }, '`flag` must be a boolean, got 1 (number)'],
    [
      'a non-function callback',
      { maxRetries: 1, isFailure: true },
      '`isFailure` must be a function, got true (boolean)',
    ],
    [
      'a scheduler without schedule()',
      { maxRetries: 1, scheduler: { now: () => 0 } },
      '`scheduler` must be a SchedulerLike (an object with now() and schedule()), got {} (object)',
    ],
    [
      'an unknown window type',
      { maxRetries: 1, window: { type: 'sliding', size: 3 } },
      "`window.type` must be 'count' | 'time', got \"sliding\" (string)",
    ],
    [
      'a bad nested field',
      { maxRetries: 1, window: { type: 'count', size: 0 } },
      '`window.size` must be a positive integer, got 0 (number)',
    ],
    [
      'an infinite time window',
      { maxRetries: 1, window: { type: 'time', duration: Infinity } },
      '`window.duration` must be a finite positive number of milliseconds, got Infinity (number)',
    ],
    [
      'a window that is not an object',
      { maxRetries: 1, window: 20 },
      '`window` must be a window, got 20 (number)',
    ],
    [
      'an unknown key',
      { maxRetries: 1, maxRetry: 2 },
      'unknown option `maxRetry`: expected one of the known options (`maxRetries`, `initialDelay`, `jitter`, `threshold`, `chance`, `name`, `flag`, `isFailure`, `scheduler`, `window`, `limit`), got 2 (number)',
    ],
    [
      'an unknown nested key',
      { maxRetries: 1, window: { type: 'count', size: 5, duration: 10 } },
      'unknown option `window.duration`: expected one of the known options (`type`, `size`), got 10 (number)',
    ],
    [
      'an alternative of two codecs',
      { maxRetries: 1, limit: 'many' },
      '`limit` must be a positive integer or a function, got "many" (string)',
    ],
    [
      'a key named like an Object.prototype member',
      { maxRetries: 1, constructor: 1 },
      'unknown option `constructor`: expected one of the known options (`maxRetries`, `initialDelay`, `jitter`, `threshold`, `chance`, `name`, `flag`, `isFailure`, `scheduler`, `window`, `limit`), got 1 (number)',
    ],
    ['a config that is not an object', 5, 'config must be an object, got 5 (number)'],
    ['a null config', null, 'config must be an object, got null'],
    ['an array config', [1], 'config must be an object, got [1] (array)'],
  ];

  for (const [name, config, expected] of cases) {
    it(`should report ${name}`, () => {
      expect(messageOf(config)).to.equal(`example: invalid config: ${expected}`);
    });
  }

  it('should report every bad field at once, in one message', () => {
    expect(messageOf({ maxRetries: -1, jitter: 'x', extra: true })).to.equal(
      'example: invalid config: `maxRetries` must be a non-negative integer, got -1 (number); ' +
        "`jitter` must be 'none' | 'full' | 'equal' | 'decorrelated', got \"x\" (string); " +
        'unknown option `extra`: expected one of the known options (`maxRetries`, `initialDelay`, `jitter`, `threshold`, `chance`, `name`, `flag`, `isFailure`, `scheduler`, `window`, `limit`), got true (boolean)',
    );
  });

  it('should expose the issues as data on a TypeError with its tag', () => {
    const error = captureThrow(() => decodeConfig('example', Codec, { maxRetries: -1 }));
    expect(error).to.be.instanceOf(TypeError);
    expect(isInvalidConfigError(error)).to.equal(true);
    const { info, name, _tag } = error as InvalidConfigError;
    expect([name, _tag]).to.deep.equal(['InvalidConfigError', 'InvalidConfigError']);
    expect(info.operator).to.equal('example');
    expect(info.issues).to.have.length(1);
    expect(info.issues[0]).to.include({
      path: 'maxRetries',
      expected: 'a non-negative integer',
      received: -1,
    });
  });

  describe('describeValue', () => {
    it('should describe values with their type', () => {
      expect(describeValue(-0)).to.equal('-0 (number)');
      expect(describeValue(10n)).to.equal('10n (bigint)');
      expect(describeValue(function named() {})).to.equal('[Function named] (function)');
      expect(describeValue(Symbol('s'))).to.equal('Symbol(s) (symbol)');
      expect(describeValue({ a: 'x'.repeat(100) })).to.have.length.below(80);
      const cyclic: Record<string, unknown> = {};
      cyclic['self'] = cyclic;
      expect(describeValue(cyclic)).to.equal('[object Object] (object)');
    });
  });

  describe('every operator and policy', () => {
    const of$ = (): never[] => [];
    /** Each one, built from a config, with a valid config that sets every field it reads. */
    const users: Array<[string, (config: never) => unknown, Record<string, unknown>]> = [
      ['Bulkhead', (c) => new Bulkhead(c), { maxConcurrent: 2, maxQueued: 1, queueTimeout: 5, name: 'b' }],
      [
        'CircuitBreaker',
        (c) => new CircuitBreaker(c),
        { name: 'cb', window: { type: 'count', size: 4 }, minimumCalls: 2, openDuration: 10 },
      ],
      [
        'CircuitBreaker.fromJSON',
        (c) => CircuitBreaker.fromJSON(new CircuitBreaker().toJSON(), c),
        { minimumCalls: 3 },
      ],
      ['circuitBreaker', (c) => circuitBreaker(new CircuitBreaker(), c), { successOn: 'firstValue' }],
      ['PolicyRegistry', (c) => new PolicyRegistry(c), { create: () => 1, idleTimeout: 10, maxKeys: 5 }],
      ['timeoutAfter', (c) => timeoutAfter(c), { first: 5, each: 3, total: 20, meta: 'm' }],
      ['retryBackoff', (c) => retryBackoff(c), { maxRetries: 2, initialDelay: 5, jitter: 'decorrelated' }],
      [
        'injectFaults',
        (c) => injectFaults(c),
        { when: 0.5, fault: 'latency', latency: 3, jitter: 1, per: 'value', seed: 7, name: 'f' },
      ],
      [
        'boundedMergeMap',
        (c) => boundedMergeMap(of$, c),
        { capacity: 2, concurrency: 2, overflow: 'dropOldest' },
      ],
      [
        'boundedMergeMapNotices',
        (c) => boundedMergeMapNotices(of$, c),
        { capacity: 1, overflow: 'dropIncoming' },
      ],
      ['fetchRequest', (c) => fetchRequest('http://127.0.0.1:9/', undefined, c), { read: 'json' }],
      [
        'RateLimiter',
        (c) => new RateLimiter(c),
        { limit: 5, interval: 100, burst: 2, maxWait: 10, name: 'r' },
      ],
      ['rateLimit', (c) => rateLimit(new RateLimiter({ limit: 5, interval: 100 }), c), { key: 'k', cost: 2 }],
      ['RetryBudget', (c) => new RetryBudget(c), { ttl: 1000, minRetriesPerSecond: 1, percentCanRetry: 0.5 }],
      ['hedge', (c) => hedge(c), { delay: 5, maxAttempts: 3 }],
    ];

    /** `config` behind a Proxy that counts the reads of each field. */
    function counted(config: Record<string, unknown>): [object, Map<string, number>] {
      const reads = new Map<string, number>();
      const proxy = new Proxy(config, {
        get: (target, key, receiver) => {
          if (typeof key === 'string') reads.set(key, (reads.get(key) ?? 0) + 1);
          return Reflect.get(target, key, receiver) as unknown;
        },
      });
      return [proxy, reads];
    }

    for (const [operator, make, config] of users) {
      it(`should read each field of its config exactly once (${operator})`, () => {
        const [proxy, reads] = counted(config);
        make(proxy as never);
        expect(Object.fromEntries(reads)).to.deep.equal(
          Object.fromEntries(Object.keys(config).map((key) => [key, 1])),
        );
      });

      it(`should refuse a Map carrying its config, and report a throwing getter (${operator})`, () => {
        const map = captureThrow(() => make(new Map(Object.entries(config)) as never));
        expect(isInvalidConfigError(map), String(map)).to.equal(true);
        expect((map as Error).message).to.equal(
          `${operator.replace('.fromJSON', '')}: invalid config: config must be a plain object, got {} (Map)`,
        );
        const key = Object.keys(config)[0]!;
        const throwing = Object.defineProperty({ ...config }, key, {
          enumerable: true,
          get: () => {
            throw new Error('getter bug');
          },
        });
        const thrown = captureThrow(() => make(throwing as never));
        expect(isInvalidConfigError(thrown), String(thrown)).to.equal(true);
        expect((thrown as Error).message).to.contain(
          `\`${key}\` could not be read: reading it threw Error: getter bug`,
        );
      });
    }

    it('should build a Bulkhead from the first value of a getter, not a later NaN', () => {
      let reads = 0;
      const pool = new Bulkhead({
        get maxConcurrent() {
          return reads++ === 0 ? 1 : NaN;
        },
      });
      expect(pool.maxConcurrent).to.equal(1);
      const seen: number[] = [];
      bulkheadCall(pool, seen);
      expect(seen).to.deep.equal([1]);
    });
  });
});
