/** Fields every {@link RateLimiterEvent} carries. */
interface RateLimiterEventBase {
  /** The limiter's `name`. */
  readonly limiter: string;
  /** Scheduler time of the event (`scheduler.now()`, ms). */
  readonly at: number;
  /** The key the call was counted against (`''` when the limiter is not keyed). */
  readonly key: string;
}

/** A call got its permit at once and subscribed to its source. */
export interface RateLimiterAdmittedEvent extends RateLimiterEventBase {
  readonly type: 'admitted';
  readonly cost: number;
}

/** A call reserved its permit and will subscribe to its source `wait` ms later. */
export interface RateLimiterDelayedEvent extends RateLimiterEventBase {
  readonly type: 'delayed';
  readonly cost: number;
  /** ms until the call starts (at most `maxWait`). */
  readonly wait: number;
}

/** A delayed call reached its turn and subscribed to its source. */
export interface RateLimiterStartedEvent extends RateLimiterEventBase {
  readonly type: 'started';
  readonly cost: number;
  /** ms it waited, from its subscribe. */
  readonly waited: number;
}

/** A call was refused with `RateLimitedError`; nothing was taken. */
export interface RateLimiterRejectedEvent extends RateLimiterEventBase {
  readonly type: 'rejected';
  readonly cost: number;
  /** As in `RateLimitedError.info`: ms until a permit could be had for this call. */
  readonly retryAfter: number;
}

/**
 * A call's subscriber left before it started (while it waited for its turn, or for an asynchronous
 * store's answer). It never starts; a permit it reserved is not given back.
 */
export interface RateLimiterAbandonedEvent extends RateLimiterEventBase {
  readonly type: 'abandoned';
  readonly cost: number;
}

/** `penalize(ms, key)` was called: no call to `key` is admitted before `at + ms`. */
export interface RateLimiterPenalizedEvent extends RateLimiterEventBase {
  readonly type: 'penalized';
  readonly ms: number;
}

/**
 * What `RateLimiter.events$` emits. Every call yields exactly one of `admitted`, `delayed` or
 * `rejected` once its decision is known (or `abandoned` if its subscriber left before); a delayed call
 * then yields exactly one of `started` or `abandoned`.
 */
export type RateLimiterEvent =
  | RateLimiterAdmittedEvent
  | RateLimiterDelayedEvent
  | RateLimiterStartedEvent
  | RateLimiterRejectedEvent
  | RateLimiterAbandonedEvent
  | RateLimiterPenalizedEvent;
