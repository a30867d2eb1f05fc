/**
 * Act 1 of the demo (fail fast: timeouts and retries). A flaky HTTP server on 127.0.0.1 (a free port),
 * and seven calls to it through a `ResiliencePipeline` with an attempt timeout, a call deadline and
 * retries (jittered, seeded, only for transient failures). Each call prints what happened to it; the server then says how
 * many requests it saw and how many the client aborted (a timed-out attempt is cancelled, not left
 * running). Takes about a second.
 */
import { defer, filter, firstValueFrom } from 'rxjs';
import {
  ResiliencePipeline,
  fetchRequest,
  isHttpStatusError,
  isNetworkError,
  isTimeoutExceededError,
  resilient,
  seededRandom,
  type PipelineAttemptEvent,
} from '../../src/index';
import type { ActOptions } from './ActOptions';
import { describeError } from './describeError';
import { startFlakyServer, type Answer } from './flakyServer';

/** One call of the demo: what the server will answer to each of its attempts. */
interface ScriptedCall {
  readonly title: string;
  readonly answers: ReadonlyArray<Answer>;
  /** The call's own deadline, when it is not the default. */
  readonly deadline?: number;
}

const CALLS: ReadonlyArray<ScriptedCall> = [
  { title: 'healthy', answers: ['ok'] },
  { title: 'one 503', answers: [503, 'ok'] },
  { title: 'reset, then 503', answers: ['reset', 503, 'ok'] },
  { title: 'one slow answer', answers: [{ slow: 1000 }, 'ok'] },
  { title: 'always 503', answers: [503] },
  { title: '404', answers: [404] },
  { title: 'always slow, 500ms deadline', answers: [{ slow: 1000 }], deadline: 500 },
];

/** Timings of the demo, in ms before `timeScale`. */
const ATTEMPT_TIMEOUT = 200;
const CALL_DEADLINE = 1500;
const INITIAL_DELAY = 50;

/** What happened to one call. */
export interface CallReport {
  readonly call: number;
  readonly title: string;
  /** `'ok'`, or the name of the error the call ended with. */
  readonly outcome: string;
  /** Requests sent for this call (the first attempt and its retries). */
  readonly attempts: number;
  /** What each failed attempt failed with, in order (`HttpStatusError 503`, `NetworkError ECONNRESET`, ...). */
  readonly failures: ReadonlyArray<string>;
  readonly ms: number;
  /** The line printed for it. */
  readonly line: string;
}

export interface RetryingCallsResult {
  readonly calls: ReadonlyArray<CallReport>;
  /** What the server saw (the warm-up request left out): requests received, requests the client aborted. */
  readonly server: { readonly url: string; readonly requests: number; readonly aborted: number };
}

/** Timeouts, refused or reset connections and 5xx/429 are worth a retry; other statuses are not. */
function isTransient(error: unknown): boolean {
  if (isTimeoutExceededError(error) || isNetworkError(error)) return true;
  return isHttpStatusError(error) && (error.info.status >= 500 || error.info.status === 429);
}

const retries = (n: number): string => `${n} ${n === 1 ? 'retry' : 'retries'}`;

/** Runs act 1; resolves once every call has ended and the server is closed. */
export async function retryingCalls(options: ActOptions = {}): Promise<RetryingCallsResult> {
  const { timeScale = 1, print = console.log } = options;
  const ms = (n: number): number => Math.round(n * timeScale);
  const script: Record<string, ReadonlyArray<Answer>> = { '/warmup': ['ok'] };
  CALLS.forEach((call, i) => {
    script[`/calls/${i + 1}`] = call.answers.map((a) => (typeof a === 'object' ? { slow: ms(a.slow) } : a));
  });
  const server = await startFlakyServer(script);
  const reports: CallReport[] = [];
  try {
    // The first fetch of a process loads its HTTP client: keep that out of the first call's time.
    await firstValueFrom(fetchRequest(`${server.url}/warmup`));
    print(`flaky server on ${server.url}`);

    for (const [i, scripted] of CALLS.entries()) {
      const call = i + 1;
      let attempts = 0;
      const failures: string[] = [];
      const deadline = ms(scripted.deadline ?? CALL_DEADLINE);
      // Each scripted call has its own deadline and seed, so its own pipeline (a real client has one per dependency).
      const pipeline = new ResiliencePipeline({
        name: `call ${call}`,
        attemptTimeout: ms(ATTEMPT_TIMEOUT),
        retry: {
          maxRetries: 3,
          initialDelay: ms(INITIAL_DELAY),
          jitter: 'full',
          shouldRetry: isTransient,
          random: seededRandom(call),
        },
        deadline,
      });
      // What each failed attempt failed with, as the pipeline reports it.
      const failed = pipeline.events$
        .pipe(filter((e): e is PipelineAttemptEvent => e.type === 'attempt' && e.outcome === 'failure'))
        .subscribe((e) => failures.push(describeError(e.error)));
      const request$ = defer(() => {
        attempts++;
        return fetchRequest(`${server.url}/calls/${call}`);
      }).pipe(resilient(pipeline));

      const started = performance.now();
      let outcome = 'ok';
      let detail: string;
      try {
        await firstValueFrom(request$);
        detail = attempts > 1 ? `ok after ${retries(attempts - 1)}` : 'ok';
      } catch (error) {
        outcome = error instanceof Error ? error.name : 'error';
        const why =
          isTimeoutExceededError(error) && error.info.after === deadline
            ? ' at the call deadline,'
            : isTransient(error)
              ? ` after ${retries(attempts - 1)}`
              : ', not retried,';
        detail = `${describeError(error)}${why}`;
      }
      failed.unsubscribe();
      const took = Math.round(performance.now() - started);
      const seen = failures.length > 0 && outcome === 'ok' ? `; failed attempts: ${failures.join(', ')}` : '';
      const line = `call ${call} (${scripted.title}): ${detail} in ${took}ms${seen}`;
      print(line);
      reports.push({ call, title: scripted.title, outcome, attempts, failures, ms: took, line });
    }
  } finally {
    await server.close();
  }
  const { requests, aborted } = server.stats;
  print(`server: ${requests - 1} requests, ${aborted} of them aborted by the client when they timed out`);
  return { calls: reports, server: { url: server.url, requests: requests - 1, aborted } };
}
