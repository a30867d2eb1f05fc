/**
 * Act 4 of the demo (buffer loads: a bounded queue that says what it dropped). Price ticks are stored by
 * an HTTP call to a fault server on 127.0.0.1 that takes 40 ms. Two bursts go through
 * `boundedMergeMapNotices` (2 stores at once, at most 3 ticks waiting, `dropOldest`): a burst of 10
 * overflows it, so the oldest waiting ticks are dropped for newer ones and reported as `dropped`; a burst
 * of 4 a little later fits. Dropped ticks never reach the server. Takes about half a second.
 */
import { concat, lastValueFrom, map, range, tap, timer, toArray, mergeMap } from 'rxjs';
import { boundedMergeMapNotices, fetchRequest, type BoundedMergeMapNotice } from '../../src/index';
import { startFaultServer } from '../../src/testing/index';
import type { ActOptions } from './ActOptions';

/** ms the server takes to store a tick (before `timeScale`). */
const STORE_MS = 40;
const CAPACITY = 3;
const CONCURRENCY = 2;
/** The bursts: how many ticks, and when (ms after the start, before `timeScale`). */
const BURSTS: ReadonlyArray<{ readonly ticks: number; readonly at: number }> = [
  { ticks: 10, at: 0 },
  { ticks: 4, at: 400 },
];

export interface BufferedBurstResult {
  /** Every notice, in order. */
  readonly notices: ReadonlyArray<BoundedMergeMapNotice<number, string>>;
  readonly offered: number;
  readonly accepted: number;
  readonly finished: number;
  /** The ticks dropped, in order. */
  readonly dropped: ReadonlyArray<number>;
  /** The longest queue seen (an `accepted` notice's position). */
  readonly longestQueue: number;
  readonly capacity: number;
  /** Requests the server received, and its URL (closed by the end). */
  readonly requests: number;
  readonly url: string;
}

/** Runs act 4; resolves once every tick is stored or dropped and the server is closed. */
export async function bufferedBurst(options: ActOptions = {}): Promise<BufferedBurstResult> {
  const { timeScale = 1, print = console.log } = options;
  const ms = (n: number): number => Math.round(n * timeScale);
  const server = await startFaultServer({ seed: 5 });
  const storeUrl = server.urlOf('/latency', { ms: ms(STORE_MS) });
  print(
    `storing a tick takes ${ms(STORE_MS)}ms; ${CONCURRENCY} stores at once, ` +
      `at most ${CAPACITY} ticks waiting, dropOldest`,
  );

  let first = 0;
  const ticks$ = concat(
    ...BURSTS.map(({ ticks, at }) => {
      const from = first;
      first += ticks;
      return timer(ms(at)).pipe(
        tap(() => print(`burst of ${ticks} ticks (#${from} to #${from + ticks - 1})`)),
        mergeMap(() => range(from, ticks)),
      );
    }),
  );
  // Drops come in runs (a burst overflows): one line per run.
  const droppedRun: number[] = [];
  const flushDrops = (): void => {
    const [head] = droppedRun;
    if (head === undefined) return;
    const tail = droppedRun[droppedRun.length - 1]!;
    const which = droppedRun.length === 1 ? `tick #${head}` : `ticks #${head} to #${tail}`;
    print(`${which} dropped: newer ticks took their place in the queue`);
    droppedRun.length = 0;
  };
  const waitedAt = new Map<number, number>();

  let notices: Array<BoundedMergeMapNotice<number, string>>;
  try {
    notices = await lastValueFrom(
      ticks$.pipe(
        boundedMergeMapNotices((_tick: number) => fetchRequest(storeUrl).pipe(map(() => 'stored')), {
          capacity: CAPACITY,
          concurrency: CONCURRENCY,
          overflow: 'dropOldest',
        }),
        tap((notice) => {
          if (notice.kind === 'dropped') droppedRun.push(notice.value);
          else if (notice.kind === 'accepted') waitedAt.set(notice.value, notice.position);
          else if (notice.kind === 'finished' || notice.kind === 'failed') {
            flushDrops();
            const place = waitedAt.get(notice.value) ?? 0;
            const how = place === 0 ? 'started at once' : `waited at place ${place}`;
            const what = notice.kind === 'finished' ? notice.result : `failed: ${String(notice.error)}`;
            print(`tick #${notice.value} ${what} (${how})`);
          }
        }),
        toArray(),
      ),
    );
    flushDrops();
  } finally {
    await server.close();
  }

  const count = (kind: BoundedMergeMapNotice<number, string>['kind']): number =>
    notices.filter((n) => n.kind === kind).length;
  const dropped = notices.flatMap((n) => (n.kind === 'dropped' ? [n.value] : []));
  const longestQueue = Math.max(0, ...notices.map((n) => (n.kind === 'accepted' ? n.position : 0)));
  const requests = server.stats('/latency').requests;
  const result: BufferedBurstResult = {
    notices,
    offered: first,
    accepted: count('accepted'),
    finished: count('finished'),
    dropped,
    longestQueue,
    capacity: CAPACITY,
    requests,
    url: server.url,
  };
  print(
    `${result.offered} ticks offered: ${result.accepted} accepted, ${result.finished} finished, ` +
      `${dropped.length} dropped; at most ${longestQueue} waited (capacity ${CAPACITY}); ` +
      `the server saw ${requests} requests`,
  );
  return result;
}
