import type { OperatorFunction } from 'rxjs';
import type { Either } from 'fp-ts/lib/Either';
import { operate } from '../internal/operate';
import type { CallFailure } from './CallFailure';
import { ObservableCall } from './ObservableCall';
import type { ResiliencePipeline } from './ResiliencePipeline';
import { readArguments, type ResilientEitherOptions } from './resilient';

/**
 * As {@link resilient}, with the outcome as data: each value of the call is a `right(value)`, and a
 * failure is one `left(CallFailure)` followed by completion. It never errors, so a failed call never ends
 * a stream of requests: `requests$.pipe(mergeMap((r) => call(r).pipe(resilientEither(p))))` goes on.
 *
 * ```text
 * pipeline: { retry: { maxRetries: 1, initialDelay: 1, jitter: 'none' } }
 * source   a#                    each attempt: a value, then an error
 * result   a-a(l|)               a = right('a'); l = left({ error, attempts: 2, elapsed: 3 })
 * ```
 *
 * @example
 * ```ts
 * requests$.pipe(
 *   mergeMap((id) => fetchRequest(`${api}/users/${id}`).pipe(resilientEither(users))),
 *   tap((result) => (isRight(result) ? render(result.right) : report(result.left))),
 * );
 * ```
 * @throws {InvalidConfigError} when `pipeline` is not a `ResiliencePipeline` or `options` is invalid.
 */
export function resilientEither<T>(
  pipeline: ResiliencePipeline,
  options?: ResilientEitherOptions,
): OperatorFunction<T, Either<CallFailure, T>> {
  const { key, meta } = readArguments('resilientEither', pipeline, options, false);
  return operate<T, Either<CallFailure, T>>((source, destination) => {
    const call = new ObservableCall<T>(pipeline, source, destination, key, meta, null);
    destination.add(call);
    if (!destination.closed) call.start();
  });
}
