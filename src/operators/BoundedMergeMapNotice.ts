/**
 * What `boundedMergeMapNotices` tells about one source value. Every notice carries the source `value`
 * and its `index` (which counts every source value, dropped ones included), and is told apart by `kind`.
 *
 * Each value gets, in this order:
 * - `accepted` (with its `position`: `0` if it starts at once, else its place in the queue, 1 = next),
 *   or `dropped` with `reason: 'dropIncoming'` (the buffer was full and it never entered);
 * - then either `dropped` with `reason: 'dropOldest'` (a newer value took its place while it waited),
 *   or `started` (its inner was subscribed), any number of `result` (one per value of its inner), and
 *   exactly one of `finished` (with the last result and how many there were) or `failed` (with the error).
 *
 * So every value that is not still waiting or running has exactly one terminal notice: `finished`,
 * `failed` or `dropped` ({@link isTerminalNotice}).
 */
export type BoundedMergeMapNotice<T, R> =
  | AcceptedNotice<T>
  | StartedNotice<T>
  | ResultNotice<T, R>
  | FinishedNotice<T, R>
  | FailedNotice<T>
  | DroppedNotice<T>;

/** The `kind` of each notice. */
export type BoundedMergeMapNoticeKind = BoundedMergeMapNotice<unknown, unknown>['kind'];

/** Fields of every notice. */
interface NoticeOf<K extends string, T> {
  readonly kind: K;
  /** The source value the notice is about. */
  readonly value: T;
  /** Its 0-based position in the source: every source value counts, dropped ones included. */
  readonly index: number;
}

/** The value was taken: it starts at once (`position` 0) or waits in the queue. */
export interface AcceptedNotice<T> extends NoticeOf<'accepted', T> {
  /** `0` when it starts at once; else its place in the queue when accepted (1 = next to start). */
  readonly position: number;
}

/** `project(value, index)` returned and its inner is being subscribed. */
export type StartedNotice<T> = NoticeOf<'started', T>;

/** The inner of the value emitted `result`. */
export interface ResultNotice<T, R> extends NoticeOf<'result', T> {
  readonly result: R;
}

/** The inner of the value completed. */
export interface FinishedNotice<T, R> extends NoticeOf<'finished', T> {
  /** The last value the inner emitted (its result, for the usual one-value inner); `undefined` if none. */
  readonly result: R | undefined;
  /** How many values the inner emitted. */
  readonly count: number;
}

/** The inner of the value errored; the stream goes on and the next waiting value starts. */
export interface FailedNotice<T> extends NoticeOf<'failed', T> {
  readonly error: unknown;
}

/** The overflow policy dropped the value: it will never start. */
export interface DroppedNotice<T> extends NoticeOf<'dropped', T> {
  /**
   * `'dropIncoming'`: it arrived at a full buffer and never entered; `'dropOldest'`: it was the oldest
   * waiting value when a newer one arrived at a full buffer.
   */
  readonly reason: 'dropIncoming' | 'dropOldest';
}

/** The notice of kind `K` among `N`. */
export type NoticeOfKind<N, K extends BoundedMergeMapNoticeKind> = Extract<N, { readonly kind: K }>;

/**
 * A type guard for notices of the given kinds, for `filter`: `filter(isNotice('dropped'))` narrows the
 * stream to `DroppedNotice<T>`, `filter(isNotice('finished', 'failed'))` to their union.
 *
 * @example
 * ```ts
 * import { boundedMergeMapNotices, isNotice } from 'rxjs-resilience';
 * import { filter, of } from 'rxjs';
 *
 * of(1, 2, 3)
 *   .pipe(
 *     boundedMergeMapNotices((n) => of(n * 2), { capacity: 10 }),
 *     filter(isNotice('finished')),
 *   )
 *   .subscribe((notice) => console.log(notice.value, '->', notice.result)); // notice: FinishedNotice<number, number>
 * ```
 */
export function isNotice<K extends BoundedMergeMapNoticeKind>(
  ...kinds: [K, ...K[]]
): <N extends { readonly kind: BoundedMergeMapNoticeKind }>(notice: N) => notice is NoticeOfKind<N, K> {
  if (kinds.length === 1) {
    const [kind] = kinds;
    return <N extends { readonly kind: BoundedMergeMapNoticeKind }>(
      notice: N,
    ): notice is NoticeOfKind<N, K> => notice.kind === kind;
  }
  const set: ReadonlySet<string> = new Set(kinds);
  return <N extends { readonly kind: BoundedMergeMapNoticeKind }>(notice: N): notice is NoticeOfKind<N, K> =>
    set.has(notice.kind);
}

/** True for the notice that ends a value's story: `finished`, `failed` or `dropped`. */
export function isTerminalNotice<T, R>(
  notice: BoundedMergeMapNotice<T, R>,
): notice is FinishedNotice<T, R> | FailedNotice<T> | DroppedNotice<T> {
  return notice.kind === 'finished' || notice.kind === 'failed' || notice.kind === 'dropped';
}
