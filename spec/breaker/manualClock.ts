import { Subscription, type SchedulerAction, type SchedulerLike } from 'rxjs';

/**
 * A clock the test moves by hand, that records every timer asked of it: a breaker built on it shows
 * whether it keeps timers (`pending`) or reads time only (`now`). `advanceTo` runs due timers in order.
 */
export class ManualClock implements SchedulerLike {
  time = 0;
  /** Timers scheduled in all. */
  scheduled = 0;
  private readonly timers: Array<{ due: number; seq: number; run: () => void; subscription: Subscription }> =
    [];
  private seq = 0;

  now(): number {
    return this.time;
  }

  /** Timers scheduled and neither run nor cancelled. */
  get pending(): number {
    return this.timers.length;
  }

  schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
    this.scheduled++;
    const subscription = new Subscription(() => {
      const i = this.timers.indexOf(entry);
      if (i >= 0) this.timers.splice(i, 1);
    });
    const action = subscription as unknown as SchedulerAction<T>;
    // Re-arming from inside the work (rxjs's `this.schedule(state, delay)`) asks for a new timer.
    (action as { schedule: unknown }).schedule = (next?: T, after = 0) => this.schedule(work, after, next);
    const entry = {
      due: this.time + delay,
      seq: this.seq++,
      run: () => work.call(action, state),
      subscription,
    };
    this.timers.push(entry);
    return subscription;
  }

  /** Moves time to `time`, running every timer due by then at its own instant. */
  advanceTo(time: number): void {
    for (;;) {
      let next: (typeof this.timers)[number] | undefined;
      for (const t of this.timers)
        if (
          t.due <= time &&
          (next === undefined || t.due < next.due || (t.due === next.due && t.seq < next.seq))
        )
          next = t;
      if (next === undefined) break;
      this.timers.splice(this.timers.indexOf(next), 1);
      this.time = next.due;
      next.run();
    }
    this.time = time;
  }
}
