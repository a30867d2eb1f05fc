/**
 * Act 2 of the demo (fail fast: a shared circuit breaker). A prices service on a fault server on
 * 127.0.0.1 answers its first 3 requests with 503 (an outage, `/burst`), then is healthy again. Every
 * call goes through one shared `CircuitBreaker`: after 3 failures it opens, and the next calls are refused
 * at once with `CircuitOpenError` without reaching the server (its request count stays flat). After
 * `openDuration` one probe is let through, finds the service healthy and closes the breaker. The
 * breaker's `state$` is printed as it changes. Takes about half a second.
 */
import { filter, firstValueFrom, lastValueFrom, map } from 'rxjs';
import {
  CircuitBreaker,
  ResiliencePipeline,
  fetchRequest,
  resilient,
  type CircuitState,
} from '../../src/index';
import { startFaultServer } from '../../src/testing/index';
import type { ActOptions } from './ActOptions';
import { describeError } from './describeError';

/** ms the breaker stays open before it lets a probe through (before `timeScale`). */
const OPEN_DURATION = 300;
/** Failed requests before the prices service recovers. */
const OUTAGE_REQUESTS = 3;
/** Calls made while the breaker is open. */
const CALLS_WHILE_OPEN = 3;
/** Calls made once the breaker lets calls through again (the first is the probe). */
const CALLS_AFTER = 2;

const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;

/** What happened to one call. */
export interface BreakerCallReport {
  readonly call: number;
  /** The state the breaker was in when the call was made. */
  readonly stateBefore: CircuitState;
  /** `'ok'`, or the name of the error the call ended with. */
  readonly outcome: string;
  /** Requests the server had received before the call, and after it ended. */
  readonly requestsBefore: number;
  readonly requestsAfter: number;
  readonly ms: number;
}

export interface SharedBreakerResult {
  readonly calls: ReadonlyArray<BreakerCallReport>;
  /** Every state `state$` emitted, in order (the first is the state on subscribe). */
  readonly states: ReadonlyArray<CircuitState>;
  /** Calls the breaker refused, as its metrics count them. */
  readonly refusals: number;
  /** Requests the server received, and its URL. */
  readonly server: { readonly url: string; readonly requests: number };
}

/** Runs act 2; resolves once every call has ended, the breaker is closed and the server closed. */
export async function sharedBreaker(options: ActOptions = {}): Promise<SharedBreakerResult> {
  const { timeScale = 1, print = console.log } = options;
  const server = await startFaultServer({ seed: 2 });
  const url = server.urlOf('/burst', { n: OUTAGE_REQUESTS, retryAfter: 0, key: 'prices' });
  const breaker = new CircuitBreaker({
    name: 'prices',
    window: { type: 'count', size: 5 },
    minimumCalls: 3,
    failureRateThreshold: 0.5,
    openDuration: Math.round(OPEN_DURATION * timeScale),
  });
  // Every call to the prices service goes through its one pipeline, here with the breaker alone.
  const prices = new ResiliencePipeline({ name: 'prices', breaker });
  const start = performance.now();
  const t = (): string => `t=${Math.round(performance.now() - start)}ms`;
  const requests = (): number => server.stats('/burst').requests;

  const states: CircuitState[] = [];
  const stateLog = breaker.state$.subscribe((state) => {
    const previous = states[states.length - 1];
    states.push(state);
    if (previous === undefined) {
      print(
        `${t()} breaker ${breaker.name}: ${state}; the server fails its first ${OUTAGE_REQUESTS} requests`,
      );
      return;
    }
    const m = breaker.metrics();
    const why =
      state === 'open'
        ? ` (${m.failures} of ${m.calls} calls failed)`
        : state === 'halfOpen'
          ? ` (open for ${Math.round(OPEN_DURATION * timeScale)}ms: the next call is a probe)`
          : state === 'closed'
            ? ' (the probe succeeded)'
            : '';
    print(`${t()} state$: ${previous} -> ${state}${why}`);
  });

  const calls: BreakerCallReport[] = [];
  const call = async (): Promise<void> => {
    const n = calls.length + 1;
    const stateBefore = breaker.state;
    const requestsBefore = requests();
    const started = performance.now();
    const outcome = await lastValueFrom(
      fetchRequest(url).pipe(
        resilient(prices),
        map(() => 'ok'),
      ),
    ).catch((error: unknown) => describeError(error));
    const ms = Math.round(performance.now() - started);
    const requestsAfter = requests();
    const sent = requestsAfter > requestsBefore ? 'sent' : 'not sent';
    print(`${t()} call ${n}: ${outcome} in ${ms}ms, ${sent} (server: ${plural(requestsAfter, 'request')})`);
    const name = outcome === 'ok' ? 'ok' : outcome.split(' ')[0]!;
    calls.push({ call: n, stateBefore, outcome: name, requestsBefore, requestsAfter, ms });
  };

  try {
    while (breaker.state === 'closed' && calls.length < 2 * OUTAGE_REQUESTS) await call();
    for (let i = 0; i < CALLS_WHILE_OPEN; i++) await call();
    // Wait out openDuration (state$ emits halfOpen at that instant). On a machine so loaded that a call
    // above already found it halfOpen and closed it, this passes at once.
    await firstValueFrom(breaker.state$.pipe(filter((state) => state !== 'open')));
    for (let i = 0; i < CALLS_AFTER; i++) await call();
  } finally {
    stateLog.unsubscribe();
    await server.close();
  }

  const { refusals } = breaker.metrics();
  const closedByProbe = states.includes('halfOpen') && breaker.state === 'closed';
  const failed = calls.filter((c) => c.stateBefore === 'closed' && c.outcome !== 'ok').length;
  const refused = calls.filter((c) => c.outcome === 'CircuitOpenError');
  const flat = refused.every((c) => c.requestsAfter === c.requestsBefore);
  print(
    `breaker ${breaker.name}: opened after ${failed} failures, refused ${refusals} calls at once ` +
      `(${flat ? 'none of them reached the server' : 'SOME REACHED THE SERVER'}), ` +
      `${closedByProbe ? 'closed by a probe' : `now ${breaker.state}`}; ` +
      `the server saw ${plural(requests(), 'request')} for ${calls.length} calls`,
  );
  return { calls, states, refusals, server: { url: server.url, requests: requests() } };
}
