/**
 * The protected client: the same stream of events, through `boundedMergeMapNotices` (a bounded buffer
 * that says what became of each event) and the dependency's policies (protection.ts), with a fallback
 * for each failed call. Its breaker's states and its bulkhead's slots are recorded too.
 */
import { isLeft } from 'fp-ts/lib/Either';
import { Subscription, type Observable } from 'rxjs';
import { boundedMergeMapNotices, isRefusal } from '../../src/index';
import type { Protection } from './protection';
import type { Recorder } from './recorder';

/** The name of what an error is, for the record. */
const nameOf = (error: unknown): string => (error instanceof Error ? error.name : typeof error);

/** Calls `url` once per event of `events$` (each a call number), recording what its callers see. */
export function runProtected(
  events$: Observable<number>,
  url: string,
  protection: Protection,
  recorder: Recorder,
): Subscription {
  const client = 'protected';
  const subscription = new Subscription();
  subscription.add(
    protection.breaker.state$.subscribe((state) => recorder.record({ type: 'breaker', client, state })),
  );
  subscription.add(
    protection.pool.events$.subscribe(({ active, queued }) =>
      recorder.record({ type: 'pool', client, active, queued }),
    ),
  );
  subscription.add(
    events$
      .pipe(
        boundedMergeMapNotices(
          (_call: number) => protection.call(`${url}/?client=${client}`),
          protection.stream,
        ),
      )
      .subscribe((notice) => {
        const call = notice.value;
        switch (notice.kind) {
          case 'accepted':
            recorder.record({ type: 'arrive', client, call });
            return;
          case 'started':
            recorder.record({ type: 'start', client, call });
            return;
          case 'dropped':
            // Dropped on arrival (dropIncoming) or while waiting (dropOldest): either way it arrived.
            if (notice.reason === 'dropIncoming') recorder.record({ type: 'arrive', client, call });
            recorder.record({ type: 'end', client, call, outcome: 'dropped' });
            return;
          case 'failed':
            recorder.record({ type: 'end', client, call, outcome: 'error', error: nameOf(notice.error) });
            return;
          case 'finished': {
            const result = notice.result;
            if (result !== undefined && !isLeft(result)) {
              recorder.record({ type: 'end', client, call, outcome: 'ok' });
              return;
            }
            // The caller falls back (a cached value, a default) and is told why. Refused: failed fast by
            // a policy, before any attempt reached the dependency.
            const error = result?.left.error ?? new Error('the call completed without an answer');
            const attempts = result?.left.attempts ?? 0;
            const outcome = attempts === 0 && isRefusal(error) ? 'refused' : 'error';
            recorder.record({ type: 'end', client, call, outcome, error: nameOf(error), attempts });
            return;
          }
        }
      }),
  );
  return subscription;
}
