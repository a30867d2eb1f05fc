import { expect } from 'chai';
import * as c from '../../src/internal/codecs';
import { decodeConfig, describeValue } from '../../src/internal/decodeConfig';
import { InvalidConfigError, isInvalidConfigError } from '../../src/errors/InvalidConfigError';
import { captureThrow } from '../helpers/captureError';

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

function messageOf(config: unknown): string {
  const error = captureThrow(() => decodeConfig('example', Codec, config));
  expect(error).to.be.instanceOf(InvalidConfigError);
  return (error as Error).message;
}

describe('decodeConfig', () => {
  it('should return a valid config as given', () => {
    const config = { maxRetries: 3, jitter: 'full', window: { type: 'time', duration: 100 } };
    expect(decodeConfig('example', Codec, config)).to.equal(config);
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
});
