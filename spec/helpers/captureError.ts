import { type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';

/**
 * Runs `build` inside a fresh `TestScheduler.run` (virtual time, flushed to the end) and returns the
 * error its observable emitted, so typed `info` payloads can be asserted (marble matchers compare only
 * `name` and `message`). Throws when the observable did not error.
 */
export function captureError(build: (scheduler: TestScheduler) => Observable<unknown>): unknown {
  const scheduler = new TestScheduler(() => undefined);
  let captured: { error: unknown } | undefined;
  scheduler.run(() => {
    build(scheduler).subscribe({ error: (error: unknown) => (captured = { error }) });
  });
  if (captured === undefined) throw new Error('captureError: the observable did not error');
  return captured.error;
}

/** Asserts that `fn` throws and returns what it threw. */
export function captureThrow(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('captureThrow: nothing was thrown');
}
