import { from, of, type Observable, type ObservableInput, type Subscriber } from 'rxjs';
import type { Either } from 'fp-ts/lib/Either';
import { left, right } from '../internal/either';
import { createOperatorSubscriber, type OperatorHandlers } from '../internal/operate';
import type { CallFailure } from './CallFailure';
import { PipelineCall } from './PipelineCall';
import type { ResiliencePipeline } from './ResiliencePipeline';

/**
 * A call of `resilient` or `resilientEither`: each attempt subscribes the source with one subscriber,
 * linked to the destination (so a downstream `take(n)` stops a synchronous source), whose handlers are
 * this object's `next`, `error` and `complete`. The call itself is the destination's first teardown, so
 * an unsubscribe gives everything back in the stack's order.
 * @internal
 */
export class ObservableCall<T> extends PipelineCall<T> implements OperatorHandlers<T> {
  private subscriber: Subscriber<T> | null = null;
  /** Inside `start`: the call's first, synchronous subscribe. */
  private starting = false;
  /** A replacement (fallback or `left`) made while starting, subscribed once `start` returns. */
  private replacement: Observable<T | Either<CallFailure, T>> | null = null;

  constructor(
    pipeline: ResiliencePipeline,
    private readonly source: Observable<T>,
    private readonly destination: Subscriber<T | Either<CallFailure, T>>,
    key: string | undefined,
    meta: unknown,
    /** `undefined`: the call errors; `null`: `resilientEither`; a function: `resilient`'s fallback. */
    private readonly fallback: ((failure: CallFailure) => ObservableInput<T>) | null | undefined,
  ) {
    super(pipeline, key, meta, fallback !== undefined);
  }

  override start(): void {
    this.starting = true;
    super.start();
    this.starting = false;
    const { replacement } = this;
    if (replacement !== null) {
      this.replacement = null;
      replacement.subscribe(createOperatorSubscriber(this.destination));
    }
  }

  next(value: T): void {
    this.attemptNext(value);
  }

  error(error: unknown): void {
    this.attemptError(error);
  }

  complete(): void {
    this.attemptComplete();
  }

  protected subscribeAttempt(): void {
    const subscriber = createOperatorSubscriber<T>(this.destination, this);
    this.subscriber = subscriber;
    this.source.subscribe(subscriber);
  }

  protected releaseAttempt(): void {
    const subscriber = this.subscriber;
    if (subscriber === null) return;
    this.subscriber = null;
    subscriber.unsubscribe();
  }

  protected delivered(value: T): void {
    this.destination.next(this.fallback === null ? right(value) : value);
  }

  protected completed(): void {
    this.destination.complete();
  }

  protected failed(error: unknown): void {
    const { destination, fallback } = this;
    if (fallback === undefined) {
      destination.error(error);
      return;
    }
    // As `catchError`: the replacement is made, the call torn down, then the replacement subscribed (once
    // the call's first subscribe has returned, when the call failed during it).
    const failure = this.failure(error);
    let replacement: Observable<T | Either<CallFailure, T>>;
    if (fallback === null) {
      replacement = of(left(failure));
    } else {
      try {
        replacement = from(fallback(failure));
      } catch (thrown) {
        destination.error(thrown);
        return;
      }
    }
    this.teardown(undefined);
    if (this.starting) this.replacement = replacement;
    else replacement.subscribe(createOperatorSubscriber(destination));
  }
}
