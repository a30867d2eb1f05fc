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

/** An emission posted while another one was being delivered: it waits its turn. */
interface Posted {
  readonly kind: 'event' | 'state';
  readonly value: CircuitBreakerEvent | CircuitState;
  readonly seq: number;
  /** Set for the state a new `state$` subscriber is given: for that subscriber only. */
  readonly only: Watcher<CircuitState> | undefined;
}

/**
 * The subscribers of one breaker's `events$` and `state$`, and the order they hear things in.
 *
 * An observer may react by changing the breaker (`reset()`, `isolate()`, a new call, a cancel), which
 * emits again while an emission is still on its way to the observers after it. A `Subject` would deliver
 * the new emission at once, so those later observers would see the newer state first and the older one
 * last, and end on a state the breaker is no longer in. Here an emission posted during a delivery waits
 * in a backlog, shared by both streams, until the one before it has reached every subscriber: every
 * subscriber sees every emission in the order it was posted, events and states interleaved as they
 * happened, and the last state each one sees is the breaker's. Delivery stays synchronous (the backlog is
 * empty before the outermost post returns), and a subscriber is never given what was posted before it
 * subscribed: a `state$` subscriber starts from the state current when it subscribed.
 *
 * While delivering, `host.subscribing` (the call of this breaker whose source is being subscribed, which
 * `circuitBreaker` uses to recognise a nested application of the same breaker) is cleared: a call that an
 * observer starts is never nested in another.
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

  /** Whether `events$` has a subscriber: events are built only then. */
  get eventsObserved(): boolean {
    return this.eventWatchers.length > 0;
  }

  /** Posts an event to every `events$` subscriber. */
  event(event: CircuitBreakerEvent): void {
    this.post('event', event, undefined);
  }

  /**
   * Posts a transition: its event (when `events$` is observed) and its new state, one right after the
   * other, before anything an observer does on hearing the event.
   */
  transition(event: CircuitBreakerEvent | undefined, state: CircuitState): void {
    if (event === undefined) {
      this.post('state', state, undefined);
      return;
    }
    const eventSeq = ++this.seq;
    const stateSeq = ++this.seq;
    const posted: Posted = { kind: 'state', value: state, seq: stateSeq, only: undefined };
    if (this.delivering) {
      this.backlog.push({ kind: 'event', value: event, seq: eventSeq, only: undefined }, posted);
      return;
    }
    // First in the backlog: delivered as soon as the event has reached every subscriber.
    this.backlog.push(posted);
    this.drain('event', event, eventSeq, undefined);
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

  /** Adds a `state$` subscriber and gives it `current` (in turn, if a delivery is on); returns its removal. */
  addStateWatcher(subscriber: Subscriber<CircuitState>, current: CircuitState): () => void {
    const watcher = { subscriber, seen: this.seq, closed: false };
    this.stateWatchers = [...this.stateWatchers, watcher];
    this.post('state', current, watcher);
    return () => {
      watcher.closed = true;
      this.stateWatchers = this.stateWatchers.filter((w) => w !== watcher);
    };
  }

  private post(
    kind: 'event' | 'state',
    value: CircuitBreakerEvent | CircuitState,
    only: Watcher<CircuitState> | undefined,
  ): void {
    const seq = only === undefined ? ++this.seq : only.seen;
    if (this.delivering) {
      this.backlog.push({ kind, value, seq, only });
      return;
    }
    this.drain(kind, value, seq, only);
  }

  /** Delivers one emission, then the backlog, with `delivering` set. */
  private drain(
    kind: 'event' | 'state',
    value: CircuitBreakerEvent | CircuitState,
    seq: number,
    only: Watcher<CircuitState> | undefined,
  ): void {
    this.delivering = true;
    const subscribing = this.host.subscribing;
    this.host.subscribing = undefined;
    try {
      this.deliver(kind, value, seq, only);
      // The backlog may grow while it is delivered: read its length on every turn.
      for (let i = 0; i < this.backlog.length; i++) {
        const posted = this.backlog[i]!;
        this.deliver(posted.kind, posted.value, posted.seq, posted.only);
      }
    } finally {
      this.backlog.length = 0;
      this.delivering = false;
      this.host.subscribing = subscribing;
    }
  }

  private deliver(
    kind: 'event' | 'state',
    value: CircuitBreakerEvent | CircuitState,
    seq: number,
    only: Watcher<CircuitState> | undefined,
  ): void {
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
