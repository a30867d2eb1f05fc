import { EmptyError, from, type ObservableInput, type Subscription } from 'rxjs';
import { LazyAbortSignal } from './LazyAbortSignal';
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
 * arrives only through `then`, and an attempt that was cut ignores it.
 * @internal
 */
export class PromiseCall<T> extends PipelineCall<T> {
  /** Bumped when an attempt ends: an outcome arriving for an older attempt is ignored. */
  private attemptId = 0;
  /** What aborts the running attempt's signal: a native controller, or the lazy signal itself. */
  private abortable: AbortController | LazyAbortSignal | null = null;
  private inner: Subscription | null = null;
  private last: T | undefined = undefined;
  private hasValue = false;

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

  /** Listens to the caller's signal, if any, while the call runs. */
  private onAbort: (() => void) | null = null;

  override start(): void {
    const { callerSignal } = this;
    if (callerSignal !== undefined) {
      // The caller aborted: the running attempt is cut with the caller's reason, and the call rejects.
      this.onAbort = () => {
        if (this.done) return;
        this.teardown(callerSignal.reason);
        this.reject(callerSignal.reason);
      };
      callerSignal.addEventListener('abort', this.onAbort);
    }
    super.start();
  }

  protected subscribeAttempt(): void {
    const id = ++this.attemptId;
    const { fn } = this;
    let result: PromiseLike<T> | ObservableInput<T>;
    try {
      // A function that declares the signal gets a native one (it works with every API, `AbortSignal.any`
      // included); one that declares no parameter gets a lazy one, which costs nothing unless used.
      if (fn.length > 0) {
        const controller = new AbortController();
        this.abortable = controller;
        result = fn(controller.signal);
      } else {
        const lazy = new LazyAbortSignal();
        this.abortable = lazy;
        result = fn(lazy as unknown as AbortSignal);
      }
    } catch (error) {
      this.attemptError(error);
      return;
    }
    if (isPromiseLike(result)) {
      result.then(
        (value) => {
          if (id !== this.attemptId || !this.running) return;
          this.attemptNext(value);
          if (id === this.attemptId && this.running) this.attemptComplete();
        },
        (error: unknown) => {
          if (id === this.attemptId && this.running) this.attemptError(error);
        },
      );
      return;
    }
    const inner = from(result).subscribe({
      next: (value) => {
        if (id === this.attemptId && this.running) this.attemptNext(value);
      },
      error: (error: unknown) => {
        if (id === this.attemptId && this.running) this.attemptError(error);
      },
      complete: () => {
        if (id === this.attemptId && this.running) this.attemptComplete();
      },
    });
    if (id === this.attemptId && this.running) this.inner = inner;
    else inner.unsubscribe();
  }

  protected releaseAttempt(cancelled: boolean, reason: unknown): void {
    this.attemptId++;
    const { abortable, inner } = this;
    this.abortable = null;
    this.inner = null;
    if (!cancelled) return;
    inner?.unsubscribe();
    abortable?.abort(reason);
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
