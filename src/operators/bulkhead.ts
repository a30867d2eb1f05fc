import * as t from 'io-ts';
import type { MonoTypeOperatorFunction } from 'rxjs';
import type { Bulkhead } from '../bulkhead/Bulkhead';
import { isBulkhead } from '../internal/brand';
import { decodeConfig } from '../internal/decodeConfig';
import { operate } from '../internal/operate';

const poolCodec = new t.Type<Bulkhead, Bulkhead, unknown>(
  'a Bulkhead (new Bulkhead({ maxConcurrent, ... }))',
  isBulkhead,
  (u, c) => (isBulkhead(u) ? t.success(u) : t.failure(u, c)),
  t.identity,
);

/**
 * Runs each subscription to the source as one call through a shared {@link Bulkhead}: at once if a slot
 * is free, else after waiting in its bounded FIFO queue, else not at all (`BulkheadRejectedError`,
 * `reason: 'full'`, without subscribing the source). The slot is given back when the call completes,
 * errors or is unsubscribed, and the oldest waiting call starts at that same instant. A waiting call that
 * is unsubscribed leaves the queue and never starts; one that waits `queueTimeout` ms errors with
 * `reason: 'queueTimeout'`.
 *
 * Informally: `mergeMap(f, n)` across every caller of one dependency, with a bounded queue instead of an
 * unbounded buffer, and a refusal you can see.
 *
 * An adaptive pool (`new Bulkhead({ maxConcurrent, adaptive })`) learns from how each call ends, as this
 * operator sees it: a timeout applied before it (`timeoutAfter(ms), bulkhead(pool)`) is a drop it learns
 * from; one applied after it cancels the call, which teaches it nothing.
 *
 * ```text
 * pool: { maxConcurrent: 1, maxQueued: 1 }, three calls subscribed at frame 0
 * call a source   -a|           result -a|
 * call b source     -b|         result ---b|    waited for call a
 * call c                        result #        BulkheadRejectedError (full): never subscribed
 * ```
 *
 * @example
 * ```ts
 * const search = new Bulkhead({ name: 'search', maxConcurrent: 2, maxQueued: 10, queueTimeout: 1000 });
 * const results$ = query$.pipe(mergeMap((q) => ajax.getJSON(`/search?q=${q}`).pipe(bulkhead(search))));
 * ```
 * @param pool The bulkhead shared by every call to the same dependency.
 * @throws {InvalidConfigError} when `pool` is not a `Bulkhead`.
 * @see Bulkhead
 */
export function bulkhead<T>(pool: Bulkhead): MonoTypeOperatorFunction<T> {
  // This runs once per call in the usual `mergeMap((x) => call(x).pipe(bulkhead(pool)))`, so the valid
  // case is checked first; the codec only runs to report what is wrong.
  const checked = isBulkhead(pool) ? pool : decodeConfig('bulkhead', poolCodec, pool);
  return operate<T, T>((source, destination) => checked.enter(source, destination));
}
