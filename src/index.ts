/* Operators */

/* Policies */

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
