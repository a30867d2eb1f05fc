import * as t from 'io-ts';
import * as c from '../internal/codecs';
import type { OutcomeWindowSnapshot } from './OutcomeWindow';

/**
 * A breaker as plain, versioned JSON data, from `CircuitBreaker.toJSON()`, restored with
 * `CircuitBreaker.fromJSON(snapshot, config)`. Times are scheduler times (epoch milliseconds with the
 * default `asyncScheduler`, virtual time in tests). A halfOpen breaker is saved as open, with `openUntil`
 * the instant it went halfOpen, so a restored breaker probes again at once.
 */
export type CircuitBreakerSnapshot =
  | {
      readonly version: 1;
      readonly name: string;
      readonly state: 'closed' | 'isolated';
      /** Calls refused since the breaker was created or last reset. */
      readonly refusals: number;
      readonly window: OutcomeWindowSnapshot;
    }
  | {
      readonly version: 1;
      readonly name: string;
      readonly state: 'open';
      readonly refusals: number;
      readonly window: OutcomeWindowSnapshot;
      /** Times the breaker opened since it last closed (>= 1). */
      readonly opening: number;
      /** Scheduler time it opened at. */
      readonly openedAt: number;
      /** Scheduler time it goes halfOpen at; `null` for never (`openDuration: Infinity`). */
      readonly openUntil: number | null;
    };

const outcome = new t.Type<number, number, unknown>(
  'an outcome code (0, 1, 2 or 3)',
  (u): u is number => u === 0 || u === 1 || u === 2 || u === 3,
  (u, ctx) => (u === 0 || u === 1 || u === 2 || u === 3 ? t.success(u) : t.failure(u, ctx)),
  t.identity,
);

function arrayOf<A>(item: t.Type<A, A, unknown>, name: string): t.Type<A[], A[], unknown> {
  const array = t.array(item);
  return new t.Type<A[], A[], unknown>(name, array.is, (u, ctx) => array.validate(u, ctx), t.identity);
}

const bucket = c.config(
  'a bucket',
  {
    epoch: c.finiteNumber,
    calls: c.nonNegativeInt,
    failures: c.nonNegativeInt,
    slowCalls: c.nonNegativeInt,
  },
  {},
);

const window = c.tagged('a window snapshot', 'type', {
  count: c.config(
    'a count window snapshot',
    { type: c.oneOf(['count']), outcomes: arrayOf(outcome, 'an array of outcome codes') },
    {},
  ),
  time: c.config(
    'a time window snapshot',
    {
      type: c.oneOf(['time']),
      bucketDuration: c.finitePositiveMs,
      buckets: arrayOf(bucket, 'an array of buckets'),
    },
    {},
  ),
});

const version = new t.Type<1, 1, unknown>(
  'the snapshot version 1',
  (u): u is 1 => u === 1,
  (u, ctx) => (u === 1 ? t.success(1) : t.failure(u, ctx)),
  t.identity,
);

const nullCodec = new t.Type<null, null, unknown>('null', t.null.is, t.null.validate, t.identity);

const common = {
  version,
  name: c.nonEmptyString,
  refusals: c.nonNegativeInt,
  window,
};

/**
 * Decodes a snapshot (see `decodeConfig`): every bad field is reported with its path.
 * @internal
 */
export const CircuitBreakerSnapshotCodec = c.tagged('a circuit breaker snapshot', 'state', {
  closed: c.config('a closed snapshot', { ...common, state: c.oneOf(['closed']) }, {}),
  isolated: c.config('an isolated snapshot', { ...common, state: c.oneOf(['isolated']) }, {}),
  open: c.config(
    'an open snapshot',
    {
      ...common,
      state: c.oneOf(['open']),
      opening: c.positiveInt,
      openedAt: c.finiteNumber,
      openUntil: c.either(c.finiteNumber, nullCodec),
    },
    {},
  ),
});
