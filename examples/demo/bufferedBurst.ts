/**
 * Act 4 of the demo (buffer loads: a bounded queue that says what it dropped). Price ticks are stored by
 * an HTTP call to a fault server on 127.0.0.1 that takes 40 ms. Two bursts go through
 * `boundedMergeMapNotices` (2 stores at once, at most 3 ticks waiting, `dropOldest`): a burst of 10
 * overflows it, so the oldest waiting ticks are dropped for newer ones and reported as `dropped`; a burst
 * of 4 a little later fits. Dropped ticks never reach the server. Takes about half a second.
 *
 * It prints one line per tick in tick order, each once its fate and every earlier tick's are known (the
 * two stores at a time end in either order), and one line for a run of drops, naming the newer ticks
 * that pushed them out.
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

/** What became of a tick, once known. */
type Fate =
  | { readonly kind: 'done'; readonly line: string }
  | { readonly kind: 'dropped'; readonly tick: number; readonly by: number | undefined };

/** One line for a run of consecutive dropped ticks, saying which newer ticks pushed them out. */
function describeDrops(
  run: ReadonlyArray<{ readonly tick: number; readonly by: number | undefined }>,
): string {
  const span = (values: ReadonlyArray<number | undefined>): string =>
    values.length === 1 ? `#${values[0]}` : `#${values[0]} to #${values[values.length - 1]}`;
  const ticks = run.map((d) => d.tick);
  const by = run.map((d) => d.by);
  return run.length === 1
    ? `  tick ${span(ticks)} dropped: the queue was full, so a newer tick (${span(by)}) pushed it out`
    : `  ticks ${span(ticks)} dropped: the queue was full, so each newer tick (${span(by)}) pushed out the oldest waiting one`;
}

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
        tap(() => print(`burst of ${ticks} ticks (#${from} to #${from + ticks - 1}), all at once`)),
        mergeMap(() => range(from, ticks)),
      );
    }),
  );
  // One line per tick, in tick order, as soon as its fate and every earlier tick's are known (stores end
  // in any order); consecutive drops share one line.
  const fates = new Map<number, Fate>();
  const acceptedAt = new Map<number, number>();
  const waited = new Map<number, number>();
  const pushedOut: number[] = []; // ticks dropped by dropOldest, waiting to learn which tick pushed them
  let nextToPrint = 0;
  const printFates = (): void => {
    for (let fate = fates.get(nextToPrint); fate !== undefined; fate = fates.get(nextToPrint)) {
      if (fate.kind === 'dropped') {
        const run: Array<Extract<Fate, { kind: 'dropped' }>> = [];
        let next: Fate | undefined = fate;
        while (next?.kind === 'dropped') {
          run.push(next);
          next = fates.get(++nextToPrint);
        }
        print(describeDrops(run));
      } else {
        print(`  tick #${nextToPrint} ${fate.line}`);
        nextToPrint++;
      }
    }
  };

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
          const tick = notice.value;
          switch (notice.kind) {
            case 'accepted':
              acceptedAt.set(tick, performance.now());
              for (const dropped of pushedOut.splice(0))
                fates.set(dropped, { kind: 'dropped', tick: dropped, by: tick });
              break;
            case 'started':
              waited.set(tick, performance.now() - acceptedAt.get(tick)!);
              break;
            case 'dropped':
              if (notice.reason === 'dropOldest') pushedOut.push(tick);
              else fates.set(tick, { kind: 'dropped', tick, by: undefined });
              break;
            case 'finished':
            case 'failed': {
              const ms = Math.round(waited.get(tick) ?? 0);
              const how = ms === 0 ? 'started at once' : `waited ${ms}ms for a free slot`;
              const what = notice.kind === 'finished' ? notice.result : `failed: ${String(notice.error)}`;
              fates.set(tick, { kind: 'done', line: `${what} (${how})` });
            }
          }
          printFates();
        }),
        toArray(),
      ),
    );
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
