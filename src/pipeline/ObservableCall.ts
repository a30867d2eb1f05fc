import { from, of, type Observable, type ObservableInput, type Subscriber } from 'rxjs';
import type { Either } from 'fp-ts/lib/Either';
import { left, right } from '../internal/either';
import { createOperatorSubscriber } from '../internal/operate';
import type { CallFailure } from './CallFailure';
import type { PipelineAttempt } from './PipelineAttempt';
import { PipelineCall } from './PipelineCall';
import type { ResiliencePipeline } from './ResiliencePipeline';

/**
 * A call of `resilient` or `resilientEither`: each attempt subscribes the source with one subscriber,
 * linked to the destination (so a downstream `take(n)` stops a synchronous source), whose handlers are
 * the attempt's `next`, `error` and `complete`. The call itself is the destination's first teardown, so
 * an unsubscribe gives everything back in the stack's order.
 * @internal
 */
export class ObservableCall<T> extends PipelineCall<T> {
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

  /**
   * The attempt is its own subscriber, owned by the call (the destination's first teardown, which
   * unsubscribes it in its own). A hedged attempt that gets its slot while the call is being torn down (an
   * earlier attempt's slot went back first) runs until its own turn comes, as in the stack, where each
   * attempt's subscriber goes in turn.
   */
  protected subscribeAttempt(attempt: PipelineAttempt<T>): void {
    if (this.destination.closed) {
      attempt.inner = this.source.subscribe({
        next: (value) => this.attemptNext(attempt, value),
        error: (error: unknown) => this.attemptError(attempt, error),
        complete: () => this.attemptComplete(attempt),
      });
      return;
    }
    this.source.subscribe(attempt);
  }

  protected releaseAttempt(attempt: PipelineAttempt<T>): void {
    const { inner } = attempt;
    if (inner !== null) {
      attempt.inner = null;
      inner.unsubscribe();
    }
    attempt.unsubscribe();
  }

  handlerThrew(error: unknown): void {
    this.destination.error(error);
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
