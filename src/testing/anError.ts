/** Marks matchers, across copies of the package. */
const MATCHER = Symbol.for('rxjs-resilience/testing/matcher');

/** What a matcher says in a diff made without {@link withMatchers}, where it can never match. */
const NOTE = 'anError matches only in a TestScheduler built with withMatchers(yourDeepEqual)';

/**
 * Stands in an expected marble for any error it matches: see {@link anError} and {@link withMatchers}.
 * In a failed comparison the diff shows `expected`, what it was looking for; compared without
 * `withMatchers`, it also shows `note`, which says so.
 */
export interface ErrorMatcher {
  /** What it matches, in words: `HttpStatusError with info { status: 503 }`. */
  readonly expected: string;
  /** Why it cannot match in a comparison made without `withMatchers` (shown in that diff). */
  readonly note: string;
  /** True when `actual` is such an error. */
  matches(actual: unknown): boolean;
}

/** The `info` of an error type, or `never` for errors without one. */
type InfoOf<E> = E extends { readonly info: infer I } ? I : never;

/**
 * A matcher of an error by its guard and some fields of its `info`, compared deeply; the other fields
 * are not looked at. `anError(isHttpStatusError, { status: 503 })` is "an HttpStatusError 503" whatever
 * its URL, body or `retryAfter`. Put it where an expected marble takes its error (or a value) and compare
 * with {@link withMatchers}; or call `matches` yourself.
 *
 * @example
 * new TestScheduler(withMatchers((actual, expected) => { expect(actual).to.deep.equal(expected); })).run(
 *   ({ expectObservable }) => {
 *     expectObservable(call$).toBe('---#', undefined, anError(isHttpStatusError, { status: 503 }));
 *   },
 * );
 */
export function anError<E>(
  guard: (value: unknown) => value is E,
  info: Partial<InfoOf<E>> = {},
): ErrorMatcher {
  const fields = Object.entries(info as object);
  const what = guard.name.replace(/^is/, '') || 'error matching its guard';
  const expected =
    fields.length === 0
      ? `any ${what}`
      : `${what} with info { ${fields.map(([k, v]) => `${k}: ${describe(v)}`).join(', ')} }`;
  const matcher = { [MATCHER]: true, expected, note: NOTE } as unknown as ErrorMatcher;
  // Not enumerable: a diff shows what the matcher expects, not `matches: [Function]`.
  Object.defineProperty(matcher, 'matches', {
    value(actual: unknown): boolean {
      if (!guard(actual)) return false;
      const actualInfo = (actual as { info?: unknown }).info;
      if (fields.length === 0) return true;
      if (typeof actualInfo !== 'object' || actualInfo === null) return false;
      return fields.every(([key, value]) => deepEqual((actualInfo as Record<string, unknown>)[key], value));
    },
  });
  return matcher;
}

/** True when `value` is a matcher made by this kit (from any copy of the package). */
export function isErrorMatcher(value: unknown): value is ErrorMatcher {
  return typeof value === 'object' && value !== null && (value as { [MATCHER]?: unknown })[MATCHER] === true;
}

/** The messages a `TestScheduler` compares: `{ frame, notification: { kind, value, error } }`. */
interface MessageLike {
  readonly frame?: unknown;
  readonly notification?: { readonly kind?: unknown; readonly value?: unknown; readonly error?: unknown };
}

/**
 * Wraps the deep-equal assertion a `TestScheduler` is built with so that matchers ({@link anError}) in
 * expected marbles work: a matcher that matches the actual error (or value) of the same notification is
 * replaced by it before `assertDeepEqual` runs, so your framework's own comparison and diff do the rest; a
 * matcher that does not match is shown as `{ expected }`, what it expected. Free of any test framework.
 *
 * (rxjs-marbles compares errors by `name` and `message` before any assertion sees them, so there, script
 * fakes with {@link fakeHttpStatusError} and expect an equal error instead.)
 *
 * @example
 * const scheduler = new TestScheduler(withMatchers((actual, expected) => { expect(actual).to.deep.equal(expected); }));
 */
export function withMatchers(assertDeepEqual: DeepEqualAssertion): DeepEqualAssertion {
  return (actual, expected) => assertDeepEqual(actual, resolveMatchers(actual, expected));
}

/** The assertion a `TestScheduler` is built with (its own parameter type). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type DeepEqualAssertion = (actual: any, expected: any) => boolean | void;

function resolveMatchers(actual: unknown, expected: unknown): unknown {
  if (!Array.isArray(actual) || !Array.isArray(expected)) return expected;
  return expected.map((want: MessageLike, i) => {
    const notification = want?.notification;
    if (notification === undefined) return want;
    if (!isErrorMatcher(notification.value) && !isErrorMatcher(notification.error)) return want;
    const got = actual[i] as MessageLike | undefined;
    // Compared only at the same frame and kind; elsewhere a matcher is shown as what it expected.
    const comparable =
      got?.notification !== undefined &&
      got.frame === want.frame &&
      got.notification.kind === notification.kind;
    const resolve = (w: unknown, g: unknown) =>
      isErrorMatcher(w) ? (comparable && w.matches(g) ? g : { expected: w.expected }) : w;
    return {
      ...want,
      notification: {
        ...notification,
        value: resolve(notification.value, got?.notification?.value),
        error: resolve(notification.error, got?.notification?.error),
      },
    };
  });
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** Deep equality of plain data: primitives by `Object.is`, arrays and objects key by key. */
function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
