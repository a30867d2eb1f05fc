import {
  asyncScheduler,
  identity,
  type MonoTypeOperatorFunction,
  type Observable,
  type SchedulerLike,
  type Subscriber,
  type Unsubscribable,
} from 'rxjs';
import { forwardOutside, subscribeWithin } from '../budget/subscribeWithin';
import type { RetryBudget } from '../budget/RetryBudget';
import { isTransient } from '../errors/isTransient';
import * as c from '../internal/codecs';
import { decodeConfig } from '../internal/decodeConfig';
import { createOperatorSubscriber, operate, type OperatorHandlers } from '../internal/operate';
import { TimerQueue, type Deadline } from '../internal/TimerQueue';

/** Configuration of {@link hedge}. */
export interface HedgeConfig {
  /**
   * ms after the latest attempt started, with no value yet, at which the next attempt starts. `0` starts
   * them all at once; `Infinity` starts the next one only when an attempt fails. >= 0.
   */
  readonly delay: number;
  /** Attempts in all, the first included. A positive integer. @default 2 */
  readonly maxAttempts?: number | undefined;
  /**
   * Asked with the error of an attempt that failed before any value: `true` starts the next attempt at
   * once (if any is left) and lets the others run on; `false` ends the result with that error at once.
   * A throw errors the result with what was thrown. @default isTransient
   */
  readonly shouldHedge?: ((error: unknown) => boolean) | undefined;
  /** Shared cap on extra attempts: each one is withdrawn as a retry is; a refused one is not started. */
  readonly budget?: RetryBudget | undefined;
  /** Scheduler of the delays. @default asyncScheduler */
  readonly scheduler?: SchedulerLike | undefined;
}

/** The codec of {@link HedgeConfig} (a pipeline's `hedge` is checked with its fields). @internal */
export const HedgeConfigCodec = c.config(
  'HedgeConfig',
  { delay: c.nonNegativeMs },
  { maxAttempts: c.positiveInt, shouldHedge: c.fn, budget: c.retryBudget, scheduler: c.scheduler },
);

/** The constants of one `hedge(...)`, shared by its calls. */
interface HedgePlan {
  readonly delay: number;
  readonly maxAttempts: number;
  readonly shouldHedge: (error: unknown) => boolean;
  readonly budget: RetryBudget | undefined;
  /** The scheduler's timer queue: each call's delay is a deadline in it. */
  readonly timers: TimerQueue;
}

/** One attempt: the handlers of its subscriber, routed to its call. */
class Attempt<T> implements OperatorHandlers<T> {
  subscriber: Subscriber<T> | null = null;

  constructor(readonly call: HedgeCall<T>) {}

  next(value: T): void {
    this.call.value(this, value);
  }

  error(err: unknown): void {
    this.call.failed(this, err);
  }

  complete(): void {
    this.call.completed(this);
  }
}

/**
 * One subscription to the result: its attempts, its delay (a deadline in the scheduler's shared timer
 * queue, a limit: a value exactly at `delay` is in time) and its winner. Reads top to bottom as the call's
 * life: start, hedge, win or fail.
 */
class HedgeCall<T> implements Deadline, Unsubscribable {
  timerDue = Infinity;
  timerSlot = -1;
  timerOrder = 0;
  private readonly attempts: Array<Attempt<T>> = [];
  /** Attempts that have neither emitted nor failed. */
  private running = 0;
  /** No further attempt may start (the budget refused one). */
  private exhausted = false;
  /** Attempts asked for while `start` subscribes one (one failed synchronously): its loop starts them. */
  private pending = 0;
  /** `start` is subscribing attempts. */
  private starting = false;
  private winner: Attempt<T> | null = null;
  /** The call's teardown removes its delay: added to the destination once, at the first delay. */
  private registered = false;

  constructor(
    private readonly plan: HedgePlan,
    private readonly source: Observable<T>,
    private readonly destination: Subscriber<T>,
  ) {}

  /**
   * Subscribes the next attempt, and arms the delay for the one after it. An attempt that fails while it
   * is subscribed asks for the next one from inside: that one is started by this loop once the
   * subscribe returns, so a run of synchronous failures never grows the stack.
   */
  start(): void {
    if (this.starting) {
      this.pending++;
      return;
    }
    this.starting = true;
    const { attempts, destination } = this;
    try {
      let more = true;
      while (more) {
        const attempt = new Attempt<T>(this);
        const subscriber = createOperatorSubscriber<T>(destination, attempt);
        attempt.subscriber = subscriber;
        attempts.push(attempt);
        this.running++;
        // A call cancelled meanwhile (an observer of the budget, say) subscribes nothing.
        if (!subscriber.closed) this.subscribe(subscriber);
        more = this.pending > 0 && !destination.closed;
        if (more) this.pending--;
      }
    } finally {
      this.starting = false;
    }
    // Not when the call ended while subscribing.
    if (this.winner === null && !destination.closed) this.arm();
  }

  /**
   * Subscribes one attempt; with a budget, inside its window, so a layer inside that shares it deposits
   * nothing (as `subscribeWithin` does; what the attempts emit goes on through {@link HedgeCall.forward}).
   */
  private subscribe(subscriber: Subscriber<T>): void {
    const { budget } = this.plan;
    if (budget === undefined) {
      this.source.subscribe(subscriber);
      return;
    }
    budget.nesting++;
    try {
      this.source.subscribe(subscriber);
    } finally {
      budget.nesting--;
    }
  }

