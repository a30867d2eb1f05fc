/**
 * A congested dependency and a steady overload, in virtual time, for the adaptive bulkhead's simulation
 * (issue 14): what a fixed limit does to a dependency past its knee, and what each adaptive limit does.
 */
import { Observable, type SchedulerLike } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { Bulkhead, type BulkheadConfig } from '../../src/bulkhead/Bulkhead';
import { seededRandom } from '../../src/chaos/seededRandom';
import { bulkhead } from '../../src/operators/bulkhead';

export interface CongestionModel {
  /** Concurrency past which the dependency slows down. */
  readonly knee: number;
  /** ms a call takes at or below the knee. */
  readonly latency: number;
  /** Spread of each call's latency around the model's: uniform in ±jitter (a fraction). */
  readonly jitter: number;
  /** ms between two calls of the load. */
  readonly every: number;
  /** ms of the run; the second half is what counts as settled. */
  readonly duration: number;
  readonly seed: number;
}

/** What one run saw. */
export interface CongestionRun {
  /** The pool's limit every `sampleEvery` ms, from 0. */
  readonly limits: number[];
  readonly sampleEvery: number;
  /** Over the settled half: the least and most limit, and its time-weighted mean. */
  readonly settled: { readonly min: number; readonly max: number; readonly mean: number };
  /** Callers' latency of the calls that ran, started in the settled half, in multiples of `latency`. */
  readonly p50: number;
  readonly p99: number;
  /** Calls per second that ran, and that the pool refused, in the settled half. */
  readonly served: number;
  readonly refused: number;
}

/**
 * A dependency whose latency grows with its concurrency past `knee`, as contention makes it (locks, GC,
 * a saturated disk): a call that starts while `c` calls run (itself included) takes
 * `latency * max(1, c / knee)^2`, give or take `jitter`. So its throughput peaks at the knee and falls
 * past it (`knee^2 / (latency * c)` calls per ms): a congestion collapse, as real dependencies show.
 *
 * Driven by a steady overload (a call every `every` ms, through `pool`, which refuses what it cannot
 * run: `maxQueued: 0`), in virtual time. Returns what the callers saw.
 */
export function runCongestion(
  model: CongestionModel,
  pool: (scheduler: SchedulerLike) => Bulkhead,
): CongestionRun {
  const { knee, latency, jitter, every, duration } = model;
  const scheduler = new TestScheduler(() => undefined);
  const random = seededRandom(model.seed);
  const sampleEvery = 500;
  const limits: number[] = [];
  const latencies: number[] = [];
  let served = 0;
  let refused = 0;
  let running = 0;
  scheduler.run(() => {
    const p = pool(scheduler);
    const call = new Observable<void>((subscriber) => {
      running++;
      const spread = 1 + jitter * (2 * random() - 1);
      const took = latency * Math.max(1, running / knee) ** 2 * spread;
      const timer = scheduler.schedule(() => subscriber.complete(), took);
      return () => {
        running--;
        timer.unsubscribe();
      };
    }).pipe(bulkhead(p));
    const settledFrom = duration / 2;
    const arrive = (): void => {
      const at = scheduler.now();
      if (at >= duration) return;
      call.subscribe({
        complete: () => {
          if (at < settledFrom) return;
          served++;
          latencies.push((scheduler.now() - at) / latency);
        },
        error: () => {
          if (at >= settledFrom) refused++;
        },
      });
      scheduler.schedule(arrive, every);
    };
    const sample = (): void => {
      limits.push(p.limit);
      if (scheduler.now() + sampleEvery <= duration) scheduler.schedule(sample, sampleEvery);
    };
    scheduler.schedule(sample, 0);
    scheduler.schedule(arrive, 0);
    scheduler.flush();
  });
  const settled = limits.slice(Math.floor(limits.length / 2));
  latencies.sort((a, b) => a - b);
  const quantile = (q: number): number =>
    latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))] ?? NaN;
  const seconds = duration / 2 / 1000;
  return {
    limits,
    sampleEvery,
    settled: {
      min: Math.min(...settled),
      max: Math.max(...settled),
      mean: settled.reduce((sum, l) => sum + l, 0) / settled.length,
    },
    p50: quantile(0.5),
    p99: quantile(0.99),
    served: served / seconds,
    refused: refused / seconds,
  };
}

/**
 * The limit over time as a small ASCII plot: one column per `columns`-th of the run (its mean), one row
 * per step of the limit, the knee marked, for a failure message or a guide.
 */
export function plotLimits(run: CongestionRun, knee: number, title: string, rows = 10, columns = 60): string {
  const { limits, sampleEvery } = run;
  const per = Math.max(1, Math.ceil(limits.length / columns));
  const means: number[] = [];
  for (let i = 0; i < limits.length; i += per) {
    const slice = limits.slice(i, i + per);
    means.push(slice.reduce((sum, l) => sum + l, 0) / slice.length);
  }
  const top = Math.max(knee * 2, ...means);
  const step = top / rows;
  const lines = [title];
  for (let row = rows; row >= 1; row--) {
    const level = row * step;
    const label = String(Math.round(level)).padStart(4);
    const kneeRow = knee > level - step && knee <= level;
    const cells = means.map((m) => (m > level - step ? '#' : kneeRow ? '-' : ' ')).join('');
    lines.push(`${label} |${cells}${kneeRow ? '  <- knee' : ''}`);
  }
  const end = `${((limits.length - 1) * sampleEvery) / 1000} s`;
  lines.push(`     +${'-'.repeat(means.length)}`);
  lines.push(`      0 s${' '.repeat(Math.max(1, means.length - 3 - end.length))}${end}`);
  lines.push(
    `      settled (second half): limit ${run.settled.min}..${run.settled.max}, mean ${run.settled.mean.toFixed(1)}; ` +
      `latency p50 ${run.p50.toFixed(2)}x, p99 ${run.p99.toFixed(2)}x; ${run.served.toFixed(0)} calls/s served, ${run.refused.toFixed(0)} refused`,
  );
  return lines.map((line) => line.trimEnd()).join('\n');
}

/** A pool for `runCongestion`: `maxConcurrent` (the initial limit when adaptive), nothing queued. */
export function congestionPool(
  maxConcurrent: number,
  adaptive?: BulkheadConfig['adaptive'],
): (scheduler: SchedulerLike) => Bulkhead {
  return (scheduler) =>
    new Bulkhead({ maxConcurrent, maxQueued: 0, scheduler, ...(adaptive ? { adaptive } : {}) });
}
