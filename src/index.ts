/* Operators */
export { circuitBreaker } from './operators/circuitBreaker';

/* Policies */
export { CircuitBreaker } from './breaker/CircuitBreaker';

/* Errors */
export { ResilienceError, isResilienceError } from './errors/ResilienceError';
export type { ResilienceErrorTag } from './errors/ResilienceError';
export { TimeoutExceededError, isTimeoutExceededError } from './errors/TimeoutExceededError';
export type { TimeoutExceededInfo } from './errors/TimeoutExceededError';
export { CircuitOpenError, isCircuitOpenError } from './errors/CircuitOpenError';
export type { CircuitOpenInfo } from './errors/CircuitOpenError';
export { BulkheadRejectedError, isBulkheadRejectedError } from './errors/BulkheadRejectedError';
export type { BulkheadRejectedInfo } from './errors/BulkheadRejectedError';
export { BufferOverflowError, isBufferOverflowError } from './errors/BufferOverflowError';
export type { BufferOverflowInfo } from './errors/BufferOverflowError';
export { InvalidConfigError, isInvalidConfigError } from './errors/InvalidConfigError';
export type { ConfigIssue, InvalidConfigInfo } from './errors/InvalidConfigError';

/* Types */
export type { CircuitBreakerConfig, CircuitBreakerWindow } from './breaker/CircuitBreaker';
export type { CircuitBreakerOperatorConfig } from './operators/circuitBreaker';
export type { CircuitState } from './breaker/CircuitState';
export type { CircuitBreakerEvent, CircuitTransitionReason } from './breaker/CircuitBreakerEvent';
export type { CircuitBreakerMetrics } from './breaker/CircuitBreakerMetrics';
export type { CircuitBreakerSnapshot } from './breaker/CircuitBreakerSnapshot';
export type { OutcomeWindowSnapshot } from './breaker/OutcomeWindow';
