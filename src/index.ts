/**
 * Resilience operators and policies for RxJS 7: timeouts, retries with jittered backoff, circuit
 * breakers, bulkheads, rate limits, retry budgets, hedging, bounded buffers and fault injection, each
 * running in virtual time; {@link ResiliencePipeline} puts one dependency's policies in one fixed order.
 *
 * Loaded by `import` (the ES module build, which bundlers tree-shake) and by `require` (the CommonJS
 * build) alike. Other entry points: `rxjs-resilience/testing`, `rxjs-resilience/testing/marbles`,
 * `rxjs-resilience/otel` and `rxjs-resilience/redis`.
 * @module rxjs-resilience
 */

/* Operators */
export { timeoutAfter } from './operators/timeoutAfter';
export { retryBackoff } from './operators/retryBackoff';
export { injectFaults } from './chaos/injectFaults';
export { seededRandom } from './chaos/seededRandom';
export { circuitBreaker } from './operators/circuitBreaker';
export { bulkhead } from './operators/bulkhead';
export { boundedMergeMap } from './operators/boundedMergeMap';
export { boundedMergeMapNotices } from './operators/boundedMergeMapNotices';
export { isNotice, isTerminalNotice } from './operators/BoundedMergeMapNotice';
export { rateLimit } from './operators/rateLimit';
export { hedge } from './operators/hedge';

/* Adapters (the edge: Promise-based APIs as cancellable Observables) */
export { fetchRequest } from './adapters/fetchRequest';

/* Pipeline: every policy of one dependency, in one fixed order, fused */
export { ResiliencePipeline } from './pipeline/ResiliencePipeline';
export { resilient } from './pipeline/resilient';
export { resilientEither } from './pipeline/resilientEither';

/* Policies */
export { CircuitBreaker } from './breaker/CircuitBreaker';
export { Bulkhead } from './bulkhead/Bulkhead';
export { PolicyRegistry } from './registry/PolicyRegistry';
export { RateLimiter } from './limiter/RateLimiter';
export { MemoryRateLimitStore } from './limiter/MemoryRateLimitStore';
export { RetryBudget } from './budget/RetryBudget';

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
export { InjectedFaultError, isInjectedFaultError } from './errors/InjectedFaultError';
export type { FaultKind, InjectedFaultInfo } from './errors/InjectedFaultError';
export { HttpStatusError, isHttpStatusError } from './errors/HttpStatusError';
export type { HttpStatusInfo } from './errors/HttpStatusError';
export { NetworkError, isNetworkError } from './errors/NetworkError';
export type { NetworkErrorInfo } from './errors/NetworkError';
export { RequestError, isRequestError } from './errors/RequestError';
export type { RequestErrorInfo, RequestErrorReason } from './errors/RequestError';
export { RateLimitedError, isRateLimitedError } from './errors/RateLimitedError';
export type { RateLimitedInfo } from './errors/RateLimitedError';
export { isRefusal } from './errors/isRefusal';
export { isTransient } from './errors/isTransient';

/* Types */
export type {
  ResiliencePipelineConfig,
  ExecuteFunction,
  ExecuteOptions,
} from './pipeline/ResiliencePipeline';
export type { ResilientOptions, ResilientEitherOptions } from './pipeline/resilient';
export type { CallFailure } from './pipeline/CallFailure';
export type {
  PipelineEvent,
  PipelineStartEvent,
  PipelineAttemptEvent,
  PipelineCallEvent,
  PipelineAttemptOutcome,
  PipelineCallOutcome,
} from './pipeline/PipelineEvent';
export type { TimeoutAfterConfig } from './operators/timeoutAfter';
export type { RetryBackoffConfig, RetryBackoffJitter } from './operators/retryBackoff';
export type { BulkheadConfig, BulkheadMetrics } from './bulkhead/Bulkhead';
export type {
  AdaptiveLimitConfig,
  AimdLimitConfig,
  Gradient2LimitConfig,
  VegasLimitConfig,
} from './bulkhead/AdaptiveLimitConfig';
export type {
  BulkheadEvent,
  BulkheadAdmittedEvent,
  BulkheadQueuedEvent,
  BulkheadStartedEvent,
  BulkheadRejectedEvent,
  BulkheadReleasedEvent,
  BulkheadLimitEvent,
} from './bulkhead/BulkheadEvent';
export type { PolicyRegistryConfig } from './registry/PolicyRegistry';
export type {
  PolicyRegistryEvent,
  PolicyCreatedEvent,
  PolicyEvictedEvent,
} from './registry/PolicyRegistryEvent';
export type {
  InjectFaultsConfig,
  InjectFaultsOptions,
  ScriptedFaultsConfig,
  TriggeredFaultsBase,
  TriggeredFaultsConfig,
} from './chaos/injectFaults';
export type { FaultPoint, FaultWhen } from './chaos/FaultTrigger';
export type { FetchRequestOptions, FetchResult, FetchBodyReader } from './adapters/fetchRequest';
export type { CircuitBreakerConfig, CircuitBreakerWindow } from './breaker/CircuitBreaker';
export type { CircuitBreakerOperatorConfig } from './operators/circuitBreaker';
export type { CircuitState } from './breaker/CircuitState';
export type { CircuitBreakerEvent, CircuitTransitionReason } from './breaker/CircuitBreakerEvent';
export type { CircuitBreakerMetrics } from './breaker/CircuitBreakerMetrics';
export type { CircuitBreakerSnapshot } from './breaker/CircuitBreakerSnapshot';
export type { OutcomeWindowSnapshot } from './breaker/OutcomeWindow';
export type { BoundedMergeMapConfig, BoundedMergeMapOverflow } from './operators/boundedMergeMap';
export type {
  BoundedMergeMapNotice,
  BoundedMergeMapNoticeKind,
  AcceptedNotice,
  StartedNotice,
  ResultNotice,
  FinishedNotice,
  FailedNotice,
  DroppedNotice,
  NoticeOfKind,
} from './operators/BoundedMergeMapNotice';
export type { RateLimiterConfig, RateLimiterMetrics } from './limiter/RateLimiter';
export type {
  RateLimiterEvent,
  RateLimiterAdmittedEvent,
  RateLimiterDelayedEvent,
  RateLimiterStartedEvent,
  RateLimiterRejectedEvent,
  RateLimiterAbandonedEvent,
  RateLimiterPenalizedEvent,
} from './limiter/RateLimiterEvent';
export type { RateLimitStore, RateLimitRule, RateLimitAnswer } from './limiter/RateLimitStore';
export type { RateLimitConfig } from './operators/rateLimit';
export type { RetryBudgetConfig, RetryBudgetMetrics } from './budget/RetryBudget';
export type { RetryBudgetEvent } from './budget/RetryBudgetEvent';
export type { HedgeConfig } from './operators/hedge';
