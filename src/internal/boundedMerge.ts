import { from, type Observable, type ObservableInput, type Subscriber, type TeardownLogic } from 'rxjs';
import { BufferOverflowError } from '../errors/BufferOverflowError';
import { InvalidConfigError, type ConfigIssue } from '../errors/InvalidConfigError';
import * as c from './codecs';
import { configIssue, readConfig } from './decodeConfig';
import { createOperatorSubscriber } from './operate';
import { RingBuffer } from './RingBuffer';

/** What a full buffer does with one more value. @internal */
export type Overflow = 'error' | 'dropIncoming' | 'dropOldest';

/** Why a value was dropped: the overflow policy that dropped it. @internal */
export type DropReason = 'dropIncoming' | 'dropOldest';

/** A validated config with its defaults applied. @internal */
export interface BoundedMergeSettings<T> {
  readonly capacity: number;
  readonly concurrency: number;
  readonly overflow: Overflow;
  readonly onOverflow: ((dropped: T) => void) | undefined;
}

const Config = c.config(
  'BoundedMergeMapConfig',
  { capacity: c.nonNegativeInt },
  {
    concurrency: c.positiveIntOrInfinity,
    overflow: c.oneOf<Overflow>(['error', 'dropIncoming', 'dropOldest']),
    onOverflow: c.fn,
  },
);

/**
 * Validates `project` and `config` of `operator` (one `InvalidConfigError` naming every bad field) and
 * applies the defaults of DESIGN §2.6: `concurrency: 1`, `overflow: 'error'`.
 * @internal
 */
export function boundedMergeSettings<T>(
  operator: string,
  project: unknown,
  config: unknown,
): BoundedMergeSettings<T> {
  const issues: ConfigIssue[] = [];
  if (typeof project !== 'function') {
    issues.push(configIssue('project', 'a function', project));
  }
  const read = readConfig<{
    capacity: number;
    concurrency?: number | undefined;
    overflow?: Overflow | undefined;
    onOverflow?: ((dropped: T) => void) | undefined;
  }>(Config, config);
  issues.push(...read.issues);
  if (issues.length > 0) throw new InvalidConfigError({ operator, issues });
  const { capacity, concurrency = 1, overflow = 'error', onOverflow } = read.value;
  return { capacity, concurrency, overflow, onOverflow };
}

/**
 * What became of each source value, told by the engine as it happens. `boundedMergeMap` forwards results
 * and ignores the rest; `boundedMergeMapNotices` turns each call into a notice.
 * @internal
 */
export interface BoundedMergeHooks<T, R> {
  /** `value` was taken: `position` 0 if it starts at once, else its place in the queue (1 = next). */
  accepted(value: T, index: number, position: number): void;
  /** `project(value, index)` returned and its inner is about to be subscribed. */
  started(value: T, index: number): void;
  /** The inner of `value` emitted `result`. */
  result(result: R, value: T, index: number): void;
  /** The inner of `value` completed after `count` results, the last being `last`. */
  finished(value: T, index: number, count: number, last: R | undefined): void;
  /** The inner of `value` errored. Without this hook the error ends the stream, as in `mergeMap`. */
  readonly failed?: ((error: unknown, value: T, index: number) => void) | undefined;
  /** `value` was dropped by the overflow policy (after `onOverflow` saw it). */
  dropped(value: T, index: number, reason: DropReason): void;
}

/**
 * The engine of `boundedMergeMap` and `boundedMergeMapNotices` (DESIGN §2.6), for one subscription.
 *
 * - A value starts its inner at once if fewer than `concurrency` run and nothing waits (FIFO is kept
 *   even when a value arrives re-entrantly while the queue drains); else it waits in a ring buffer of
 *   `capacity` slots, with its index beside it in a second ring (no allocation per waiting value).
 * - A full buffer errors with `BufferOverflowError`, drops the arriving value, or drops the oldest
 *   waiting value; `capacity: 0` with `'dropOldest'` behaves as `'dropIncoming'` (nothing waits to drop).
 * - When an inner completes (in its finalizer, so its own teardown has run) the oldest waiting values
 *   start at that instant. Draining runs in a loop guarded by a flag: a long run of synchronous inners
 *   never grows the stack.
 * - A throw from `project` or `onOverflow`, wherever it happens, errors the stream.
 * - Teardown (complete, error or unsubscribe) releases every waiting value.
 * @internal
 */
