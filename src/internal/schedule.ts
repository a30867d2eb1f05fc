import type { SchedulerAction, SchedulerLike, Subscription } from 'rxjs';

/**
 * The longest delay a timer of Node or a browser can wait (2^31 - 1 ms, about 24.8 days); a longer one
 * fires after 1 ms. Every delay a policy schedules is capped at this, and longer waits re-arm.
 * @internal
 */
export const MAX_TIMER_DELAY = 2_147_483_647;

/**
 * Schedules `work` after `delay` ms on `scheduler` and adds the action to `parent`, so that tearing the
 * parent down cancels it. Once it has run, the action removes itself from the parent (no growth of the
 * parent's teardown list across many timers), as rxjs's own `executeSchedule` does.
 * @internal
 */
export function scheduleOn(
  parent: Subscription,
  scheduler: SchedulerLike,
  work: () => void,
  delay = 0,
): Subscription {
  const action = scheduler.schedule(function (this: SchedulerAction<unknown>) {
    this.unsubscribe();
    work();
  }, delay);
  parent.add(action);
  return action;
}
