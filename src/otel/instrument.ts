import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import * as t from 'io-ts';
import { Subscription } from 'rxjs';
import type { CircuitBreaker } from '../breaker/CircuitBreaker';
import type { Bulkhead } from '../bulkhead/Bulkhead';
import type { RetryBudget } from '../budget/RetryBudget';
import type { RateLimiter } from '../limiter/RateLimiter';
import { InvalidConfigError, type ConfigIssue } from '../errors/InvalidConfigError';
import { config } from '../internal/codecs';
import { configIssue, readConfig } from '../internal/decodeConfig';
import type { ResiliencePipeline } from '../pipeline/ResiliencePipeline';
import type { PolicyRegistry } from '../registry/PolicyRegistry';
import { recorders } from './recorders';
import { Recording } from './Recording';
import { Telemetry } from './Telemetry';

/**
 * What `instrument` records: a policy, or a registry of them (`PolicyRegistry<K, P>` for any key and
 * policy; policies of other kinds in it are skipped).
 */
export type InstrumentablePolicy =
  | ResiliencePipeline
  | CircuitBreaker
  | Bulkhead
  | RateLimiter
  | RetryBudget
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  | PolicyRegistry<any, any>;

/** Options of {@link instrument}. */
export interface InstrumentOptions {
  /**
   * Where metrics go. Left out, each record goes to the global provider as it is at that instant
   * (`metrics.getMeterProvider()`), so an SDK started after `instrument` still receives everything.
   * @default the global MeterProvider
   */
  readonly meterProvider?: MeterProvider | undefined;
  /**
   * Where spans go. Left out, the global provider (`trace.getTracerProvider()`), at each call.
   * @default the global TracerProvider
   */
  readonly tracerProvider?: TracerProvider | undefined;
}

/** An object with a method `method`, named for the config-error reporter. */
function withMethod(name: string, method: string): t.Type<object, object, unknown> {
  const ok = (u: unknown): u is object =>
    typeof u === 'object' && u !== null && typeof (u as Record<string, unknown>)[method] === 'function';
  return new t.Type<object, object, unknown>(
    name,
    ok,
    (u, ctx) => (ok(u) ? t.success(u) : t.failure(u, ctx)),
    t.identity,
  );
}

const OptionsCodec = config(
  'InstrumentOptions',
  {},
  {
    meterProvider: withMethod('a MeterProvider (an object with getMeter())', 'getMeter'),
    tracerProvider: withMethod('a TracerProvider (an object with getTracer())', 'getTracer'),
  },
);

/** `a CircuitBreaker, a Bulkhead or a PolicyRegistry`, from the recorders' kinds. */
function kinds(): string {
  const names = recorders.map((recorder) => `a ${recorder.kind}`);
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}

/** The policies and options as read once and validated (the copies `instrument` uses). */
interface Read {
  readonly policies: ReadonlyArray<object>;
  readonly options: InstrumentOptions;
}

function read(policies: unknown, options: unknown): Read {
  const issues: ConfigIssue[] = [];
  // One read of the array: a copy, so what was validated is what is recorded.
  const list: unknown[] = Array.isArray(policies) ? Array.from(policies as unknown[]) : [policies];
  const expected = Array.isArray(policies) ? kinds() : `${kinds()}, or an array of them`;
  list.forEach((policy, i) => {
    if (recorders.some((recorder) => recorder.accepts(policy))) return;
    issues.push(configIssue(Array.isArray(policies) ? `policies[${i}]` : 'policies', expected, policy));
  });
  const config = readConfig<InstrumentOptions>(OptionsCodec, options);
  for (const issue of config.issues) {
    const path = issue.path === '' ? 'options' : `options.${issue.path}`;
    issues.push(
      issue.expected.startsWith('one of the known options')
        ? { ...issue, path, message: issue.message.replace(`\`${issue.path}\``, `\`${path}\``) }
        : configIssue(path, issue.expected, issue.received),
    );
  }
  if (issues.length > 0) throw new InvalidConfigError({ operator: 'instrument', issues });
  return { policies: list as object[], options: config.value };
}

/**
 * Records the given policies in OpenTelemetry until the returned subscription is unsubscribed: call and
 * attempt durations (histograms, seconds) and one span per call with an event per attempt for a
 * `ResiliencePipeline`; outcomes, refusals, state and transitions for a `CircuitBreaker`; occupancy and
 * refusals for a `Bulkhead`; calls by result, waits and penalties for a `RateLimiter`; retries allowed and
 * refused for a `RetryBudget`; every policy of a `PolicyRegistry`, now and later, until evicted. Every
 * metric carries the policy's `name` (`rxjs_resilience.policy.name`) and, for failures, `error.type`; no
 * attribute grows with traffic (never a rate-limit key; at most 256 policy names, the rest `_OTHER`).
 * docs/telemetry.md lists every name beside resilience4j's and Polly's.
 *
 * A policy reached twice (given twice, or held by a given pipeline or registry) is recorded once.
 * Counts are kept here and read with the gauges when the SDK collects, through one batch callback per
 * meter (shared by every `instrument` call, so policies of one name add up across calls too); durations
 * and spans go to the provider in force when they happen. So an SDK registered after `instrument`
 * receives every count since `instrument`, and every duration and span from its registration. A provider
 * that throws is reported once through OpenTelemetry's `diag` and never reaches a call. Unsubscribing
 * removes every observer from the policies and this recording from the meter's callback.
 *
 * As a timeline (breaker: window of 2, `minimumCalls: 2`, `openDuration: 4`; from its spec):
 *
 * ```text
 * call f1   ^-#          fails at 1
 * call f2   ^-#          fails at 1: the breaker opens
 * call r    ---^#        refused at 3
 * state     co---h       halfOpen at 5
 * circuit_breaker.calls        {outcome=failure, error.type=HttpStatusError}  2
 * circuit_breaker.transitions  {state=open, previous_state=closed}            1
 *                              {state=halfOpen, previous_state=open}          1
 * circuit_breaker.refusals     {state=open}                                   1
 * circuit_breaker.state        {state=halfOpen} 1, every other state 0
 * ```
 *
 * @example
 * ```ts
 * import { Bulkhead, CircuitBreaker, PolicyRegistry, ResiliencePipeline } from 'rxjs-resilience';
 * import { instrument } from 'rxjs-resilience/otel';
 *
 * const users = new ResiliencePipeline({ name: 'users', breaker: new CircuitBreaker({ name: 'users' }) });
 * const pools = new PolicyRegistry({ create: () => new Bulkhead({ name: 'per-host', maxConcurrent: 4 }) });
 * const recording = instrument([users, pools]);
 * // ... on shutdown:
 * recording.unsubscribe();
 * ```
 * @throws {InvalidConfigError} when a policy is of no known kind, or an option is not a provider.
 */
export function instrument(
  policies: InstrumentablePolicy | ReadonlyArray<InstrumentablePolicy>,
  options: InstrumentOptions = {},
): Subscription {
  const config = read(policies, options);
  const telemetry = new Telemetry(config.options);
  const recording = new Recording(telemetry, recorders);
  const subscription = new Subscription(() => {
    recording.close();
    telemetry.close();
  });
  try {
    telemetry.meters();
    for (const policy of config.policies) recording.add(policy);
  } catch (error) {
    subscription.unsubscribe(); // nothing left behind, the poll's timer included
    throw error;
  }
  return subscription;
}
