import {
  Observable,
  type SchedulerLike,
  type Subscriber,
  type Subscription,
  type Unsubscribable,
} from 'rxjs';
import { TimerQueue, type Deadline } from './TimerQueue';

/** @internal */
export { MAX_TIMER_DELAY } from './TimerQueue';

/** One delayed piece of work: a deadline of the scheduler's queue, and a teardown of its parent. */
class DelayedWork implements Deadline, Unsubscribable {
  timerDue = Infinity;
  timerSlot = -1;
  timerOrder = 0;

  constructor(
    private readonly queue: TimerQueue,
    private readonly parent: Subscription,
    private readonly work: () => void,
  ) {}

  onDeadline(): void {
    this.parent.remove(this);
    this.work();
  }

  /** The parent was torn down first: the work never runs. */
  unsubscribe(): void {
    this.queue.remove(this);
  }
}

/**
 * Runs `work` after `delay` ms on `scheduler` (through its {@link TimerQueue}, so many pending delays share
 * one timer, a delay longer than 2^31 - 1 ms is waited for in full and `Infinity` never runs and holds no
 * timer) and adds it to `parent`, so that tearing the parent down cancels it. Once it has run it leaves
 * the parent (no growth of the parent's teardown list across many delays), as rxjs's own
 * `executeSchedule` does. A parent that is closed already queues nothing.
 * @internal
 */
export function scheduleOn(
  parent: Subscription,
  scheduler: SchedulerLike,
  work: () => void,
  delay = 0,
): Unsubscribable {
  const queue = TimerQueue.of(scheduler);
  const delayed = new DelayedWork(queue, parent, work);
  // A parent torn down already (a call cancelled by a callback while it was being set up) runs nothing.
  if (delay === Infinity || parent.closed) return delayed;
  parent.add(delayed);
  queue.add(delayed, queue.now() + delay);
  return delayed;
}

/** The deadline of one {@link delayBy} subscription. */
class DelayTimer implements Deadline, Unsubscribable {
  timerDue = Infinity;
  timerSlot = -1;
  timerOrder = 0;

  constructor(
    private readonly queue: TimerQueue,
    private readonly subscriber: Subscriber<0>,
  ) {}

  onDeadline(): void {
    this.subscriber.next(0);
    this.subscriber.complete();
  }

  unsubscribe(): void {
    this.queue.remove(this);
  }
}

/**
 * rxjs `timer(delay, scheduler)` through the scheduler's {@link TimerQueue}: emits `0` after `delay` ms,
 * then completes; `Infinity` never emits and holds no timer. Each subscription is one deadline.
 * @internal
 */
export function delayBy(scheduler: SchedulerLike, delay: number): Observable<0> {
  const queue = TimerQueue.of(scheduler);
  return new Observable<0>((subscriber) => {
    const timer = new DelayTimer(queue, subscriber);
    queue.add(timer, queue.now() + delay);
    return timer;
  });
}
