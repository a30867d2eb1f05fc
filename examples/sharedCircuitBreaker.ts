/**
 * One circuit breaker shared by every request to a dependency, with its `state$` logged. A request for a
 * price goes out every 200 ms for 5 s; the price service answers in 30 ms, except during an outage from
 * t=1000 to t=2700 where it fails after 50 ms. The breaker opens once half of its last 6 outcomes failed,
 * refuses calls at once while open (without sending them), probes after 1 s, reopens for 2 s when the
 * probe fails, and closes when a later probe succeeds. Each line says what happened to one request, or how
 * the breaker changed.
 *
 * In your project, import from 'rxjs-resilience'.
 *
 * Run it: npx ts-node --transpile-only examples/sharedCircuitBreaker.ts (about 5 seconds of real time)
 */
import {
  asyncScheduler,
  catchError,
  defer,
  map,
  merge,
  mergeMap,
  of,
  share,
  takeUntil,
  throwError,
  timer,
  last,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import { CircuitBreaker, circuitBreaker, isCircuitOpenError } from '../src/index';

/** When the price service is down, ms. */
const OUTAGE = { from: 1000, until: 2700 };

/** A fake price service started at `start`: 30 ms to answer, or a 503 after 50 ms during the outage. */
function priceService(id: number, start: number, scheduler: SchedulerLike): Observable<string> {
  return defer(() => {
    const elapsed = scheduler.now() - start;
    return elapsed >= OUTAGE.from && elapsed < OUTAGE.until
      ? timer(50, scheduler).pipe(mergeMap(() => throwError(() => new Error('503'))))
      : timer(30, scheduler).pipe(map(() => `price ${id}: 4${id}.00`));
  });
}

/** The requests and the breaker's transitions, as lines `t=<ms> ...`; completes after the last request. */
export function sharedBreakerTraffic(scheduler: SchedulerLike = asyncScheduler): Observable<string> {
  return defer(() => {
    const start = scheduler.now();
    const at = () => `t=${scheduler.now() - start}`;
    const breaker = new CircuitBreaker({
      name: 'prices',
      window: { type: 'count', size: 6 },
      minimumCalls: 4,
      failureRateThreshold: 0.5,
      openDuration: (opening) => 1000 * opening, // 1 s, then 2 s, ... until it closes again
      scheduler,
    });

    const requests = timer(0, 200, scheduler).pipe(
      takeUntil(timer(5000, scheduler)),
      mergeMap((id) =>
        priceService(id, start, scheduler).pipe(
          circuitBreaker(breaker),
          map(() => `${at()} GET /price/${id}: ok`),
          catchError((error: unknown) =>
            of(
              isCircuitOpenError(error)
                ? `${at()} GET /price/${id}: refused, retry after ${error.info.retryAfter}ms`
                : `${at()} GET /price/${id}: failed (${(error as Error).message})`,
            ),
          ),
        ),
      ),
      share(),
    );
    const done = requests.pipe(last());
    const states = breaker.state$.pipe(
      map((state) => `${at()} breaker ${breaker.name}: ${state}`),
      takeUntil(done),
    );
    const summary = done.pipe(
      map(() => {
        const m = breaker.metrics();
        return `${at()} breaker ${breaker.name}: ${m.state}, ${m.refusals} calls refused, ${m.calls} outcomes in the window`;
      }),
    );
    return merge(states, requests, summary);
  });
}

if (require.main === module) {
  sharedBreakerTraffic().subscribe((line) => console.log(line));
}
