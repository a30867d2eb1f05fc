import { Observable } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import * as t from 'io-ts';
import * as c from '../internal/codecs';
import { decodeConfig } from '../internal/decodeConfig';

/** One subscription of a test observable, in frames; the shape `expectSubscriptions` reads. */
export interface SubscriptionLogLike {
  readonly subscribedFrame: number;
  readonly unsubscribedFrame: number;
}

/** A cold test observable: what `cold(...)` returns in `TestScheduler.run`, rxjs-marbles or jest-marbles. */
export type ColdLike<T> = Observable<T> & { readonly subscriptions: ReadonlyArray<SubscriptionLogLike> };

/**
 * What `fakeDependency` needs to build cold observables: the `helpers` of `TestScheduler.run`, an
 * rxjs-marbles context (`m`), or a `TestScheduler` itself.
 */
export type ColdFactory =
  | { cold<T>(marbles: string, values?: { [marble: string]: T }, error?: unknown): ColdLike<T> }
  | Pick<TestScheduler, 'createColdObservable'>;

/** Options of {@link fakeDependency}. */
export interface FakeDependencyOptions<T> {
  /** Values of the marbles' letters, as in `cold(marbles, values)`. @default each letter stands for itself */
  readonly values?: { readonly [marble: string]: T } | undefined;
  /** The error of `#` in the marbles. @default 'error' (as in `cold`) */
  readonly error?: unknown | undefined;
  /**
   * What a call past the last marble does: `'repeat'` answers like the last marble; `'error'` errors at
   * once with an `Error` saying which call had no marble (and is still logged in `subscriptions`).
   * @default 'repeat'
   */
  readonly exhausted?: 'repeat' | 'error' | undefined;
}

const isObject = (u: unknown): u is object => typeof u === 'object' && u !== null && !Array.isArray(u);
const OptionsCodec = c.config(
  'FakeDependencyOptions',
  {},
  {
    values: new t.Type(
      'an object of marble values',
      isObject,
      (u, ctx) => (isObject(u) ? t.success(u) : t.failure(u, ctx)),
      t.identity,
    ),
    error: t.unknown,
    exhausted: c.oneOf(['repeat', 'error']),
  },
);

/** A scripted dependency: see {@link fakeDependency}. */
export interface FakeDependency<T> {
  /**
   * The dependency's answer: every subscription is one call, answered by the next marble. It carries
   * `subscriptions` too, so rxjs-marbles' `m.expect(fake.call$).toHaveSubscriptions(...)` works on it.
   */
  readonly call$: ColdLike<T>;
  /**
   * One entry per call, in call order, kept up to date during the test: pass it to
   * `expectSubscriptions(...)`. (Mutable in type only so that `expectSubscriptions` accepts it.)
   */
  readonly subscriptions: SubscriptionLogLike[];
  /** Calls made so far. */
  readonly calls: number;
}

/**
 * A scripted fake dependency for marble tests of your own pipelines: call `n` (the `n`-th subscription to
 * `call$`) behaves as `marbles[n]`, a cold marble relative to that call's subscription, and every call's
 * subscription is logged so you can assert when your policies called the dependency and when they gave up.
 *
 * ```
 * marbles        ['--#', '-----a|']            (a failing call, then a slow success)
 * retry(1)       -------a|                     call 1 subscribed at frame 2, answers 5 frames later
 * subscriptions  ['^-!', '--^-----!']
 * ```
 *
 * @example
 * testScheduler.run((helpers) => {
 *   const api = fakeDependency(helpers, ['--#', '-----a|'], { values: { a: 42 } });
 *   helpers.expectObservable(api.call$.pipe(retry(1))).toBe('-------a|', { a: 42 });
 *   helpers.expectSubscriptions(api.subscriptions).toBe(['^-!', '--^-----!']);
 * });
 *
 * @param helpers Where cold observables come from: `TestScheduler.run`'s helpers, an rxjs-marbles `m`,
 * or a `TestScheduler`.
 * @param marbles One cold marble per call (no `^`, no `!`); at least one.
 * @throws {TypeError} when `marbles` is empty or holds a non-string; {@link InvalidConfigError} (a
 * `TypeError`) when `options` is invalid, each bad or unknown field named; the test scheduler's own error
 * for a malformed marble.
 */
export function fakeDependency<T = string>(
  helpers: ColdFactory,
  marbles: string | ReadonlyArray<string>,
  options: FakeDependencyOptions<T> = {},
): FakeDependency<T> {
  const script = typeof marbles === 'string' ? [marbles] : marbles;
  if (!Array.isArray(script) || script.length === 0 || script.some((m) => typeof m !== 'string')) {
    throw new TypeError('fakeDependency: `marbles` must be a marble string or a non-empty array of them');
  }
  decodeConfig('fakeDependency', OptionsCodec, options);
  const { values, error, exhausted = 'repeat' } = options;
  const cold = (marble: string, err: unknown = error): ColdLike<T> =>
    'cold' in helpers
      ? helpers.cold<T>(marble, values as { [marble: string]: T } | undefined, err)
      : (helpers.createColdObservable<T>(marble, values as { [marble: string]: T }, err) as ColdLike<T>);
  // Built up front, so a malformed marble fails where the fake is made.
  const answers = script.map((marble) => cold(marble));
  const subscriptions: SubscriptionLogLike[] = [];
  let calls = 0;

  const call$ = new Observable<T>((subscriber) => {
    const call = calls++;
    const answer =
      call < answers.length || exhausted === 'repeat'
        ? answers[Math.min(call, answers.length - 1)]!
        : cold(
            '#',
            new Error(
              `fakeDependency: call ${call} has no marble (${answers.length} scripted, exhausted: 'error')`,
            ),
          );
    answer.subscribe(subscriber);
    // The cold observable logged this subscription last; it replaces that entry when the call ends.
    const index = answer.subscriptions.length - 1;
    const slot = subscriptions.push(answer.subscriptions[index]!) - 1;
    return () => {
      subscriptions[slot] = answer.subscriptions[index]!;
    };
  });

  return {
    call$: Object.assign(call$, { subscriptions }),
    subscriptions,
    get calls() {
      return calls;
    },
  };
}
