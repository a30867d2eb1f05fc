import { Observable, Subscriber, type OperatorFunction, type TeardownLogic } from 'rxjs';

/**
 * Builds an operator from an `init` function that receives the source and the downstream subscriber.
 * A throw from `init` (or from anything it calls synchronously) reaches the error channel, because
 * rxjs subscribes an Observable through `_trySubscribe`, which routes throws to the subscriber.
 * @internal
 */
export function operate<T, R>(
  init: (source: Observable<T>, destination: Subscriber<R>) => TeardownLogic,
): OperatorFunction<T, R> {
  return (source) => new OperatedObservable(source, init);
}

/**
 * What `operate` returns for each source: `new Observable((destination) => init(source, destination))`
 * without the closure, with `source` and `init` as fields (a pipe written inline per call builds one per
 * call). rxjs 7 calls `_subscribe` through `_trySubscribe`, exactly as it calls a subscribe function
 * given to the constructor; the source is not called `source`, which rxjs reserves for `lift`.
 */
class OperatedObservable<T, R> extends Observable<R> {
  constructor(
    private readonly upstream: Observable<T>,
    private readonly init: (source: Observable<T>, destination: Subscriber<R>) => TeardownLogic,
  ) {
    super();
  }

  protected _subscribe(destination: Subscriber<R>): TeardownLogic {
    return this.init(this.upstream, destination);
  }
}

/**
 * Handlers of an operator subscriber; any one left out forwards to the destination. They are called as
 * methods of this object, so a per-call class instance can carry a call's state without a closure per
 * handler (the breaker's hot path does). @internal
 */
export interface OperatorHandlers<T> {
  readonly next?: ((value: T) => void) | undefined;
  readonly error?: ((err: unknown) => void) | undefined;
  readonly complete?: (() => void) | undefined;
  /** Runs exactly once, when the subscriber is torn down for any reason. */
  readonly finalize?: (() => void) | undefined;
}

/**
 * The contract of rxjs 8's `operate({ destination, ... })` on rxjs 7: the subscriber is linked to its
 * destination before anything subscribes it (so a downstream unsubscribe closes it, which is what stops a
 * synchronous source under `take(n)`), and every handler runs in try/catch that routes a throw to the
 * destination's error channel.
 *
 * It is linked only once its handlers are in place: a destination that is already closed (cancelled by
 * an `events$` observer while the call was being admitted, say) tears the new subscriber down inside
 * `add`, and that teardown must find `finalize` to give back what the call holds. rxjs 7's
 * `super(destination)` links before a subclass can set a field, so the linking is done here by hand,
 * exactly as that constructor does it (`destination.add(this)`), after the fields are set. Extending
 * `Subscriber` (public but marked internal) is why this is confined to this file.
 * @internal
 */
class OperatorSubscriber<T> extends Subscriber<T> {
  private readonly target: Subscriber<unknown>;
  private readonly handlers: OperatorHandlers<T>;

  constructor(destination: Subscriber<unknown>, handlers: OperatorHandlers<T>) {
    super();
    this.target = destination;
    this.handlers = handlers;
    destination.add(this);
  }

  protected override _next(value: T): void {
    const handlers = this.handlers;
    if (handlers.next === undefined) {
      this.target.next(value);
      return;
    }
    try {
      handlers.next(value);
    } catch (err) {
      this.target.error(err);
    }
  }

  protected override _error(err: unknown): void {
    const handlers = this.handlers;
    try {
      if (handlers.error === undefined) this.target.error(err);
      else handlers.error(err);
    } catch (thrown) {
      this.target.error(thrown);
    } finally {
      this.unsubscribe();
    }
  }

  protected override _complete(): void {
    const handlers = this.handlers;
    try {
      if (handlers.complete === undefined) this.target.complete();
      else handlers.complete();
    } catch (thrown) {
      this.target.error(thrown);
    } finally {
      this.unsubscribe();
    }
  }

  override unsubscribe(): void {
    if (this.closed) return;
    super.unsubscribe();
    this.handlers.finalize?.();
  }
}

/**
 * Creates a subscriber linked to `destination` (see {@link OperatorSubscriber}). When `destination` is
 * already closed, the subscriber comes back closed and its `finalize` has run: check `closed` before
 * subscribing a source with it (rxjs 7 would still run the source's subscribe function).
 * @internal
 */
export function createOperatorSubscriber<T>(
  destination: Subscriber<unknown>,
  handlers: OperatorHandlers<T> = FORWARD,
): Subscriber<T> {
  return new OperatorSubscriber(destination, handlers);
}

/**
 * A subscriber that is its own handlers, for a per-attempt object whose owner is itself linked to the
 * destination and unsubscribes this subscriber in its own teardown (a fused call holding one subscriber
 * per attempt): the link to the destination goes through the owner, so the subscriber is neither a
 * separate object nor added to the destination's teardowns (an array slot per attempt, and its removal
 * when the attempt ends). The owner must be in the destination's teardowns before the subscriber
 * subscribes anything, so that a downstream unsubscribe still stops a synchronous source. A throw from a
 * handler goes to `handleThrow` (the destination's error channel), as from {@link createOperatorSubscriber}'s.
 * @internal
 */
export abstract class OwnedSubscriber<T> extends Subscriber<T> {
  protected abstract handleNext(value: T): void;
  protected abstract handleError(err: unknown): void;
  protected abstract handleComplete(): void;
  /** A handler threw `err`. */
  protected abstract handleThrow(err: unknown): void;

  protected override _next(value: T): void {
    try {
      this.handleNext(value);
    } catch (err) {
      this.handleThrow(err);
    }
  }

  protected override _error(err: unknown): void {
    try {
      this.handleError(err);
    } catch (thrown) {
      this.handleThrow(thrown);
    } finally {
      this.unsubscribe();
    }
  }

  protected override _complete(): void {
    try {
      this.handleComplete();
    } catch (thrown) {
      this.handleThrow(thrown);
    } finally {
      this.unsubscribe();
    }
  }
}

/** No handler: everything is forwarded (shared, so a forwarding subscriber allocates no handlers). */
const FORWARD: OperatorHandlers<unknown> = Object.freeze({});
