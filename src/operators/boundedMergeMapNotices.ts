import type { ObservableInput, OperatorFunction } from 'rxjs';
import { boundedMergeSettings, subscribeBoundedMerge } from '../internal/boundedMerge';
import { operate } from '../internal/operate';
import type { BoundedMergeMapConfig } from './boundedMergeMap';
import type { BoundedMergeMapNotice } from './BoundedMergeMapNotice';

/**
 * `boundedMergeMap` that tells the caller what became of its work instead of answering in line: for
 * each source value it emits notices (see {@link BoundedMergeMapNotice}) as they happen: `accepted`
 * (with its place in the queue), `started`, one `result` per inner value, then `finished` (with the
 * result) or `failed` (with the error), or `dropped` (with the reason) when the overflow policy drops it.
 *
 * Scheduling, capacity, overflow, `onOverflow` and completion are exactly those of `boundedMergeMap`
 * (same config). The one difference: an inner error becomes a `failed` notice for that value, its slot
 * frees, and the stream goes on. What still ends the stream: a source error, a throw from `project` or
 * `onOverflow` (wrap `project` in `defer` to have its throws reported as `failed`), and, with
 * `overflow: 'error'`, a full buffer (`BufferOverflowError`; pick a drop policy to be told per value).
 *
 * Pick notices with `filter(isNotice('dropped'))`, which also narrows their type, or switch on `kind`.
 *
 * ```text
 * source:   -a(bc)-----d|      each inner emits its value upper-cased after 2 frames; a's fails: --#
 * boundedMergeMapNotices(inner, { capacity: 1, overflow: 'dropIncoming' })
 * frame 1:  accepted a (position 0), started a
 * frame 2:  accepted b (position 1), dropped c ('dropIncoming': the buffer was full)
 * frame 3:  failed a (boom), started b
 * frame 5:  result b (B), finished b (result B, count 1)
 * frame 11: accepted d (position 0), started d
 * frame 13: result d (D), finished d (result D, count 1), then complete
 * ```
 *
 * @example
 * ```ts
 * import { boundedMergeMapNotices } from 'rxjs-resilience';
 * import { from } from 'rxjs';
 *
 * declare const jobs$: import('rxjs').Observable<{ id: string }>;
 * declare function run(job: { id: string }): Promise<string>;
 *
 * jobs$
 *   .pipe(boundedMergeMapNotices((job) => from(run(job)), { capacity: 50, concurrency: 2, overflow: 'dropIncoming' }))
 *   .subscribe((n) => {
 *     if (n.kind === 'dropped') console.warn(`job ${n.value.id} dropped (${n.reason})`);
 *     else if (n.kind === 'finished') console.log(`job ${n.value.id}: ${n.result}`);
 *     else if (n.kind === 'failed') console.error(`job ${n.value.id} failed`, n.error);
 *   });
 * ```
 *
 * @param project Maps a source value and its index to the inner observable (or promise, array, ...).
 * @param config Capacity, concurrency and overflow policy, as for `boundedMergeMap`.
 * @throws {InvalidConfigError} when `project` is not a function or `config` is invalid (all issues named).
 */
export function boundedMergeMapNotices<T, R>(
  project: (value: T, index: number) => ObservableInput<R>,
  config: BoundedMergeMapConfig<T>,
): OperatorFunction<T, BoundedMergeMapNotice<T, R>> {
  const settings = boundedMergeSettings<T>('boundedMergeMapNotices', project, config);
  return operate<T, BoundedMergeMapNotice<T, R>>((source, destination) =>
    subscribeBoundedMerge<T, R>(source, destination, project, settings, {
      accepted: (value, index, position) => destination.next({ kind: 'accepted', value, index, position }),
      started: (value, index) => destination.next({ kind: 'started', value, index }),
      result: (result, value, index) => destination.next({ kind: 'result', value, index, result }),
      finished: (value, index, count, result) =>
        destination.next({ kind: 'finished', value, index, result, count }),
      failed: (error, value, index) => destination.next({ kind: 'failed', value, index, error }),
      dropped: (value, index, reason) => destination.next({ kind: 'dropped', value, index, reason }),
    }),
  );
}
