import { EmptyError, from, type ObservableInput } from 'rxjs';
import { LazyAbortSignal } from './LazyAbortSignal';
import type { PipelineAttempt } from './PipelineAttempt';
import { PipelineCall } from './PipelineCall';
import type { ExecuteFunction, ResiliencePipeline } from './ResiliencePipeline';

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * A call of `execute`: each attempt runs the function with its own `AbortSignal` (native when the function
 * declares a parameter, else a {@link LazyAbortSignal}, made real only if used); a promise
 * it returns is one value then completion, any other `ObservableInput` is subscribed. The outcome settles
 * the call's promise as `lastValueFrom` would. A settled attempt is never aborted: a promise's outcome
 * arrives only through `then`, and an attempt that was cut ignores it. Hedged attempts run side by side,
 * each with its own signal: a loser's aborts at the instant of the win.
 * @internal
 */
export class PromiseCall<T> extends PipelineCall<T> {
  private last: T | undefined = undefined;
  private hasValue = false;
  /** Listens to the caller's signal, if any, while the call runs. */
  private onAbort: (() => void) | null = null;

  constructor(
    pipeline: ResiliencePipeline,
    private readonly fn: ExecuteFunction<T>,
    key: string | undefined,
    private readonly callerSignal: AbortSignal | undefined,
    private readonly resolve: (value: T) => void,
    private readonly reject: (error: unknown) => void,
  ) {
    super(pipeline, key, undefined, false);
  }

  override start(): void {
    const { callerSignal } = this;
    if (callerSignal !== undefined) {
      // The caller aborted: the running attempts are cut with the caller's reason, and the call rejects.
      this.onAbort = () => {
        if (this.done) return;
        this.teardown(callerSignal.reason);
        this.reject(callerSignal.reason);
      };
      callerSignal.addEventListener('abort', this.onAbort);
    }
    super.start();
  }

  /** An attempt's outcome counts only while it runs: one that was cut (or settled) ignores the rest. */
  protected subscribeAttempt(attempt: PipelineAttempt<T>): void {
    const { fn } = this;
    let result: PromiseLike<T> | ObservableInput<T>;
    try {
      // A function that declares the signal gets a native one (it works with every API, `AbortSignal.any`
      // included); one that declares no parameter gets a lazy one, which costs nothing unless used.
      if (fn.length > 0) {
        const controller = new AbortController();
        attempt.abortable = controller;
        result = fn(controller.signal);
      } else {
        const lazy = new LazyAbortSignal();
        attempt.abortable = lazy;
        result = fn(lazy as unknown as AbortSignal);
      }
    } catch (error) {
      this.attemptError(attempt, error);
      return;
    }
    if (isPromiseLike(result)) {
      result.then(
        (value) => {
          if (!attempt.running) return;
          this.attemptNext(attempt, value);
          if (attempt.running) this.attemptComplete(attempt);
        },
        (error: unknown) => {
          if (attempt.running) this.attemptError(attempt, error);
        },
      );
      return;
    }
    const inner = from(result).subscribe({
      next: (value) => {
        if (attempt.running) this.attemptNext(attempt, value);
      },
      error: (error: unknown) => {
        if (attempt.running) this.attemptError(attempt, error);
      },
      complete: () => {
        if (attempt.running) this.attemptComplete(attempt);
      },
    });
    if (attempt.running) attempt.inner = inner;
    else inner.unsubscribe();
  }

  protected releaseAttempt(attempt: PipelineAttempt<T>, cancelled: boolean, reason: unknown): void {
    const { abortable, inner } = attempt;
    attempt.abortable = null;
    attempt.inner = null;
    if (!cancelled) return;
    inner?.unsubscribe();
    abortable?.abort(reason);
  }

  /**
   * As the rxjs form's destination erroring: the call is torn down and rejects. (`execute`'s attempts run
   * a function, or subscribe an `ObservableInput` with an observer of their own: none is a subscriber today.)
   */
  handlerThrew(error: unknown): void {
    this.settle();
    this.reject(error);
  }

  protected delivered(value: T): void {
    this.last = value;
    this.hasValue = true;
  }

  protected completed(): void {
    this.settle();
    if (this.hasValue) this.resolve(this.last as T);
    else this.reject(new EmptyError());
  }

  protected failed(error: unknown): void {
    this.settle();
    this.reject(error);
  }

  private settle(): void {
    if (this.onAbort !== null) this.callerSignal!.removeEventListener('abort', this.onAbort);
    this.teardown(undefined);
  }
}