  /** Hands the result's value, error or completion on, outside the budget's window. */
  private forward(kind: 'next' | 'error' | 'complete', value: unknown): void {
    forwardOutside(this.plan.budget, this.destination, kind, value);
  }

  /** A limit: what the scheduler holds for the instant the delay ends at (a value) comes first. */
  get timerIsLimit(): boolean {
    return true;
  }

  /** The delay after the latest attempt elapsed with no value: hedge. */
  onDeadline(): void {
    this.hedge();
  }

  /** The call is torn down: its delay goes with it. */
  unsubscribe(): void {
    this.plan.timers.remove(this);
  }

  value(attempt: Attempt<T>, value: T): void {
    if (this.winner === null) this.win(attempt);
    this.forward('next', value);
  }

  completed(attempt: Attempt<T>): void {
    if (this.winner === null) this.win(attempt);
    this.forward('complete', undefined);
  }

  failed(attempt: Attempt<T>, err: unknown): void {
    // The call is gone (its caller left, or its deadline passed): an attempt that fails as the others are
    // torn down (one given a slot another gave back) starts nothing and draws nothing from the budget.
    if (this.destination.closed) return;
    if (this.winner === attempt) {
      this.forward('error', err);
      return;
    }
    this.running--;
    let accepted: boolean;
    try {
      accepted = this.plan.shouldHedge(err);
    } catch (thrown) {
      this.end();
      this.forward('error', thrown);
      return;
    }
    if (!accepted) {
      this.end();
      this.forward('error', err);
      return;
    }
    if (this.hedge()) return;
    if (this.running === 0 && this.pending === 0) {
      this.end();
      this.forward('error', err);
    }
  }

  /** Starts another attempt if one is left and the budget allows it; false if none was started. */
  private hedge(): boolean {
    if (this.exhausted || this.attempts.length + this.pending >= this.plan.maxAttempts) return false;
    const budget = this.plan.budget;
    if (budget !== undefined && !budget.tryWithdraw()) {
      this.exhausted = true;
      this.disarm();
      return false;
    }
    this.start();
    return true;
  }

  /** `attempt` emitted first (or completed empty): every other attempt is unsubscribed now. */
  private win(attempt: Attempt<T>): void {
    this.winner = attempt;
    this.disarm();
    for (const other of this.attempts) if (other !== attempt) other.subscriber!.unsubscribe();
  }

  /** The call ends in an error: every attempt still running and the timer go. */
  private end(): void {
    this.disarm();
    for (const attempt of this.attempts) attempt.subscriber!.unsubscribe();
  }

  private arm(): void {
    const { delay, maxAttempts, timers } = this.plan;
    if (delay === Infinity || this.exhausted || this.attempts.length >= maxAttempts) return this.disarm();
    if (!this.registered) {
      this.registered = true;
      this.destination.add(this);
    }
    timers.add(this, timers.now() + delay);
  }

  private disarm(): void {
    this.plan.timers.remove(this);
  }
}

/**
 * Hedges a slow call: subscribes to the source (attempt 1) and, while no attempt has emitted, subscribes
 * it again `delay` ms after the latest attempt started, up to `maxAttempts` in all; an attempt that fails
 * with an error `shouldHedge` accepts starts the next one at once. The first attempt to emit a value wins:
 * every other attempt is unsubscribed at that instant (a `fetchRequest` loser is aborted), and the result
 * follows the winner. An attempt that completes without a value wins the same way. A value exactly at
 * `delay` is in time: no hedge starts. An error `shouldHedge` rejects ends the result at once; when every
 * attempt has failed and none is left, the result errors with the last error. With a `budget`, each call
 * deposits once and every extra attempt is withdrawn as a retry is; one the budget refuses is not started,
 * and counts as none left. Use it only for idempotent calls.
 *
 * A call whose first attempt answers before `delay` costs one subscription and one deadline in the
 * scheduler's shared timer queue, no timer of its own.
 *
 * ```text
 * source (attempt 1)   ------a|      { delay: 2, maxAttempts: 3 }
 * source (attempt 2)     ---b|       started at 2: wins at 5, attempts 1 and 3 unsubscribed
 * source (attempt 3)       ------c|  started at 4
 * result               -----b|
 * subs                 ^----!        attempt 1
 *                      --^---!       attempt 2, the winner
 *                      ----^!        attempt 3
 * ```
 *
 * @example
 * ```ts
 * const budget = new RetryBudget();
 * // p95 of this endpoint is about 80 ms: a second request after 100 ms cuts the tail.
 * const profile$ = fetchRequest(url).pipe(timeoutAfter(1000), hedge({ delay: 100, budget }));
 * ```
 * @throws {InvalidConfigError} when the config is not valid (every bad field is named).
 */
export function hedge<T>(config: HedgeConfig): MonoTypeOperatorFunction<T> {
  const {
    delay,
    maxAttempts = 2,
    shouldHedge = isTransient,
    budget,
    scheduler = asyncScheduler,
  } = decodeConfig('hedge', HedgeConfigCodec, config) as HedgeConfig;
  if (maxAttempts === 1) {
    if (budget === undefined) return identity;
    return operate<T, T>((source, destination) => {
      budget.deposit();
      if (!destination.closed) subscribeWithin(budget, source, destination);
    });
  }
  const plan: HedgePlan = { delay, maxAttempts, shouldHedge, budget, timers: TimerQueue.of(scheduler) };
  return operate<T, T>((source, destination) => {
    budget?.deposit();
    // An observer of the budget may have cancelled the call.
    if (!destination.closed) new HedgeCall(plan, source, destination).start();
  });
}
