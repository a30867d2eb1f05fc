import type { SchedulerAction, SchedulerLike, Subscription } from 'rxjs';

/** One call to `schedule` seen by a {@link countingScheduler}. */
export interface ScheduleCall {
  /** The delay asked for, in ms. */
  readonly delay: number;
  /** The action returned: `closed` once it ran without re-arming or was cancelled. */
  readonly action: Subscription;
}

/** A scheduler that delegates to another one and records every `schedule` call. */
export interface CountingScheduler extends SchedulerLike {
  /** Every timer created through `scheduler.schedule(...)`. */
  readonly calls: ScheduleCall[];
  /** The delay of every re-arm of an existing action from inside its work (`this.schedule(...)`). */
  readonly rearms: number[];
}

/**
 * Wraps `inner` (a `TestScheduler`, `asyncScheduler`, ...) to count the timers an operator creates. A
 * re-arm from inside a running action reuses that action: it is recorded in `rearms`, not in `calls`.
 */
export function countingScheduler(inner: SchedulerLike): CountingScheduler {
  const calls: ScheduleCall[] = [];
  const rearms: number[] = [];
  const schedule = (
    work: (this: SchedulerAction<unknown>, state?: unknown) => void,
    delay = 0,
    state?: unknown,
  ): Subscription => {
    const action = inner.schedule(
      function (this: SchedulerAction<unknown>, s?: unknown) {
        const rearm = this.schedule.bind(this);
        this.schedule = (next?: unknown, after = 0) => {
          rearms.push(after);
          return rearm(next, after);
        };
        work.call(this, s);
      },
      delay,
      state,
    );
    calls.push({ delay, action });
    return action;
  };
  return { calls, rearms, now: () => inner.now(), schedule: schedule as SchedulerLike['schedule'] };
}
