import * as t from 'io-ts';
import type { RetryBudget } from '../budget/RetryBudget';
import { isRetryBudget } from './brand';

/**
 * io-ts codecs shared by every config. Each codec's `name` is the phrase the config-error reporter prints
 * after "must be", so names are written for people: `a non-negative integer`, not `NonNegativeInt`.
 * @internal
 */

function refine<A>(
  base: t.Type<A, A, unknown>,
  predicate: (a: A) => boolean,
  name: string,
): t.Type<A, A, unknown> {
  return new t.Type<A, A, unknown>(
    name,
    (u): u is A => base.is(u) && predicate(u),
    (u, c) => (base.is(u) && predicate(u) ? t.success(u) : t.failure(u, c)),
    t.identity,
  );
}

const number = t.number;
const isNumber = (n: number): boolean => !Number.isNaN(n);

export const positiveInt = /* @__PURE__ */ refine(
  number,
  (n) => Number.isSafeInteger(n) && n > 0,
  'a positive integer',
);
export const nonNegativeInt = /* @__PURE__ */ refine(
  number,
  (n) => Number.isSafeInteger(n) && n >= 0,
  'a non-negative integer',
);
/** `Infinity` allowed: it is how "no limit" is spelled in every duration. */
export const nonNegativeMs = /* @__PURE__ */ refine(
  number,
  (n) => isNumber(n) && n >= 0,
  'a non-negative number of milliseconds',
);
export const positiveMs = /* @__PURE__ */ refine(
  number,
  (n) => isNumber(n) && n > 0,
  'a positive number of milliseconds',
);
export const finiteNonNegativeMs = /* @__PURE__ */ refine(
  number,
  (n) => Number.isFinite(n) && n >= 0,
  'a finite non-negative number of milliseconds',
);
export const finitePositiveMs = /* @__PURE__ */ refine(
  number,
  (n) => Number.isFinite(n) && n > 0,
  'a finite positive number of milliseconds',
);
export const nonNegativeIntOrInfinity = /* @__PURE__ */ refine(
  number,
  (n) => n === Infinity || (Number.isSafeInteger(n) && n >= 0),
  'a non-negative integer or Infinity',
);
export const positiveIntOrInfinity = /* @__PURE__ */ refine(
  number,
  (n) => n === Infinity || (Number.isSafeInteger(n) && n > 0),
  'a positive integer or Infinity',
);
/** A rate in the half-open interval (0, 1]. */
export const rate = /* @__PURE__ */ refine(number, (n) => n > 0 && n <= 1, 'a number in (0, 1]');
/** A probability in the closed interval [0, 1]. */
export const probability = /* @__PURE__ */ refine(number, (n) => n >= 0 && n <= 1, 'a number in [0, 1]');
export const finiteNumber = /* @__PURE__ */ refine(number, Number.isFinite, 'a finite number');
export const atLeastOne = /* @__PURE__ */ refine(
  number,
  (n) => Number.isFinite(n) && n >= 1,
  'a finite number >= 1',
);

export const string = /* @__PURE__ */ new t.Type<string, string, unknown>(
  'a string',
  t.string.is,
  t.string.validate,
  t.identity,
);
export const nonEmptyString = /* @__PURE__ */ refine(string, (s) => s.length > 0, 'a non-empty string');
export const boolean = /* @__PURE__ */ new t.Type<boolean, boolean, unknown>(
  'a boolean',
  t.boolean.is,
  t.boolean.validate,
  t.identity,
);

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const fn = /* @__PURE__ */ new t.Type<Function, Function, unknown>(
  'a function',
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  (u): u is Function => typeof u === 'function',
  (u, c) => (typeof u === 'function' ? t.success(u) : t.failure(u, c)),
  t.identity,
);

