import { Observable } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import * as t from 'io-ts';
import * as c from '../internal/codecs';
import { configIssue, describeValue, readConfig } from '../internal/decodeConfig';
import { InvalidConfigError } from '../errors/InvalidConfigError';

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
  | {
      /** A cold observable of `marbles`, as `TestScheduler.run`'s `cold` makes. */
      cold<T>(marbles: string, values?: { [marble: string]: T }, error?: unknown): ColdLike<T>;
    }
  | Pick<TestScheduler, 'createColdObservable'>;

/** Options of {@link fakeDependency}. */
export interface FakeDependencyOptions<T> {
  /** Values of the marbles' letters, as in `cold(marbles, values)`. @default each letter stands for itself */
  readonly values?: { readonly [marble: string]: T } | undefined;
  /** The error of `#` in the marbles. @default 'error' (as in `cold`) */
  readonly error?: unknown | undefined;
  /**
   * Errors by marble letter: a call whose marble reaches one of these letters errors with its value at
   * that frame, so each call can fail its own way (`['-5', '-n', '-a|']` with
   * `{ 5: fakeHttpStatusError(503), n: fakeNetworkError('ECONNRESET') }`: a 503, then a reset, then a
   * value). A letter is either a value or an error, never both.
   */
  readonly errors?: { readonly [marble: string]: unknown } | undefined;
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
    errors: new t.Type(
      'an object of errors by marble letter',
      isObject,
      (u, ctx) => (isObject(u) ? t.success(u) : t.failure(u, ctx)),
      t.identity,
    ),
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
 * Each call can fail its own way: give the error of each letter in `errors`.
 * ```ts
 * const api = fakeDependency(helpers, ['-5', '-n', '-a|'], {
 *   errors: { 5: fakeHttpStatusError(503), n: fakeNetworkError('ECONNRESET') },
 * });
 * ```
 *
 * @param helpers Where cold observables come from: `TestScheduler.run`'s helpers, an rxjs-marbles `m`,
 * or a `TestScheduler`.
 * @param marbles One cold marble per call (no `^`, no `!`); at least one.
 * @throws {TypeError} when `helpers` is none of those (`helpers.cold` included), when `marbles` is empty
 * or holds a non-string; {@link InvalidConfigError} (a `TypeError`) when `options` is invalid, each bad
 * or unknown field named; the test scheduler's own error for a malformed marble.
 */
export function fakeDependency<T = string>(
  helpers: ColdFactory,
  marbles: string | ReadonlyArray<string>,
  options: FakeDependencyOptions<T> = {},
): FakeDependency<T> {
  checkHelpers(helpers);
  const script = typeof marbles === 'string' ? [marbles] : marbles;
  if (!Array.isArray(script) || script.length === 0 || script.some((m) => typeof m !== 'string')) {
    throw new TypeError('fakeDependency: `marbles` must be a marble string or a non-empty array of them');
  }
  const { values, error, errors, exhausted = 'repeat' } = decode(options);
  // A letter of `errors` emits a marker holding its error, which the call turns into an error.
  const markers: { [marble: string]: ErrorMarker } = {};
  for (const [letter, err] of Object.entries(errors ?? {})) markers[letter] = new ErrorMarker(err);
  const letters: { [marble: string]: T | ErrorMarker } | undefined =
    errors === undefined
      ? values
      : { ...(values ?? (lettersOf(script) as { [marble: string]: T })), ...markers };
  const cold = (marble: string, err: unknown = error): ColdLike<T | ErrorMarker> =>
    'cold' in helpers
      ? helpers.cold<T | ErrorMarker>(marble, letters, err)
      : (helpers.createColdObservable<T | ErrorMarker>(
          marble,
          letters as { [marble: string]: T | ErrorMarker },
          err,
        ) as ColdLike<T | ErrorMarker>);
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
    const inner = answer.subscribe({
      next: (value) =>
        value instanceof ErrorMarker ? subscriber.error(value.error) : subscriber.next(value as T),
      error: (err: unknown) => subscriber.error(err),
      complete: () => subscriber.complete(),
    });
    // The cold observable logged this subscription last; it replaces that entry when the call ends.
    const index = answer.subscriptions.length - 1;
    const slot = subscriptions.push(answer.subscriptions[index]!) - 1;
    return () => {
      inner.unsubscribe();
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

/** What a letter of `errors` emits inside the cold observable: the call errors with `error`. */
class ErrorMarker {
  constructor(readonly error: unknown) {}
}

/** Each letter of the marbles standing for itself, as `cold` does without `values`. */
function lettersOf(script: ReadonlyArray<string>): { [marble: string]: string } {
  const letters: { [marble: string]: string } = {};
  for (const marble of script) for (const char of marble) letters[char] = char;
  return letters;
}

/** `helpers` must make cold observables: say what was expected, and what a common slip looks like. */
function checkHelpers(helpers: unknown): void {
  const ok =
    typeof helpers === 'object' &&
    helpers !== null &&
    (typeof (helpers as { cold?: unknown }).cold === 'function' ||
      typeof (helpers as { createColdObservable?: unknown }).createColdObservable === 'function');
  if (ok) return;
  throw new TypeError(
    'fakeDependency: `helpers` must be the helpers of TestScheduler.run (an object with `cold`), an ' +
      'rxjs-marbles context or a TestScheduler, got ' +
      (typeof helpers === 'function'
        ? 'a function: pass `helpers` itself, not `helpers.cold`'
        : describeValue(helpers)),
  );
}

/**
 * Reads the options once (see `readConfig`), decodes what was read, then checks that no letter is both a
 * value and an error. Returns what was read and validated.
 */
function decode<T>(input: FakeDependencyOptions<T>): FakeDependencyOptions<T> {
  const { value: options, issues } = readConfig<FakeDependencyOptions<T>>(OptionsCodec, input);
  const { values, errors } = isObject(options) ? options : {};
  if (issues.length === 0 && isObject(values) && isObject(errors)) {
    const both = Object.keys(errors).filter((letter) => Object.hasOwn(values, letter));
    if (both.length > 0) {
      issues.push(
        configIssue(
          'errors',
          `letters that are not also in \`values\` (${both.map((l) => JSON.stringify(l)).join(', ')})`,
          errors,
        ),
      );
    }
  }
  if (issues.length > 0) throw new InvalidConfigError({ operator: 'fakeDependency', issues });
  return options;
}
