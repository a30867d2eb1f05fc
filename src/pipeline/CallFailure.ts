/**
 * How a call through a {@link ResiliencePipeline} failed, given to `fallback` and carried by the `left` of
 * `resilientEither`.
 */
export interface CallFailure {
  /**
   * The call's final error: the last attempt's error, a refusal (`CircuitOpenError`,
   * `BulkheadRejectedError`), or the deadline's `TimeoutExceededError`.
   */
  readonly error: unknown;
  /** Attempts that reached the call (subscribed the source); attempts refused by a policy are not counted. */
  readonly attempts: number;
  /** ms from the call's subscribe to its failure (scheduler time). */
  readonly elapsed: number;
}
