import type { Subscriber } from 'rxjs';
import type { CircuitBreakerEvent } from './CircuitBreakerEvent';
import type { CircuitState } from './CircuitState';

/** One subscriber of `events$` or `state$`. */
interface Watcher<T> {
  readonly subscriber: Subscriber<T>;
  /** Sequence number of the last emission it was given (or that was posted before it subscribed). */
  seen: number;
  closed: boolean;
}

/** An emission waiting for its turn. */
interface Posted {
  readonly kind: 'event' | 'state';
  readonly value: CircuitBreakerEvent | CircuitState;
  readonly seq: number;
  /** Set for the state a new `state$` subscriber starts from: for that subscriber only. */
  readonly only: Watcher<CircuitState> | undefined;
}

/**
 * The subscribers of one breaker's `events$` and `state$`, and the order they hear things in.
 *
 * An observer may react by changing the breaker (`reset()`, `isolate()`, a new call, a cancel). Two rules
 * keep every observer right:
 * - The breaker posts what an operation emits and delivers it with `flush()` once the operation is
 *   complete: an observer never sees, nor acts on, a breaker halfway through recording an outcome or a
 *   transition.
 * - What is posted while a delivery is on waits in the same backlog, behind what was posted before it. A
 *   `Subject` would deliver it at once, so the observers after the one that reacted would see the newer
 *   state first and the older one last, and end on a state the breaker is no longer in.
 *
 * So every subscriber sees every emission in the order it was posted (events and states interleaved as
 * they happened), the last state each one sees is the breaker's, and a subscriber is never given what
 * was posted before it subscribed (a `state$` subscriber starts from the state current then). Delivery is
 * synchronous: the backlog is empty when the outermost `flush()` returns. It holds only what one operation
 * and the observers' reactions to it emit.
 *
 * While delivering, `host.subscribing` (the call of this breaker whose source is being subscribed, which
 * `circuitBreaker` uses to recognise the same breaker applied twice) is cleared: a call an observer starts
 * is never nested in another.
 * @internal
 */
export class BreakerSignals {
  private eventWatchers: ReadonlyArray<Watcher<CircuitBreakerEvent>> = [];
  private stateWatchers: ReadonlyArray<Watcher<CircuitState>> = [];
  /** Sequence number of the last emission posted. */
  private seq = 0;
  private delivering = false;
  private readonly backlog: Posted[] = [];

  constructor(private readonly host: { subscribing: unknown }) {}

  /** Posts an event for every `events$` subscriber (delivered by `flush`). */
  event(event: CircuitBreakerEvent): void {
    this.backlog.push({ kind: 'event', value: event, seq: ++this.seq, only: undefined });
  }

  /** Posts a state for every `state$` subscriber (delivered by `flush`). */
  state(state: CircuitState): void {
    if (this.stateWatchers.length === 0) return;
    this.backlog.push({ kind: 'state', value: state, seq: ++this.seq, only: undefined });
  }

  /** Adds an `events$` subscriber; returns its removal. */
  addEventWatcher(subscriber: Subscriber<CircuitBreakerEvent>): () => void {
    const watcher = { subscriber, seen: this.seq, closed: false };
    this.eventWatchers = [...this.eventWatchers, watcher];
    return () => {
      watcher.closed = true;
      this.eventWatchers = this.eventWatchers.filter((w) => w !== watcher);
    };
  }

  /** Adds a `state$` subscriber and delivers `current` to it, in turn; returns its removal. */
  addStateWatcher(subscriber: Subscriber<CircuitState>, current: CircuitState): () => void {
    const watcher = { subscriber, seen: this.seq, closed: false };
    this.stateWatchers = [...this.stateWatchers, watcher];
    this.backlog.push({ kind: 'state', value: current, seq: watcher.seen, only: watcher });
    this.flush();
    return () => {
      watcher.closed = true;
      this.stateWatchers = this.stateWatchers.filter((w) => w !== watcher);
    };
  }

  /** Delivers what was posted, in order, unless a delivery further up the stack will. */
  flush(): void {
    if (this.delivering || this.backlog.length === 0) return;
    this.delivering = true;
    const subscribing = this.host.subscribing;
    this.host.subscribing = undefined;
    try {
      // The backlog may grow while it is delivered: read its length on every turn.
      for (let i = 0; i < this.backlog.length; i++) this.deliver(this.backlog[i]!);
    } finally {
      this.backlog.length = 0;
      this.delivering = false;
      this.host.subscribing = subscribing;
    }
  }

  private deliver({ kind, value, seq, only }: Posted): void {
    if (only !== undefined) {
      if (!only.closed) only.subscriber.next(value as CircuitState);
      return;
    }
    // A snapshot: subscribers added meanwhile have `seen >= seq` and are skipped anyway.
    const watchers: ReadonlyArray<Watcher<unknown>> =
      kind === 'event' ? this.eventWatchers : this.stateWatchers;
    for (const watcher of watchers) {
      if (watcher.closed || watcher.seen >= seq) continue;
      watcher.seen = seq;
      watcher.subscriber.next(value);
    }
  }
}
