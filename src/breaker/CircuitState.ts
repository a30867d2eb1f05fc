/**
 * The state of a `CircuitBreaker`:
 * - `closed`: calls pass; outcomes fill the window, which may open the breaker;
 * - `open`: every call is refused until `openDuration` has elapsed;
 * - `halfOpen`: `halfOpenCalls` probes are admitted, their outcomes close or reopen the breaker;
 * - `isolated`: every call is refused until `reset()`.
 */
export type CircuitState = 'closed' | 'open' | 'halfOpen' | 'isolated';
