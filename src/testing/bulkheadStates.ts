import { defer, distinctUntilChanged, map, startWith, type Observable } from 'rxjs';

/**
 * How full a bulkhead is: `'empty'` (nothing runs), `'busy'` (some slots taken), `'full'` (every slot
 * taken, nobody waits), `'queueing'` (every slot taken and calls wait).
 */
export type BulkheadState = 'empty' | 'busy' | 'full' | 'queueing';

/** What `bulkheadStates` reads of a bulkhead: a `Bulkhead` has it. */
export interface BulkheadLike {
  readonly maxConcurrent: number;
  /** Calls that may run at once now (an adaptive pool's moving limit); `maxConcurrent` when absent. */
  readonly limit?: number | undefined;
  readonly active: number;
  readonly queued: number;
  /** Emits after every change, with the counts after it. */
  readonly events$: Observable<{ readonly active: number; readonly queued: number }>;
}

/**
 * A bulkhead's occupancy as a state observable, for `stateTimeline`: the current state on subscribe,
 * then every change (computed from `events$`, so it needs no timer).
 *
 * ```
 * pool            maxConcurrent 2, maxQueued 1
 * calls           -abc        each call '---x|'
 * bulkheadStates  ebfq-fb--e  empty; a busy; b full; c queueing; a ends, c starts: full; b ends; c ends
 * ```
 *
 * @example
 * const timeline = stateTimeline(bulkheadStates(pool));
 */
export function bulkheadStates(pool: BulkheadLike): Observable<BulkheadState> {
  const stateOf = (active: number, queued: number): BulkheadState =>
    queued > 0
      ? 'queueing'
      : active === 0
        ? 'empty'
        : active < (pool.limit ?? pool.maxConcurrent)
          ? 'busy'
          : 'full';
  return defer(() =>
    pool.events$.pipe(
      map((event) => stateOf(event.active, event.queued)),
      startWith(stateOf(pool.active, pool.queued)),
      distinctUntilChanged(),
    ),
  );
}