/** Anything with `now()` and `schedule()`: rxjs schedulers, `TestScheduler`, or a user's own. */
const isScheduler = (u: unknown): u is object =>
  typeof u === 'object' &&
  u !== null &&
  typeof (u as { now?: unknown }).now === 'function' &&
  typeof (u as { schedule?: unknown }).schedule === 'function';
export const scheduler = /* @__PURE__ */ new t.Type<object, object, unknown>(
  'a SchedulerLike (an object with now() and schedule())',
  isScheduler,
  (u, c) => (isScheduler(u) ? t.success(u) : t.failure(u, c)),
  t.identity,
);

/** One of the given string literals, named `'a' | 'b'`. */
export function oneOf<L extends string>(literals: ReadonlyArray<L>): t.Type<L, L, unknown> {
  const set = new Set<string>(literals);
  return new t.Type<L, L, unknown>(
    literals.map((l) => `'${l}'`).join(' | '),
    (u): u is L => typeof u === 'string' && set.has(u),
    (u, c) => (typeof u === 'string' && set.has(u) ? t.success(u as L) : t.failure(u, c)),
    t.identity,
  );
}

/** Either of two codecs, named `a or b`, reported as one issue. */
export function either<A, B>(
  a: t.Type<A, A, unknown>,
  b: t.Type<B, B, unknown>,
): t.Type<A | B, A | B, unknown> {
  return new t.Type<A | B, A | B, unknown>(
    `${a.name} or ${b.name}`,
    (u): u is A | B => a.is(u) || b.is(u),
    (u, c) => (a.is(u) || b.is(u) ? t.success(u) : t.failure(u, c)),
    t.identity,
  );
}

/**
 * A config object: required and optional fields. Unknown keys are reported by `decodeConfig`
 * (io-ts's `exact` would drop them silently).
 */
export function config<R extends t.Props, O extends t.Props>(
  name: string,
  required: R,
  optional: O,
): t.ExactC<t.IntersectionC<[t.TypeC<R>, t.PartialC<O>]>> {
  return t.exact(t.intersection([t.type(required), t.partial(optional)]), name);
}

/**
 * A union of config objects told apart by the string field `key` (`window.type`): the tag is checked
 * first, then the member it names, so errors point at the right fields.
 */
export function tagged<K extends string, M extends Record<string, t.Mixed>>(
  name: string,
  key: K,
  members: M,
): t.Type<t.TypeOf<M[keyof M]>, t.TypeOf<M[keyof M]>, unknown> & { readonly key: K; readonly members: M } {
  const tag = oneOf(Object.keys(members));
  const type = new t.Type<t.TypeOf<M[keyof M]>, t.TypeOf<M[keyof M]>, unknown>(
    name,
    (u): u is t.TypeOf<M[keyof M]> => Object.values(members).some((m) => m.is(u)),
    (u, c) => {
      if (typeof u !== 'object' || u === null) return t.failure(u, c);
      const value = (u as Record<string, unknown>)[key];
      const member = typeof value === 'string' && Object.hasOwn(members, value) ? members[value] : undefined;
      if (member === undefined) {
        return t.failure(value, [...c, { key, type: tag, actual: value }]);
      }
      // Validate as the member itself, so the reporter sees the member's shape at this path.
      const last = c[c.length - 1]!;
      return member.validate(u, [...c.slice(0, -1), { ...last, type: member }]);
    },
    t.identity,
  );
  return Object.assign(type, { key, members });
}

/**
 * A `RetryBudget` option (`retryBackoff`, `hedge`, a pipeline's `retry`), from either build of the package.
 * Here rather than beside the class, so that an operator taking the option does not bring the class into
 * a bundle that never makes a budget.
 */
export const retryBudget = /* @__PURE__ */ new t.Type<RetryBudget, RetryBudget, unknown>(
  'a RetryBudget (new RetryBudget({ ... }))',
  isRetryBudget,
  (u, context) => (isRetryBudget(u) ? t.success(u) : t.failure(u, context)),
  t.identity,
);
