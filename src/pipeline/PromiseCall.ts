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
  /** The settling functions of the call's own Promise, once `promise` has made one. */
  private resolveCall: ((value: T) => void) | null = null;
  private rejectCall: ((error: unknown) => void) | null = null;
  /** Its outcome, when it settled with no Promise of its own to settle (see `promise`). */
  private settled: 'no' | 'resolved' | 'rejected' = 'no';
  private outcome: unknown = undefined;
  /** Inside `promise`'s synchronous start. */
  private starting = false;
  /** What `promise` returns when the call's outcome is its only attempt's promise (see `subscribeAttempt`). */
  private direct: Promise<T> | null = null;

  constructor(
    pipeline: ResiliencePipeline,
    private readonly fn: ExecuteFunction<T>,
    key: string | undefined,
    private readonly callerSignal: AbortSignal | undefined,
  ) {
    super(pipeline, key, undefined, false);
  }

  /**
   * Starts the call and returns its Promise: settled already when the call ended synchronously; the
   * attempt's own promise followed by the call's outcome when nothing but that promise can end the call
   * (see `subscribeAttempt`); else a Promise the call settles.
   */
  promise(): Promise<T> {
    this.starting = true;
    try {
      this.start();
    } catch (error) {
      // As a throw inside a Promise's executor.
      this.reject(error);
    } finally {
      this.starting = false;
    }
    if (this.settled !== 'no') return this.settledPromise();
    if (this.direct !== null) return this.direct;
    return this.pending();
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
      if (
        result instanceof Promise &&
        this.starting &&
        this.callerSignal === undefined &&
        this.pipeline.uncuttable &&
        this.hedged === null
      ) {
        // Nothing but this promise can end the call (no timer, no caller's signal, no other attempt), and
        // the call has no Promise yet: the call's promise is this one's, followed by the call's outcome,
        // with no Promise of its own.
        this.direct = (result as Promise<T>).then(
          (value) => {
            if (attempt.running) {
              this.attemptNext(attempt, value);
              if (attempt.running) this.attemptComplete(attempt);
            }
            return this.followed();
          },
          (error: unknown) => {
            if (attempt.running) this.attemptError(attempt, error);
            return this.followed();
          },
        );
        return;
      }
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

  private resolve(value: T): void {
    if (this.resolveCall !== null) {
      this.resolveCall(value);
    } else if (this.settled === 'no') {
      this.settled = 'resolved';
      this.outcome = value;
    }
  }

  private reject(error: unknown): void {
    if (this.rejectCall !== null) {
      this.rejectCall(error);
    } else if (this.settled === 'no') {
      this.settled = 'rejected';
      this.outcome = error;
    }
  }

  private settledPromise(): Promise<T> {
    return this.settled === 'resolved' ? Promise.resolve(this.outcome as T) : Promise.reject(this.outcome);
  }

  /** A Promise the call settles later. */
  private pending(): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.resolveCall = resolve;
      this.rejectCall = reject;
    });
  }

  /** What the direct promise resolves to once its attempt's promise settled: the call's outcome. */
  private followed(): T | Promise<T> {
    if (this.settled === 'resolved') return this.outcome as T;
    if (this.settled === 'rejected') throw this.outcome;
    return this.pending();
  }
}
