/** The kinds of OpenTelemetry instrument the recorders use. @internal */
export type InstrumentKind =
  'observableCounter' | 'histogram' | 'observableUpDownCounter' | 'observableGauge';

/** One metric: its name, instrument kind, unit and description, as exported. @internal */
export interface InstrumentSpec<K extends InstrumentKind = InstrumentKind> {
  readonly name: string;
  readonly kind: K;
  /** UCUM unit: `s` for durations (OpenTelemetry's convention), `{call}`-style annotations for counts. */
  readonly unit: string;
  readonly description: string;
}

/**
 * Bucket boundaries, in seconds, advised for every duration histogram: OpenTelemetry's HTTP duration
 * buckets (`http.client.request.duration`), so resilience and HTTP latencies line up on one dashboard.
 * An SDK view may override them.
 * @internal
 */
export const DURATION_BUCKETS: ReadonlyArray<number> = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];

function spec<K extends InstrumentKind>(
  kind: K,
  name: string,
  unit: string,
  description: string,
): InstrumentSpec<K> {
  return { name, kind, unit, description };
}

/**
 * Every metric `instrument` records, one per policy concern. Names follow OpenTelemetry's conventions
 * (lowercase, dot-separated, `_` inside a component, durations in seconds); docs/telemetry.md shows them
 * beside resilience4j's and Polly's.
 * @internal
 */
export const INSTRUMENTS = {
  /* ResiliencePipeline */
  pipelineCallDuration: spec(
    'histogram',
    'rxjs_resilience.pipeline.call.duration',
    's',
    'Duration of pipeline calls, from subscribe to outcome (attempts, waits and backoff included), by outcome',
  ),
  pipelineAttemptDuration: spec(
    'histogram',
    'rxjs_resilience.pipeline.attempt.duration',
    's',
    'Duration of pipeline attempts that reached the dependency, by outcome',
  ),
  pipelineRetries: spec(
    'observableCounter',
    'rxjs_resilience.pipeline.retries',
    '{attempt}',
    'Attempts after the first that reached the dependency, in pipelines that retry',
  ),
  pipelineHedges: spec(
    'observableCounter',
    'rxjs_resilience.pipeline.hedges',
    '{attempt}',
    'Attempts after the first that reached the dependency, in pipelines that hedge',
  ),

  /* CircuitBreaker */
  breakerCalls: spec(
    'observableCounter',
    'rxjs_resilience.circuit_breaker.calls',
    '{call}',
    'Calls a breaker admitted that ended, by outcome (success, failure, ignored, cancelled)',
  ),
  breakerRefusals: spec(
    'observableCounter',
    'rxjs_resilience.circuit_breaker.refusals',
    '{call}',
    'Calls a breaker refused with CircuitOpenError, by the state that refused them',
  ),
  breakerTransitions: spec(
    'observableCounter',
    'rxjs_resilience.circuit_breaker.transitions',
    '{transition}',
    'State changes of a breaker, by the state entered and the state left',
  ),
  breakerState: spec(
    'observableUpDownCounter',
    'rxjs_resilience.circuit_breaker.state',
    '{breaker}',
    'Breakers in each state (1 for the current state of one breaker, 0 for the others)',
  ),

  /* Bulkhead */
  bulkheadActive: spec(
    'observableUpDownCounter',
    'rxjs_resilience.bulkhead.active',
    '{call}',
    'Calls running',
  ),
  bulkheadQueued: spec(
    'observableUpDownCounter',
    'rxjs_resilience.bulkhead.queued',
    '{call}',
    'Calls waiting for a slot',
  ),
  bulkheadLimit: spec(
    'observableUpDownCounter',
    'rxjs_resilience.bulkhead.limit',
    '{call}',
    'Calls that may run at once (maxConcurrent, or where an adaptive limit moved it)',
  ),
  bulkheadRefusals: spec(
    'observableCounter',
    'rxjs_resilience.bulkhead.refusals',
    '{call}',
    'Calls a bulkhead refused with BulkheadRejectedError, by reason (full, queueTimeout)',
  ),

  /* RateLimiter */
  rateLimiterCalls: spec(
    'observableCounter',
    'rxjs_resilience.rate_limiter.calls',
    '{call}',
    'Calls a rate limiter decided, by result (admitted at once, delayed for a permit, refused, failed: the store could not decide)',
  ),
  rateLimiterWaiting: spec(
    'observableUpDownCounter',
    'rxjs_resilience.rate_limiter.waiting',
    '{call}',
    'Calls waiting for their turn, their permit reserved',
  ),
  rateLimiterPenalties: spec(
    'observableCounter',
    'rxjs_resilience.rate_limiter.penalties',
    '{penalty}',
    'Calls of penalize (a 429 or 503 with Retry-After)',
  ),
  rateLimiterKeys: spec(
    'observableUpDownCounter',
    'rxjs_resilience.rate_limiter.keys',
    '{key}',
    'Keys the rate limiter holds in this process (how many, never which)',
  ),

  /* RetryBudget */
  retryBudgetRetries: spec(
    'observableCounter',
    'rxjs_resilience.retry_budget.retries',
    '{attempt}',
    'Retries and extra hedges asked of a retry budget, by decision (allowed, refused)',
  ),
  retryBudgetBalance: spec(
    'observableGauge',
    'rxjs_resilience.retry_budget.balance',
    '{attempt}',
    'Retries a retry budget would allow now',
  ),
} as const;
