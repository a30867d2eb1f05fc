/**
 * The client as it is often written: plain rxjs, one `fetch` per event through `mergeMap`, errors caught
 * per call so one failure does not end the stream. No timeout, no limit: nothing tells its callers that
 * the dependency stopped answering.
 */
import { catchError, from, map, mergeMap, of, type Observable, type Subscription } from 'rxjs';
import type { Recorder } from './recorder';

/** Calls `url` once per event of `events$` (each a call number), recording what its callers see. */
export function runUnprotected(events$: Observable<number>, url: string, recorder: Recorder): Subscription {
  const client = 'unprotected';
  return events$
    .pipe(
      mergeMap((call) => {
        recorder.record({ type: 'arrive', client, call });
        recorder.record({ type: 'start', client, call });
        return from(
          fetch(`${url}/?client=${client}`).then((response) =>
            response.ok ? response.text() : Promise.reject(new Error(`HTTP ${response.status}`)),
          ),
        ).pipe(
          map(() => ({ call, error: undefined })),
          catchError((error: unknown) => of({ call, error: error instanceof Error ? error.name : 'Error' })),
        );
      }),
    )
    .subscribe(({ call, error }) =>
      recorder.record({ type: 'end', client, call, outcome: error === undefined ? 'ok' : 'error', error }),
    );
}
