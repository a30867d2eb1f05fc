/** Fields every {@link BulkheadEvent} carries. `active` and `queued` are counted after the event. */
interface BulkheadEventBase {
  /** The bulkhead's `name`. */
  readonly bulkhead: string;
  /** Scheduler time of the event (`scheduler.now()`, ms). */
  readonly at: number;
  /** Calls running after the event. */
  readonly active: number;
  /** Calls waiting after the event. */
  readonly queued: number;
}

/** A call found a free slot when it subscribed and started at once. */
export interface BulkheadAdmittedEvent extends BulkheadEventBase {
  readonly type: 'admitted';
}

/** A call found every slot taken and joined the queue. */
export interface BulkheadQueuedEvent extends BulkheadEventBase {
  readonly type: 'queued';
}

/** A waiting call took a slot freed by a call that ended, `waited` ms after it joined the queue. */
export interface BulkheadStartedEvent extends BulkheadEventBase {
  readonly type: 'started';
  /** ms spent in the queue. */
  readonly waited: number;
}

/**
 * A call was refused: `'full'` at subscribe time (slots and queue full; it never waited), or
 * `'queueTimeout'` after waiting `queueTimeout` ms. Its source was never subscribed.
 */
export interface BulkheadRejectedEvent extends BulkheadEventBase {
  readonly type: 'rejected';
  readonly reason: 'full' | 'queueTimeout';
  /** ms spent in the queue (0 for `'full'`). */
  readonly waited: number;
}

/**
 * A call gave back what it held: its slot (`held: 'slot'`) when its source completed or errored or it
 * was unsubscribed, or its place in the queue (`held: 'queue'`) when its subscriber left before it
 * started. (How a call ended is its caller's to see; a bulkhead only counts slots.)
 */
export interface BulkheadReleasedEvent extends BulkheadEventBase {
  readonly type: 'released';
  readonly held: 'slot' | 'queue';
}

/**
 * An adaptive pool's limit moved, from `from` to `to` calls at once, after a call ended (a success or a
 * drop; windowed, the call that closed a window). A rise starts waiting calls at once (their `started`
 * events follow); a fall cancels nothing: running calls go on, and no call starts until fewer than `to`
 * run. `active` and `queued` are counted before the ending call gives its slot back (its `released`
 * event follows).
 */
export interface BulkheadLimitEvent extends BulkheadEventBase {
  readonly type: 'limit';
  /** The limit before. */
  readonly from: number;
  /** The limit now (`pool.limit`). */
  readonly to: number;
}

/**
 * What `Bulkhead.events$` emits. Every call yields exactly one of `admitted`, `queued` or
 * `rejected('full')`; a queued call then yields exactly one of `started`, `rejected('queueTimeout')` or
 * `released('queue')`; a call that held a slot yields exactly one `released('slot')` when it ends. An
 * adaptive pool adds a `limit` event each time its limit moves.
 */
export type BulkheadEvent =
  | BulkheadAdmittedEvent
  | BulkheadQueuedEvent
  | BulkheadStartedEvent
  | BulkheadRejectedEvent
  | BulkheadReleasedEvent
  | BulkheadLimitEvent;
