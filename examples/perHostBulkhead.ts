/**
 * Per-host isolation: one bulkhead per host, from a PolicyRegistry, so a slow host fills only its own
 * pool while the others keep answering. A burst of 18 requests hits three hosts at once; `slow.example`
 * takes 1.5 s per request, the two others 20 to 50 ms. Each line says what happened to one request; at
 * the end the registry evicts the hosts nobody asked for during `idleTimeout`.
 *
 * In your project, import from 'rxjs-resilience'.
 *
 * Run it: npx ts-node --transpile-only examples/perHostBulkhead.ts (about 3 seconds of real time)
 */
import {
  asyncScheduler,
  catchError,
  defer,
  filter,
  last,
  map,
  merge,
  mergeMap,
  of,
  share,
  takeUntil,
  throwError,
  timer,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import { Bulkhead, PolicyRegistry, bulkhead, isBulkheadRejectedError } from '../src/index';

/** How long each host takes to answer, ms (a stand-in for real HTTP calls). */
const LATENCY: Readonly<Record<string, number>> = {
  'slow.example': 1500,
  'api.example': 50,
  'cdn.example': 20,
};

/** A fake backend: answers `GET host/path` after the host's latency. */
function backend(host: string, path: string, scheduler: SchedulerLike): Observable<string> {
  return timer(LATENCY[host] ?? 10, scheduler).pipe(map(() => `200 from ${host}${path}`));
}

/** The burst: 8 requests to the slow host first, then 5 to each of the fast ones, all at t=0. */
const BURST: ReadonlyArray<readonly [host: string, path: string]> = [
  ...Array.from({ length: 8 }, (_, i) => ['slow.example', `/report/${i}`] as const),
  ...Array.from({ length: 5 }, (_, i) => ['api.example', `/user/${i}`] as const),
  ...Array.from({ length: 5 }, (_, i) => ['cdn.example', `/img/${i}.png`] as const),
];

/**
 * Runs the burst and, 2.6 s in, one more request (which lets the registry evict idle hosts). Emits one
 * line per request and per eviction, `t=<ms> ...`, and completes when everything is done.
 */
export function perHostTraffic(scheduler: SchedulerLike = asyncScheduler): Observable<string> {
  return defer(() => {
    const start = scheduler.now();
    const t = () => `t=${scheduler.now() - start}`;

    // One pool per host, created on first use from one shared config, evicted after 1 s unused.
    const pools = new PolicyRegistry<string, Bulkhead>({
      create: (host) =>
        new Bulkhead({ name: host, maxConcurrent: 2, maxQueued: 3, queueTimeout: 500, scheduler }),
      idleTimeout: 1000,
      maxKeys: 10_000,
      scheduler,
    });

    // Look the pool up per call (inside defer), never keep it: an evicted host gets a fresh one.
    const get = (host: string, path: string): Observable<string> =>
      defer(() => backend(host, path, scheduler).pipe(bulkhead(pools.get(host)))).pipe(
        map(() => `${t()} ${host}${path}: ok`),
        catchError((err: unknown) => {
          if (!isBulkheadRejectedError(err)) return throwError(() => err);
          const { reason, active, maxConcurrent, queued, maxQueued } = err.info;
          return of(
            reason === 'full'
              ? `${t()} ${host}${path}: refused, pool full (${active}/${maxConcurrent} running, ${queued}/${maxQueued} waiting)`
              : `${t()} ${host}${path}: refused, waited 500ms in the queue`,
          );
        }),
      );

    const requests$ = merge(
      ...BURST.map(([host, path]) => get(host, path)),
      timer(2600, scheduler).pipe(mergeMap(() => get('api.example', '/user/again'))),
    ).pipe(share());
    const evictions$ = pools.events$.pipe(
      filter((e) => e.type === 'evicted'),
      map((e) => `${t()} registry: evicted ${e.key} (${e.reason}, unused for ${e.idleFor}ms)`),
      takeUntil(requests$.pipe(last())),
    );
    return merge(requests$, evictions$);
  });
}

/** Prints the lines as they come (real time, about 3 s). */
export function main(print: (line: string) => void = console.log): void {
  perHostTraffic().subscribe({ next: print, error: (err: unknown) => print(`failed: ${String(err)}`) });
}

if (require.main === module) main();
