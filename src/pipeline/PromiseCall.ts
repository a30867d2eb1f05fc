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
  /** Its Promise's settling functions, once made. */
  private resolveCall: ((value: T) => void) | null = null;
  private rejectCall: ((error: unknown) => void) | null = null;
  /** Until its Promise is made: whether it settled fulfilled (`undefined`: not yet), and with what. */
  private fulfilled: boolean | undefined = undefined;
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
    }
    this.starting = false;
    // Settled already: its attempt's promise, if any, is followed by nothing.
    if (this.fulfilled !== undefined) this.direct = null;
    return this.direct ?? this.pending();
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
    // As `from` inside `defer` in the stack: a result that cannot be subscribed (`undefined`, a number), or
    // a `then` that throws, is the attempt's error, not a throw past the stages holding its slot and permit.
    try {
      this.follow(attempt, result);
    } catch (error) {
      if (attempt.running) this.attemptError(attempt, error);
    }
  }

  /** Subscribes what `fn` returned for `attempt`: a promise's outcome through `then`, else `from`. */
  private follow(attempt: PipelineAttempt<T>, result: PromiseLike<T> | ObservableInput<T>): void {
    if (isPromiseLike(result)) {
      const followed = result.then(
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
      // Nothing but this promise can end the call (no timer, no caller's signal, no other attempt), and the
      // call has no Promise yet: its Promise is this one followed by the call's outcome.
      if (
        this.starting &&
        result instanceof Promise &&
        this.callerSignal === undefined &&
        this.pipeline.uncuttable
      ) {
        this.direct = followed as Promise<T>;
      }
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
    if (this.resolveCall !== null) this.resolveCall(value);
    else this.settled(true, value);
  }

  private reject(error: unknown): void {
    if (this.rejectCall !== null) this.rejectCall(error);
    else this.settled(false, error);
  }

  /** The call settled before its Promise was made (the first outcome counts, as a Promise's). */
  private settled(fulfilled: boolean, outcome: unknown): void {
    if (this.fulfilled !== undefined) return;
    this.fulfilled = fulfilled;
    this.outcome = outcome;
  }

  /** The call's Promise: settled as the call did, or to be settled when it does. */
  private pending(): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.fulfilled === undefined) {
        this.resolveCall = resolve;
        this.rejectCall = reject;
      } else if (this.fulfilled) {
        resolve(this.outcome as T);
      } else {
        reject(this.outcome);
      }
    });
  }

  /**
   * What an attempt's promise is followed by: nothing, unless it is the call's own Promise (`direct`),
   * which then settles as the call did.
   */
  private followed(): T | Promise<T> | undefined {
    if (this.direct === null) return undefined;
    if (this.fulfilled === undefined) return this.pending();
    if (this.fulfilled) return this.outcome as T;
    throw this.outcome;
  }
}
