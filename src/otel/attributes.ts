/**
 * Attribute keys. Every metric and span carries {@link POLICY_NAME}; the others have a handful of values
 * each, so no attribute grows with traffic (a rate-limit key, a URL or a user id never becomes one).
 * @internal
 */

/** The policy's `name` (`CircuitBreaker`, `Bulkhead`, `ResiliencePipeline`, ...). */
export const POLICY_NAME = 'rxjs_resilience.policy.name';
/** How a call or attempt ended: `success`, `failure`, `cancelled` (a breaker adds `ignored`). */
export const OUTCOME = 'rxjs_resilience.outcome';
/** A breaker's state: `closed`, `open`, `halfOpen`, `isolated` (the values of `CircuitState`). */
export const BREAKER_STATE = 'rxjs_resilience.circuit_breaker.state';
/** The state a breaker left, on `rxjs_resilience.circuit_breaker.transitions`. */
export const BREAKER_PREVIOUS_STATE = 'rxjs_resilience.circuit_breaker.previous_state';
/** Why a bulkhead refused a call: `full` or `queueTimeout` (as `BulkheadRejectedError.info.reason`). */
export const BULKHEAD_REASON = 'rxjs_resilience.bulkhead.reason';
/** An attempt's number within its call, from 1 (on span events only, never on metrics). */
export const ATTEMPT_NUMBER = 'rxjs_resilience.attempt.number';
/** Attempts of a call that reached the dependency (on the call's span). */
export const ATTEMPTS = 'rxjs_resilience.attempts';
/** OpenTelemetry's stable `error.type`: the error's class, `_OTHER` for a thrown non-Error. */
export const ERROR_TYPE = 'error.type';
