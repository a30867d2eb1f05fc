import * as t from 'io-ts';
import type { MonoTypeOperatorFunction, ObservableInput } from 'rxjs';
import { InvalidConfigError } from '../errors/InvalidConfigError';
import * as c from '../internal/codecs';
import { configIssue, configIssues } from '../internal/decodeConfig';
import { operate } from '../internal/operate';
import type { CallFailure } from './CallFailure';
import { ObservableCall } from './ObservableCall';
import { ResiliencePipeline } from './ResiliencePipeline';

/** Options of {@link resilient}, per call. */
export interface ResilientOptions<T> {
  /**
   * What the call gives instead of failing, for any final error (the last attempt's, a refusal, the
   * deadline's): its values follow the ones the call already delivered. A throw from it errors the call
   * with what it threw. @default none: the call errors
   */
  readonly fallback?: ((failure: CallFailure) => ObservableInput<T>) | undefined;
  /** The call's key, carried by `events$`. @default undefined */
  readonly key?: string | undefined;
  /** Copied into the `info` of the call's timeout errors and into its `events$`. @default undefined */
  readonly meta?: unknown;
}

/** Options of {@link resilientEither}, per call. */
export type ResilientEitherOptions = Omit<ResilientOptions<never>, 'fallback'>;

const OptionsCodec = c.config('ResilientOptions', {}, { fallback: c.fn, key: c.string, meta: t.unknown });
const EitherOptionsCodec = c.config('ResilientEitherOptions', {}, { key: c.string, meta: t.unknown });

/**
 * Validates the operator's arguments: the valid case first (it runs once per call when written inline),
 * the codec only to report what is wrong. `fallback`: whether the options may hold one. @internal
 */
export function checkArguments(
  operator: string,
  pipeline: unknown,
  options: unknown,
  fallback: boolean,
): void {
  const validPipeline = pipeline instanceof ResiliencePipeline;
  if (validPipeline && (options === undefined || validOptions(options, fallback))) return;
  const issues = validPipeline ? [] : [configIssue('pipeline', 'a ResiliencePipeline', pipeline)];
  if (options !== undefined)
    issues.push(...configIssues(fallback ? OptionsCodec : EitherOptionsCodec, options));
  throw new InvalidConfigError({ operator, issues });
}

function validOptions(options: unknown, fallback: boolean): boolean {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) return false;
  for (const key in options) {
    if (key !== 'key' && key !== 'meta' && !(fallback && key === 'fallback')) return false;
  }
  const { key, fallback: f } = options as ResilientOptions<unknown>;
  return (key === undefined || typeof key === 'string') && (f === undefined || typeof f === 'function');
}

/**
 * Protects each subscription of the source with every policy of `pipeline`, fused: the source is one
 * attempt per subscription, run in the pipeline's order (deadline, retry, breaker, bulkhead, attempt
 * timeout), and `fallback`, if given, stands in for any final error. Each subscription behaves exactly as
 * `source$.pipe(timeoutAfter(attemptTimeout), bulkhead(pool), circuitBreaker(breaker), retryBackoff(retry),
 * timeoutAfter(deadline), catchError((error) => fallback({ error, attempts, elapsed })))`, with one object
 * per call and one subscriber per attempt (see {@link ResiliencePipeline}).
 *
 * ```text
 * pipeline: { attemptTimeout: 3, retry: { maxRetries: 1, initialDelay: 2, jitter: 'none' } }
 * source   ----                  (hangs, each attempt)
 * subs     ^--!
 *          -----^--!
 * result   --------(f|)          fallback: ({ attempts, elapsed }) => of(`${attempts} attempts, ${elapsed} ms`)
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
  checkArguments('resilient', pipeline, options, true);
  const key = options?.key;
  const meta = options?.meta;
  const fallback = options?.fallback;
  return operate<T, T>((source, destination) => {
    const call = new ObservableCall<T>(pipeline, source, destination, key, meta, fallback);
    destination.add(call);
    if (!destination.closed) call.start();
  });
}
