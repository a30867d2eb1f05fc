import { performance } from 'perf_hooks';

/**
 * The longest delay `setTimeout` honours: 2^31 - 1 ms (about 24.8 days). Above it Node fires after 1 ms
 * (with a `TimeoutOverflowWarning`), browsers at once.
 * @internal
 */
export const MAX_TIMER_DELAY = 2_147_483_647;

/** Cancels a real timer; calling it again, or after the timer fired, does nothing. @internal */
export type CancelTimer = () => void;

/** The clock a real timer runs on: the host's, unless a spec passes its own. @internal */
export interface TimerClock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

const hostClock: TimerClock = {
  // Looked up at each call, so a spec that spies on the globals sees every timer.
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  now: () => performance.now(),
};

const never: CancelTimer = () => undefined;

/**
 * Runs `fn` once, `ms` milliseconds of real time from now, for any `ms`: the one timer of the test servers
 * (`src/testing/` is where real timers are allowed). A delay above {@link MAX_TIMER_DELAY} is waited in
 * steps of at most that, toward one deadline on the monotonic clock; `Infinity` never fires and sets no
 * timer at all (nothing spins); a negative or `NaN` delay is 0. Returns the cancel function.
 * @internal
 */
export function realTimer(ms: number, fn: () => void, clock: TimerClock = hostClock): CancelTimer {
  if (ms === Infinity) return never;
  const delay = ms > 0 ? ms : 0;
  const deadline = clock.now() + delay;
  let handle: unknown;
  let live = true;
  const arm = (wait: number): void => {
    handle = clock.setTimeout(() => {
      if (!live) return;
      const left = deadline - clock.now();
      // A step of the cap is over; a final step ends at the deadline (setTimeout never fires early,
      // so what is left then is below a millisecond and not worth another timer).
      if (wait === MAX_TIMER_DELAY && left >= 1) arm(Math.min(left, MAX_TIMER_DELAY));
      else {
        live = false;
        fn();
      }
    }, wait);
  };
  arm(Math.min(delay, MAX_TIMER_DELAY));
  return () => {
    if (!live) return;
    live = false;
    clock.clearTimeout(handle);
  };
}
