import type { Unsubscribable } from 'rxjs';

/**
 * The key of {@link DirectAnswer}'s method. `Symbol.for`, so the ES module and CommonJS builds (and the
 * `rxjs-resilience/redis` entry) share it, as the brands do (see brand.ts). @internal
 */
export const AWAIT_ANSWER: unique symbol = Symbol.for('rxjs-resilience/awaitAnswer@1') as never;

/** Who gets a {@link DirectAnswer}: `next(answer)`, then `complete()`. @internal */
export interface AnswerSink<T> {
  next(value: T): void;
  complete(): void;
}

/**
 * An asynchronous answer of a store that a limiter can await without an rxjs subscription (one fewer
 * subscriber, subscription and teardown per call): `[AWAIT_ANSWER](sink)` asks once, as one subscription
 * would, and returns the handle whose `unsubscribe()` abandons the question. For everyone else it is
 * the Observable it also is. @internal
 */
export interface DirectAnswer<T> {
  [AWAIT_ANSWER](sink: AnswerSink<T>): Unsubscribable;
}

/**
 * Whether `answer` can be awaited directly. Safe on anything a store may answer: an untyped store's
 * `null` or `undefined` is not one (the limiter then fails the call as for any answer it cannot read).
 * @internal
 */
export function isDirectAnswer<T>(answer: unknown): answer is DirectAnswer<T> {
  return typeof (answer as Partial<DirectAnswer<T>> | null | undefined)?.[AWAIT_ANSWER] === 'function';
}
