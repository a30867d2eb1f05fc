import type { Either, Left, Right } from 'fp-ts/lib/Either';

/*
 * fp-ts's `left`, `right` and `isLeft`, for the values this package makes and reads. The types still come
 * from fp-ts, and the values are the same plain objects, but importing them at run time from
 * `fp-ts/lib/Either` (CommonJS, the one path Node's ES module loader can load) would put all of fp-ts's
 * Either and its type classes (about 29 KB minified) into every browser bundle, since a bundler cannot
 * tree-shake CommonJS; io-ts imports only the few functions it needs, from fp-ts's ES modules.
 */

/** A failure: what fp-ts's `left(e)` returns. */
export function left<E, A = never>(e: E): Either<E, A> {
  return { _tag: 'Left', left: e } satisfies Left<E>;
}

/** A success: what fp-ts's `right(a)` returns. */
export function right<A, E = never>(a: A): Either<E, A> {
  return { _tag: 'Right', right: a } satisfies Right<A>;
}

/** Whether `either` is a failure (fp-ts's `isLeft`). */
export function isLeft<E, A>(either: Either<E, A>): either is Left<E> {
  return either._tag === 'Left';
}
