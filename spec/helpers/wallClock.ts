import { Subscription, type SchedulerAction, type SchedulerLike } from 'rxjs';

/** Node's `TIMEOUT_MAX`: a longer (or non-finite, or shorter than 1 ms) timer fires after 1 ms. */
const NODE_TIMEOUT_MAX = 2 ** 31 - 1;

interface Timer {
  readonly due: number;
  readonly seq: number;
  readonly run: () => void;
}

/**
 * A scheduler that behaves as `asyncScheduler` does on Node, driven by hand: timers run on a monotonic
 * clock the test moves with `advance`, with Node's timer rules (a delay above 2^31 - 1 ms, `Infinity`,
 * NaN or below 1 ms fires after 1 ms), while `now()` reads a wall clock the test can set back or forward
 * with `step`, without moving the timers. Records every timer asked of it.
 */
export class WallClock implements SchedulerLike {
  /** The timers' clock, ms. */
  monotonic = 0;
  /** What `step` added to the wall clock. */
  offset = 0;
  /** Timers asked for in all, re-arms from inside an action included. */
  scheduled = 0;
  /** Every delay asked for, in order. */
  readonly delays: number[] = [];
  private readonly timers = new Set<Timer>();
  private seq = 0;

  now(): number {
    return this.monotonic + this.offset;
  }

  /** Timers neither run nor cancelled. */
  get pending(): number {
    return this.timers.size;
  }

  schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
    this.scheduled++;
    this.delays.push(delay);
    const after = delay >= 1 && delay <= NODE_TIMEOUT_MAX ? delay : 1;
    const subscription = new Subscription(() => this.timers.delete(timer));
    const action = subscription as unknown as SchedulerAction<T>;
    (action as { schedule: unknown }).schedule = (next?: T, again = 0) => this.schedule(work, again, next);
    const timer: Timer = {
      due: this.monotonic + after,
      seq: this.seq++,
      run: () => work.call(action, state),
    };
    this.timers.add(timer);
    return subscription;
  }

  /** Moves the wall clock by `ms` (negative: set back) without moving the timers. */
  step(ms: number): void {
    this.offset += ms;
  }

  /** Moves both clocks on by `ms`, running every timer due meanwhile at its own instant, in order. */
  advance(ms: number): void {
    const until = this.monotonic + ms;
    for (;;) {
      let next: Timer | undefined;
      for (const t of this.timers) {
        if (
          t.due <= until &&
          (next === undefined || t.due < next.due || (t.due === next.due && t.seq < next.seq))
        )
          next = t;
      }
      if (next === undefined) break;
      this.timers.delete(next);
      this.monotonic = next.due;
      next.run();
    }
    this.monotonic = until;
  }
}
