import type { ObservableInput, OperatorFunction } from 'rxjs';
import {
  boundedMergeSettings,
  subscribeBoundedMerge,
  type BoundedMergeHooks,
} from '../internal/boundedMerge';
import { operate } from '../internal/operate';

/** What a full buffer does with one more value. */
export type BoundedMergeMapOverflow = 'error' | 'dropIncoming' | 'dropOldest';

/** Config of {@link boundedMergeMap} and `boundedMergeMapNotices`. */
export interface BoundedMergeMapConfig<T> {
  /**
   * How many source values may wait for a free inner slot, in values. `0` allowed: then a value that
   * cannot start at once overflows. Memory never holds more waiting values than this.
   */
  readonly capacity: number;
  /** How many inner subscriptions run at once (`Infinity` allowed: then nothing ever waits). @default 1 */
  readonly concurrency?: number | undefined;
  /**
   * What a full buffer does with an arriving value: `'error'` errors the result with
   * `BufferOverflowError` at once; `'dropIncoming'` drops the arriving value; `'dropOldest'` drops the
   * oldest waiting value and queues the arriving one (with `capacity: 0` it behaves as `'dropIncoming'`).
   * @default 'error'
   */
  readonly overflow?: BoundedMergeMapOverflow | undefined;
  /**
   * Called synchronously with every dropped value, exactly once each (never for `'error'`): release its
   * resources, count it, log it. A throw from it errors the result.
   * @default undefined
   */
  readonly onOverflow?: ((dropped: T) => void) | undefined;
}

/**
 * `mergeMap` with a bounded buffer: maps each source value to an inner observable and runs at most
 * `concurrency` of them at once, like `mergeMap(project, concurrency)`, but never lets more than
 * `capacity` values wait. When the buffer is full, `overflow` decides: error with `BufferOverflowError`,
 * drop the arriving value, or drop the oldest waiting one; every dropped value goes to `onOverflow`.
 *
 * `index` counts every source value, dropped ones included. When an inner completes, the oldest waiting
 * value starts at that instant. The result completes once the source has completed, the buffer is empty
 * and every inner has completed; an inner error, a source error, or a throw from `project` or
 * `onOverflow` errors it, as in `mergeMap`. Waiting values are released on teardown. Each operation is
 * O(1), and a long run of synchronous inners never grows the stack.
 *
 * RxJS is push-only: a full buffer cannot slow the source down, it can only drop or fail. To be told
 * what became of each value instead, use `boundedMergeMapNotices`.
 *
 * ```text
 * source:  -a-b-c-d-e-|
 * inner:   ----x|            (each inner emits its value after 4 frames, then completes)
 * boundedMergeMap(inner, { capacity: 1, overflow: 'dropOldest' })
 * result:  -----a----c----e|  (c drops b, which waited; e drops d)
 * ```
 *
 * @example
 * ```ts
 * import { boundedMergeMap } from 'rxjs-resilience';
 * import { from } from 'rxjs';
 *
 * declare const clicks$: import('rxjs').Observable<string>;
 * declare function save(id: string): Promise<void>;
 *
 * clicks$
 *   .pipe(
 *     boundedMergeMap((id) => from(save(id)), {
 *       capacity: 100,
 *       concurrency: 4,
 *       overflow: 'dropOldest',
 *       onOverflow: (id) => console.warn(`dropped ${id}`),
 *     }),
 *   )
 *   .subscribe();
 * ```
 *
 * @param project Maps a source value and its index to the inner observable (or promise, array, ...).
 * @param config Capacity, concurrency and overflow policy.
 * @throws {InvalidConfigError} when `project` is not a function or `config` is invalid (all issues named).
 */
export function boundedMergeMap<T, R>(
  project: (value: T, index: number) => ObservableInput<R>,
  config: BoundedMergeMapConfig<T>,
): OperatorFunction<T, R> {
  const settings = boundedMergeSettings<T>('boundedMergeMap', project, config);
  return operate<T, R>((source, destination) => {
    const hooks: BoundedMergeHooks<T, R> = {
      accepted: noop,
      started: noop,
      result: (result) => destination.next(result),
      finished: noop,
      dropped: noop,
    };
    return subscribeBoundedMerge(source, destination, project, settings, hooks);
  });
}

function noop(): void {}
