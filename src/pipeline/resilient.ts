import * as t from 'io-ts';
import type { MonoTypeOperatorFunction, ObservableInput } from 'rxjs';
import { InvalidConfigError } from '../errors/InvalidConfigError';
import * as c from '../internal/codecs';
import { configIssue, readConfig } from '../internal/decodeConfig';
import { operate } from '../internal/operate';
import type { CallFailure } from './CallFailure';
import { ObservableCall } from './ObservableCall';
import type { ResiliencePipeline } from './ResiliencePipeline';
import { isResiliencePipeline } from '../internal/brand';

/** Options of {@link resilient}, per call. */
export interface ResilientOptions<T> {
  /**
   * What the call gives instead of failing, for any final error (the last attempt's, a refusal, the
   * deadline's): its values follow the ones the call already delivered. A throw from it errors the call
   * with what it threw. @default none: the call errors
   */
  readonly fallback?: ((failure: CallFailure) => ObservableInput<T>) | undefined;
  /** The call's key: what the rate limiter counts it against (`''` when absent), and in `events$`. @default undefined */
  readonly key?: string | undefined;
  /** Copied into the `info` of the call's timeout errors and into its `events$`. @default undefined */
  readonly meta?: unknown;
}

/** Options of {@link resilientEither}, per call. */
export type ResilientEitherOptions = Omit<ResilientOptions<never>, 'fallback'>;

const OptionsCodec = c.config('ResilientOptions', {}, { fallback: c.fn, key: c.string, meta: t.unknown });
const EitherOptionsCodec = c.config('ResilientEitherOptions', {}, { key: c.string, meta: t.unknown });

/**
 * Reads the operator's options once and checks them with the pipeline: the valid case first, with no
 * codec (it runs once per call when written inline); the codec only to report what is wrong. `fallback`:
 * whether the options may hold one. Returns the copy that was checked. @internal
 */
export function readArguments(
  operator: string,
  pipeline: unknown,
  options: unknown,
  fallback: boolean,
): ResilientOptions<unknown> {
  const validPipeline = isResiliencePipeline(pipeline);
  if (options === undefined) {
    if (validPipeline) return NO_OPTIONS;
  } else if (validPipeline && isPlainObject(options)) {
    // Object spread reads each field once; a getter or Proxy trap that throws goes to the codec's report.
    let copy: ResilientOptions<unknown> | undefined;
    try {
      copy = { ...options };
    } catch {
      copy = undefined;
    }
    if (copy !== undefined && validOptions(copy, fallback)) return copy;
  }
  const issues = validPipeline ? [] : [configIssue('pipeline', 'a ResiliencePipeline', pipeline)];
  if (options !== undefined) {
    issues.push(...readConfig(fallback ? OptionsCodec : EitherOptionsCodec, options).issues);
  }
  throw new InvalidConfigError({ operator, issues });
}

const NO_OPTIONS: ResilientOptions<unknown> = {};

function isPlainObject(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function validOptions(options: ResilientOptions<unknown>, fallback: boolean): boolean {
  for (const key in options) {
    if (key !== 'key' && key !== 'meta' && !(fallback && key === 'fallback')) return false;
  }
  const { key, fallback: f } = options;
  return (key === undefined || typeof key === 'string') && (f === undefined || typeof f === 'function');
}

/**
 * Protects each subscription of the source with every policy of `pipeline`, fused: the source is one
 * attempt per subscription, run in the pipeline's order (deadline, retry or hedge, breaker, bulkhead, rate
 * limiter, attempt timeout), and `fallback`, if given, stands in for any final error. Each subscription
 * behaves exactly as `source$.pipe(timeoutAfter(attemptTimeout), rateLimit(rateLimiter, { key }),
 * bulkhead(pool), circuitBreaker(breaker), retryBackoff(retry), timeoutAfter(deadline), catchError((error)
 * => fallback({ error, attempts, elapsed })))` (a 429 or 503 carrying `retryAfter` also penalizes the key),
 * with one object per call and one subscriber per attempt (see {@link ResiliencePipeline}).
 *
 * ```text
 * pipeline: { attemptTimeout: 3, retry: { maxRetries: 5, initialDelay: 2, jitter: 'none' }, deadline: 10 }
 * source   ------                a hung dependency, every attempt
 * subs     ^--!                  attempt 1, cut by its timeout at 3
 *          -----^--!             retry 1 after 2 ms; attempt 2 cut at 8
 * result   ----------#           the deadline at 10, during the next backoff: TimeoutExceededError
 * ```
 *
 * @example
 * ```ts
 * const user$ = (id: string) =>
 *   fetchRequest(`${api}/users/${id}`).pipe(resilient(users, { fallback: () => of(cachedUser(id)) }));
 * ```
 * @throws {InvalidConfigError} when `pipeline` is not a `ResiliencePipeline` or `options` is invalid.
 */
export function resilient<T>(
  pipeline: ResiliencePipeline,
  options?: ResilientOptions<T>,
): MonoTypeOperatorFunction<T> {
  const { fallback, key, meta } = readArguments('resilient', pipeline, options, true) as ResilientOptions<T>;
  // Written inline per call (`call(x).pipe(resilient(p))`), the usual form has no options: it shares one
  // operator per pipeline.
  if (options === undefined) {
    pipeline.plainOperator ??= resilientOperator<unknown>(pipeline, undefined, undefined, undefined);
    return pipeline.plainOperator as MonoTypeOperatorFunction<T>;
  }
  return resilientOperator(pipeline, key, meta, fallback);
}

function resilientOperator<T>(
  pipeline: ResiliencePipeline,
  key: string | undefined,
  meta: unknown,
  fallback: ((failure: CallFailure) => ObservableInput<T>) | undefined,
): MonoTypeOperatorFunction<T> {
  return operate<T, T>((source, destination) => {
    const call = new ObservableCall<T>(pipeline, source, destination, key, meta, fallback);
    destination.add(call);
    if (!destination.closed) call.start();
  });
}
