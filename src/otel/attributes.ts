// Attribute keys. Every metric and span carries POLICY_NAME; the others have a handful of values each,
// so no attribute grows with traffic (a rate-limit key, a URL or a user id never becomes one).

/** The policy's `name` (`CircuitBreaker`, `Bulkhead`, `ResiliencePipeline`, ...). @internal */
export const POLICY_NAME = 'rxjs_resilience.policy.name';
/** How a call or attempt ended: `success`, `failure`, `cancelled` (a breaker adds `ignored`). @internal */
export const OUTCOME = 'rxjs_resilience.outcome';
/** A breaker's state: `closed`, `open`, `halfOpen`, `isolated` (the values of `CircuitState`). @internal */
export const BREAKER_STATE = 'rxjs_resilience.circuit_breaker.state';
/** The state a breaker left, on `rxjs_resilience.circuit_breaker.transitions`. @internal */
export const BREAKER_PREVIOUS_STATE = 'rxjs_resilience.circuit_breaker.previous_state';
/** Why a bulkhead refused a call: `full` or `queueTimeout` (as `BulkheadRejectedError.info.reason`). @internal */
export const BULKHEAD_REASON = 'rxjs_resilience.bulkhead.reason';
/** An attempt's number within its call, from 1 (on span events only, never on metrics). @internal */
export const ATTEMPT_NUMBER = 'rxjs_resilience.attempt.number';
/** Attempts of a call that reached the dependency (on the call's span). @internal */
export const ATTEMPTS = 'rxjs_resilience.attempts';
/** OpenTelemetry's stable `error.type`: the error's class, `_OTHER` for a thrown non-Error. @internal */
export const ERROR_TYPE = 'error.type';
/** A rate limiter's decision: `admitted`, `delayed`, `refused`, `failed`. @internal */
export const RATE_LIMITER_RESULT = 'rxjs_resilience.rate_limiter.result';
/** A retry budget's decision on a retry: `allowed`, `refused`. @internal */
export const RETRY_BUDGET_DECISION = 'rxjs_resilience.retry_budget.decision';