export function subscribeBoundedMerge<T, R>(
  source: Observable<T>,
  destination: Subscriber<unknown>,
  project: (value: T, index: number) => ObservableInput<R>,
  settings: BoundedMergeSettings<T>,
  hooks: BoundedMergeHooks<T, R>,
): TeardownLogic {
  const { capacity, concurrency, overflow, onOverflow } = settings;
  const waiting = new RingBuffer<T>(capacity);
  const waitingIndex = new RingBuffer<number>(capacity);
  let index = 0;
  let active = 0;
  let sourceDone = false;
  let draining = false;

  const checkComplete = (): void => {
    if (sourceDone && active === 0 && waiting.size === 0) destination.complete();
  };

  const start = (value: T, i: number): void => {
    // Counted before `project` runs, so a value that arrives re-entrantly from it waits its turn.
    active++;
    const input = project(value, i);
    hooks.started(value, i);
    let completed = false;
    let count = 0;
    let last: R | undefined;
    const subscriber = createOperatorSubscriber<R>(destination, {
      next: (result) => {
        count++;
        last = result;
        hooks.result(result, value, i);
      },
      error:
        hooks.failed === undefined
          ? undefined
          : (error) => {
              // Reported for this value; the slot frees in finalize, and the stream goes on.
              completed = true;
              hooks.failed!(error, value, i);
            },
      complete: () => {
        completed = true;
        hooks.finished(value, i, count, last);
      },
      finalize: () => {
        last = undefined;
        if (!completed) return; // torn down from outside: nothing more to start
        try {
          active--;
          drain();
          checkComplete();
        } catch (err) {
          destination.error(err);
        }
      },
    });
    // The `started` notice may have closed the result (`take(n)`): then the inner is never subscribed.
    if (!subscriber.closed) from(input).subscribe(subscriber);
  };

  /** Starts waiting values while slots are free; re-entrant calls return at once (the loop goes on). */
  const drain = (): void => {
    if (draining) return;
    draining = true;
    try {
      while (active < concurrency && waiting.size > 0 && !destination.closed) {
        const value = waiting.shift() as T;
        start(value, waitingIndex.shift() as number);
      }
    } finally {
      draining = false;
    }
  };

  const arrive = (value: T): void => {
    const i = index++;
    if (active < concurrency && waiting.size === 0) {
      hooks.accepted(value, i, 0);
      // The `accepted` notice may have closed the result (`take(1)`): nothing starts after that.
      if (!destination.closed) start(value, i);
      return;
    }
    if (waiting.push(value)) {
      waitingIndex.push(i);
      hooks.accepted(value, i, waiting.size);
      return;
    }
    // The buffer is full.
    if (overflow === 'error') {
      destination.error(new BufferOverflowError({ capacity }));
      return;
    }
    if (overflow === 'dropIncoming' || capacity === 0) {
      onOverflow?.(value);
      hooks.dropped(value, i, 'dropIncoming');
      return;
    }
    const oldest = waiting.dropOldest() as T;
    const oldestIndex = waitingIndex.dropOldest() as number;
    waiting.push(value);
    waitingIndex.push(i);
    onOverflow?.(oldest);
    hooks.dropped(oldest, oldestIndex, 'dropOldest');
    hooks.accepted(value, i, waiting.size);
  };

  const upstream = createOperatorSubscriber<T>(destination, {
    next: arrive,
    complete: () => {
      sourceDone = true;
      checkComplete();
    },
  });
  if (!upstream.closed) source.subscribe(upstream);

  return () => {
    waiting.clear();
    waitingIndex.clear();
  };
}
