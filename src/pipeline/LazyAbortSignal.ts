/**
 * The `AbortSignal` an attempt of `execute` gives a function that declares no parameter, made real only
 * when used. Node's first read of `AbortController#signal` costs about 2 us, and an abort 6 us more
 * (TOOLCHAIN.md), more than the rest of a call, for a function that never looks at its signal. Reading
 * `aborted` or `reason`, or `throwIfAborted()`, never makes it real; adding a listener or setting
 * `onabort` does, already aborted if the attempt was cut before.
 *
 * It is an `instanceof AbortSignal` and works with `fetch` and `addEventListener`; APIs that check Node's
 * internal brand do not follow it (`AbortSignal.any` never aborts, `events.setMaxListeners` throws), which
 * is why a function that declares the signal gets a native one.
 * @internal
 */
export class LazyAbortSignal {
  private controller: AbortController | null = null;
  private cutReason: unknown = undefined;
  private cut = false;

  get aborted(): boolean {
    return this.controller === null ? this.cut : this.controller.signal.aborted;
  }

  get reason(): unknown {
    return this.controller === null ? this.cutReason : this.controller.signal.reason;
  }

  get onabort(): AbortSignal['onabort'] {
    return this.real().onabort;
  }

  set onabort(handler: AbortSignal['onabort']) {
    this.real().onabort = handler;
  }

  addEventListener(...args: Parameters<AbortSignal['addEventListener']>): void {
    this.real().addEventListener(...args);
  }

  removeEventListener(...args: Parameters<AbortSignal['removeEventListener']>): void {
    this.real().removeEventListener(...args);
  }

  dispatchEvent(event: Event): boolean {
    return this.real().dispatchEvent(event);
  }

  throwIfAborted(): void {
    if (this.aborted) throw this.reason;
  }

  /** Cuts the attempt: aborts the signal with `reason` (at once if real, else when it becomes real). */
  abort(reason: unknown): void {
    if (this.controller !== null) {
      this.controller.abort(reason);
    } else if (!this.cut) {
      this.cut = true;
      this.cutReason = reason;
    }
  }

  private real(): AbortSignal {
    if (this.controller === null) {
      this.controller = new AbortController();
      if (this.cut) this.controller.abort(this.cutReason);
    }
    return this.controller.signal;
  }
}

// `instanceof AbortSignal` holds, while every member above shadows the native, brand-checked one.
Object.setPrototypeOf(LazyAbortSignal.prototype, AbortSignal.prototype);
