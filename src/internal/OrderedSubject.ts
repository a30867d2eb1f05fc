import { Observable, type Observer, type Subscriber, type Subscription } from 'rxjs';

/** One subscriber of an {@link OrderedSubject}. */
interface Watcher<T> {
  readonly subscriber: Subscriber<T>;
  /** Sequence number of the last emission it was given (or that was posted before it subscribed). */
  seen: number;
  closed: boolean;
}

/** An emission waiting for its turn. */
interface Posted {
  readonly to: OrderedSubject<unknown>;
  readonly value: unknown;
  readonly seq: number;
  /** Set for a value meant for one new subscriber only (the state a breaker's `state$` starts from). */
  readonly only: Watcher<unknown> | null;
}

/**
 * The order in which emissions reach their subscribers, shared by one or more {@link OrderedSubject}s (a
 * breaker's `events$` and `state$` share one, so that events and states interleave as they happened).
 *
 * What is emitted while a delivery is on waits in one backlog, behind what was emitted before it, and is
 * delivered once the outer emission has reached every subscriber. A `Subject` would deliver it at once,
 * so the subscribers after the one that reacted would see the newer value first and the older one last,
 * and end on a state their source is no longer in. Delivery is synchronous: the backlog is empty when
 * the outermost delivery returns, and holds only what subscribers emit while reacting (or what an owner
 * posts during one operation, see {@link OrderedSubject.post}).
 * @internal
 */
export class DeliveryOrder {
  /** Sequence number of the last emission posted. */
  seq = 0;
  private delivering = false;
  private readonly backlog: Posted[] = [];

  /** Posts an emission of `to`, for delivery by {@link DeliveryOrder.flush}. */
  post(to: OrderedSubject<unknown>, value: unknown, only: Watcher<unknown> | null): void {
    this.backlog.push({ to, value, seq: only === null ? ++this.seq : 0, only });
  }

  /** Delivers `value` of `to` now, or in turn when a delivery is on or emissions wait. */
  emit(to: OrderedSubject<unknown>, value: unknown): void {
    if (this.delivering || this.backlog.length > 0) {
      this.post(to, value, null);
      this.flush();
      return;
    }
    // Nothing waits: delivered without a record of its own.
    this.delivering = true;
    try {
      to.deliver(value, ++this.seq);
      this.drain();
    } finally {
      this.backlog.length = 0;
      this.delivering = false;
    }
  }

  /** Delivers what was posted, in order, unless a delivery further up the stack will. */
  flush(): void {
    if (this.delivering || this.backlog.length === 0) return;
    this.delivering = true;
    try {
      this.drain();
    } finally {
      this.backlog.length = 0;
      this.delivering = false;
    }
  }

  private drain(): void {
    const backlog = this.backlog;
    // The backlog may grow while it is delivered: read its length on every turn.
    for (let i = 0; i < backlog.length; i++) {
      const { to, value, seq, only } = backlog[i]!;
      if (only === null) to.deliver(value, seq);
      else if (!only.closed) only.subscriber.next(value);
    }
  }
}

/**
 * A hot source of values whose re-entrant emissions reach every subscriber in order (see
 * {@link DeliveryOrder}): every subscriber sees every value emitted while it is subscribed, in the order
 * they were emitted, the last value each one sees is the last emitted, and a subscriber is never given
 * what was emitted before it subscribed (even when that is still waiting for its turn). Subscribers run
 * synchronously, within the outermost `next` (or `flush`).
 * @internal
 */
export class OrderedSubject<T> {
  private watchers: ReadonlyArray<Watcher<T>> = [];
  private view: Observable<T> | null = null;

  /** @param order The order it shares with other subjects; its own by default. */
  constructor(readonly order: DeliveryOrder = new DeliveryOrder()) {}

  /** True while it has subscribers. */
  get observed(): boolean {
    return this.watchers.length > 0;
  }

  /** Emits `value` to every subscriber, now or in turn. */
  next(value: T): void {
    if (this.watchers.length > 0) this.order.emit(this as OrderedSubject<unknown>, value);
  }

  /** Posts `value` for delivery at the order's next `flush()`: an owner emits once an operation is complete. */
  post(value: T): void {
    if (this.watchers.length > 0) this.order.post(this as OrderedSubject<unknown>, value, null);
  }

  /** Subscribers subscribe here. */
  asObservable(): Observable<T> {
    return (this.view ??= new Observable<T>((subscriber) => this.add(subscriber)));
  }

  /** Subscribes `observer` (as `asObservable().subscribe(observer)`). */
  subscribe(observer: Partial<Observer<T>> | ((value: T) => void)): Subscription {
    return this.asObservable().subscribe(observer);
  }

  /**
   * Adds `subscriber`; returns its removal. With `initial`, `subscriber` is first given that value, for it
   * only, in turn (after what is being delivered), at the order's next `flush()`.
   */
  add(subscriber: Subscriber<T>, ...initial: [] | [T]): () => void {
    const watcher: Watcher<T> = { subscriber, seen: this.order.seq, closed: false };
    this.watchers = [...this.watchers, watcher];
    if (initial.length > 0) {
      this.order.post(this as OrderedSubject<unknown>, initial[0], watcher as Watcher<unknown>);
    }
    return () => {
      watcher.closed = true;
      this.watchers = this.watchers.filter((w) => w !== watcher);
    };
  }

  /** Gives `value`, emitted as number `seq`, to every subscriber that has not seen it. @internal */
  deliver(value: unknown, seq: number): void {
    // A snapshot: subscribers added meanwhile have `seen >= seq` and are skipped anyway.
    for (const watcher of this.watchers) {
      if (watcher.closed || watcher.seen >= seq) continue;
      watcher.seen = seq;
      watcher.subscriber.next(value as T);
    }
  }
}
