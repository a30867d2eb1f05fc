/**
 * Act 3 of the demo (isolate failures: one bulkhead per dependency). Two services on their own fault
 * servers on 127.0.0.1: `reports` takes 600 ms to answer, `users` about 10 ms. Each has its own `Bulkhead`
 * (2 running, 2 waiting, 200 ms queue timeout). A burst of 8 report calls fills the reports pool: 2 run, 2
 * wait and give up after the queue timeout, 4 are refused at once; none of the refused calls reaches the
 * server. Meanwhile a user call every 50 or so ms goes through its own pool and answers as fast as ever. Takes
 * about 0.7 s.
 */
import { catchError, concat, lastValueFrom, map, merge, mergeMap, of, tap, timer, toArray } from 'rxjs';
import {
  Bulkhead,
  ResiliencePipeline,
  fetchRequest,
  isBulkheadRejectedError,
  resilient,
  type BulkheadMetrics,
} from '../../src/index';
import { startFaultServer } from '../../src/testing/index';
import type { ActOptions } from './ActOptions';
import { describeError } from './describeError';

/** The slow dependency's answer time, ms (before `timeScale`). */
const SLOW_MS = 600;
/** The healthy dependency's answer time, ms (before `timeScale`; the server adds a seeded jitter of ±5). */
const FAST_MS = 10;
const REPORT_CALLS = 8;
const USER_CALLS = 6;
/** ms from a user call's end to the next call (before `timeScale`). */
const USER_EVERY = 50;

/** What happened to one call. */
export interface PoolCallReport {
  readonly pool: 'reports' | 'users';
  readonly call: number;
  /** `'ok'`, `'full'` or `'queueTimeout'` (refused by its bulkhead), or the name of another error. */
  readonly outcome: string;
  /** ms from the call to its outcome. */
  readonly ms: number;
}

export interface IsolatedPoolsResult {
  /** Every call, in the order they ended. */
  readonly calls: ReadonlyArray<PoolCallReport>;
  /** Each pool's metrics at the end. */
  readonly pools: { readonly reports: BulkheadMetrics; readonly users: BulkheadMetrics };
  /** Requests each server received. */
  readonly requests: { readonly reports: number; readonly users: number };
  /** Each server's URL (closed by the end). */
  readonly urls: { readonly reports: string; readonly users: string };
  /** The slow dependency's answer time, ms (after `timeScale`). */
  readonly slowMs: number;
}

/** Runs act 3; resolves once every call has ended and both servers are closed. */
export async function isolatedPools(options: ActOptions = {}): Promise<IsolatedPoolsResult> {
  const { timeScale = 1, print = console.log } = options;
  const ms = (n: number): number => Math.round(n * timeScale);
  const [reportsServer, usersServer] = await Promise.all([
    startFaultServer({ seed: 3 }),
    startFaultServer({ seed: 4 }),
  ]);
  const pool = (name: string): Bulkhead =>
    new Bulkhead({ name, maxConcurrent: 2, maxQueued: 2, queueTimeout: ms(200) });
  const reports = pool('reports');
  const users = pool('users');
  const reportUrl = reportsServer.urlOf('/latency', { ms: ms(SLOW_MS) });
  const userUrl = usersServer.urlOf('/latency', { ms: ms(FAST_MS), jitter: ms(FAST_MS) / 2 });
  print(
    `reports answer in ${ms(SLOW_MS)}ms, users in about ${ms(FAST_MS)}ms; ` +
      `each has its own pool: 2 running, 2 waiting, ${ms(200)}ms queue timeout`,
  );

  const start = performance.now();
  const t = (): string => `t=${Math.round(performance.now() - start)}ms`;
  // One pipeline per dependency, each with its own pool.
  const pipelines = {
    reports: new ResiliencePipeline({ name: 'reports', bulkhead: reports }),
    users: new ResiliencePipeline({ name: 'users', bulkhead: users }),
  };
  const call = (name: PoolCallReport['pool'], n: number, url: string, at: number) =>
    timer(at).pipe(
      mergeMap(() => {
        const started = performance.now();
        return fetchRequest(url).pipe(
          resilient(pipelines[name]),
          map(() => 'ok'),
          catchError((error: unknown) =>
            of(isBulkheadRejectedError(error) ? error.info.reason : describeError(error)),
          ),
          map((outcome): PoolCallReport => {
            const took = Math.round(performance.now() - started);
            return { pool: name, call: n, outcome, ms: took };
          }),
        );
      }),
      tap((report) => {
        const what =
          report.outcome === 'ok'
            ? 'ok'
            : report.outcome === 'full'
              ? 'BulkheadRejectedError (full): refused at once'
              : report.outcome === 'queueTimeout'
                ? 'BulkheadRejectedError (queueTimeout): gave up waiting for a slot'
                : report.outcome;
        print(`${t()} ${name} call ${n}: ${what} in ${report.ms}ms`);
      }),
    );

  let calls: PoolCallReport[];
  try {
    calls = await lastValueFrom(
      merge(
        ...Array.from({ length: REPORT_CALLS }, (_, i) => call('reports', i + 1, reportUrl, 0)),
        // One user call at a time, each 50 ms after the previous one ended.
        concat(
          ...Array.from({ length: USER_CALLS }, (_, i) =>
            call('users', i + 1, userUrl, i === 0 ? 0 : ms(USER_EVERY)),
          ),
        ),
      ).pipe(toArray()),
    );
  } finally {
    await Promise.all([reportsServer.close(), usersServer.close()]);
  }

  const count = (name: string, outcome: string): number =>
    calls.filter((c) => c.pool === name && c.outcome === outcome).length;
  const slowestUser = Math.max(0, ...calls.filter((c) => c.pool === 'users').map((c) => c.ms));
  const requests = {
    reports: reportsServer.stats('/latency').requests,
    users: usersServer.stats('/latency').requests,
  };
  print(
    `reports pool: ${count('reports', 'ok')} ok, ${count('reports', 'full')} refused full, ` +
      `${count('reports', 'queueTimeout')} refused after queueTimeout ` +
      `(the server saw ${requests.reports} requests); ` +
      `users pool: ${count('users', 'ok')} of ${USER_CALLS} ok, the slowest in ${slowestUser}ms`,
  );
  return {
    calls,
    pools: { reports: reports.metrics(), users: users.metrics() },
    requests,
    urls: { reports: reportsServer.url, users: usersServer.url },
    slowMs: ms(SLOW_MS),
  };
}
