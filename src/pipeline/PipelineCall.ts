import type { Unsubscribable } from 'rxjs';
import type { BulkheadEntrant } from '../bulkhead/Bulkhead';
import type { LimitSample } from '../bulkhead/LimitSample';
import type { BulkheadRejectedError } from '../errors/BulkheadRejectedError';
import { TimeoutExceededError } from '../errors/TimeoutExceededError';
import type { Deadline } from '../internal/TimerQueue';
import type { PipelineAttemptOutcome, PipelineCallOutcome } from './PipelineEvent';
import type { ResiliencePipeline } from './ResiliencePipeline';

/** Which of a call's timers a {@link StageTimer} is. */
type Stage = 'deadline' | 'attemptTimeout' | 'retry';

/**
 * One timer of a call, a deadline in the scheduler's shared `TimerQueue`, of the same kind as the explicit
 * stack's: the deadline and the attempt timeout are limits (as `timeoutAfter`'s), the retry delay is not
 * (as `retryBackoff`'s), so that the queue orders them exactly as it orders the stack's.
 */
class StageTimer implements Deadline {
  timerDue = Infinity;
  timerSlot = -1;
  timerOrder = 0;
  readonly timerIsLimit: boolean;

  constructor(
    private readonly call: PipelineCall,
    private readonly stage: Stage,
  ) {
    this.timerIsLimit = stage !== 'retry';
  }

  onDeadline(): void {
    switch (this.stage) {
      case 'deadline':
        return this.call.deadlineDue();
      case 'attemptTimeout':
        return this.call.attemptTimeoutDue();
      case 'retry':
        return this.call.retryDue();
    }
  }
}

/**
 * One call through a {@link ResiliencePipeline}, every stage fused into this one object: the deadline, the
 * retry, the breaker's permit, the bulkhead's slot and the attempt timeout are its fields, and each attempt
 * is one subscription of the source (or one run of `execute`'s function), not one rxjs layer per stage.
 *
 * It makes the moves of the explicit stack `timeoutAfter(attemptTimeout), bulkhead(pool),
 * circuitBreaker(breaker), retryBackoff(retry), timeoutAfter(deadline)` in the same order, at the same
 * instants, through the policies' own internal entry points (`CircuitBreaker.acquire/succeed/fail/release`,
 * `Bulkhead.admit/exit`): spec/properties/pipeline.property.spec.ts checks that they agree.
 *
 * - Subscribe: the deadline's clock starts, attempt 1 runs, then the deadline timer is armed (only when
 *   the call is still running: a call that ends synchronously schedules nothing).
 * - Attempt: the breaker admits or refuses; the pool admits, queues or refuses; then the source is
 *   subscribed, and the attempt timer armed if it is still running.
 * - An attempt's error (its own, its attempt timeout's, or a refusal) is recorded by the breaker, then the
 *   retry decides: a retry timer, or the call's failure.
 * - Ending an attempt gives back, in this order: the source's subscription, the attempt timer, the slot
 *   (or the place in the queue), the breaker's permit.
 *
 * The two forms, rxjs (`resilient`, `resilientEither`) and Promise (`execute`), differ only in how an
 * attempt is run and where its outcome goes: the abstract members below.
 * @internal
 */
export abstract class PipelineCall<T = unknown> implements BulkheadEntrant, Unsubscribable {
  /** The call has its outcome (delivered, or being delivered) or was torn down: nothing more starts. */
  protected done = false;
  /** The attempt's source is subscribed (or its function runs) and has not ended. */
  protected running = false;
  /** Attempts that reached the call. */
  protected reached = 0;

  private subscribedAt = NaN;
  /** Values delivered by the call (the deadline's `info.seen`). */
  private seen = 0;
  /** Retries made so far, as rxjs `retry` counts them (reset by a value with `resetOnSuccess`). */
  private retries = 0;
  /** The delay before the last retry (the decorrelated jitter reads it). */
  private previousDelay = 0;
  private torn = false;
  /** The call's timers, made when first needed and queued again for each attempt or retry. */
  private deadlineTimer: StageTimer | null = null;
  private retryTimer: StageTimer | null = null;

  /** The current attempt holds a breaker permit, admitted under `ticket`. */
  private held = false;
  private ticket = 0;
  private breakerStartedAt = NaN;
  /**
   * The attempt holding the permit delivered a value: giving the permit back is then a success, timed to
   * that first value (`breakerAnsweredAt`, NaN when the breaker does not time calls). DESIGN §2.4 rule 2.
   */
  private breakerAnswered = false;
  private breakerAnsweredAt = NaN;
  /** The current attempt holds a bulkhead slot. */
  private slot = false;
  /**
   * An adaptive bulkhead's sample of the current attempt's slot (set by the pool): the attempt's end is
   * recorded on it, and it goes back with the slot, as the `bulkhead` operator's subscriber does. @internal
   */
  sample: LimitSample | null = null;
  /** The current attempt's place in the bulkhead's queue. */
  private waiting: Unsubscribable | null = null;
  private attemptStartedAt = NaN;
  private attemptSeen = 0;
  private attemptTimer: StageTimer | null = null;
  /** An 'attempt' event is owed for the current attempt. */
  private attemptOpen = false;
  /** How the current attempt ended, once it has (its event may still be owed). */
  private ending: PipelineAttemptOutcome = 'success';
  private endingError: unknown = undefined;
  /** The attempt is being admitted and subscribed under its breaker permit (see `attempt`). */
  private window = false;

  /** The call's number on its pipeline, in its events. */
  private readonly id: number;

  constructor(
    protected readonly pipeline: ResiliencePipeline,
    readonly key: string | undefined,
    readonly meta: unknown,
    /** The call's failure is given as a `CallFailure` (its `elapsed` needs the subscribe instant). */
    private readonly measured: boolean,
  ) {
    this.id = pipeline.nextCall();
  }

  /** Subscribes the current attempt's source (or runs the function); its outcome comes back through
   * {@link attemptNext}, {@link attemptComplete} and {@link attemptError}. */
  protected abstract subscribeAttempt(): void;
  /**
   * Gives back the attempt's subscription. `cancelled`: the attempt was still running and is cut, for
   * `reason` (the attempt timeout's or the deadline's error, or the caller's abort reason).
   */
  protected abstract releaseAttempt(cancelled: boolean, reason: unknown): void;
  /** A value of the call. */
  protected abstract delivered(value: T): void;
  /** The call completed. */
  protected abstract completed(): void;
  /** The call failed with `error`: deliver it, or what stands in for it. */
  protected abstract failed(error: unknown): void;

  /**
   * Starts the call: its 'start' event (an observer may cancel the call from there), attempt 1, then the
   * deadline timer if the call is still running.
   */
  start(): void {
    const { pipeline } = this;
    const { scheduler, deadline, timers } = pipeline;
    const observed = pipeline.observed;
    // The clock is read only when something needs the subscribe instant: a call that completes
    // synchronously with no deadline, no CallFailure and nobody observing events$ reads no clock. With
    // a deadline, one reading of the timer queue's clock (the scheduler's) serves both.
    if (deadline !== Infinity) this.subscribedAt = timers.now();
    else if (this.measured || observed) this.subscribedAt = scheduler.now();
    if (observed) {
      pipeline.emit({
        type: 'start',
        at: this.subscribedAt,
        pipeline: pipeline.name,
        key: this.key,
        meta: this.meta,
        call: this.id,
      });
      if (this.done) return;
    }
    // As retryBackoff's subscribe: the call deposits in the retry budget before attempt 1.
    pipeline.retryBudget?.deposit();
    this.attempt();
    if (!this.done && deadline !== Infinity) {
      timers.add((this.deadlineTimer = new StageTimer(this, 'deadline')), this.subscribedAt + deadline);
    }
  }

  /** Tears the call down (the caller left, or its outcome was delivered); idempotent. */
  unsubscribe(): void {
    this.teardown(undefined);
  }

  /** What `fallback` and `resilientEither`'s `left` receive. */
  protected failure(error: unknown): { error: unknown; attempts: number; elapsed: number } {
    return { error, attempts: this.reached, elapsed: this.pipeline.scheduler.now() - this.subscribedAt };
  }

  /**
   * Gives back everything the call holds, in the explicit stack's teardown order: the attempt (source,
   * attempt timer, slot or queue place, breaker permit), the retry timer, the deadline timer. A call torn
   * down before its outcome ends as cancelled (or, after a value, as a success).
   */
  protected teardown(reason: unknown): void {
    if (this.torn) return;
    this.torn = true;
    const ended = this.done;
    this.done = true;
    this.endAttempt(reason);
    const { timers } = this.pipeline;
    if (this.retryTimer !== null) timers.remove(this.retryTimer);
    if (this.deadlineTimer !== null) timers.remove(this.deadlineTimer);
    if (!ended) this.callEvent(this.seen > 0 ? 'success' : 'cancelled', undefined);
  }

  // ---- an attempt's outcome, reported by the form ----

  protected attemptNext(value: T): void {
    if (this.held && !this.breakerAnswered) {
      this.breakerAnswered = true;
      if (!Number.isNaN(this.breakerStartedAt))
        this.breakerAnsweredAt = this.pipeline.breaker!.scheduler.now();
    }
    this.attemptSeen++;
    if (this.pipeline.retryPlan?.resetOnSuccess === true) this.retries = 0;
    this.seen++;
    if (!this.window) {
      this.delivered(value);
      return;
    }
    // Forwarded outside the breaker's window, as circuitBreaker does.
    const breaker = this.pipeline.breaker!;
    const outer = breaker.subscribing;
    breaker.subscribing = undefined;
    this.delivered(value);
    breaker.subscribing = outer;
  }

  protected attemptComplete(): void {
    this.running = false;
    this.ending = 'success';
    this.sample?.succeed();
    if (!this.held) {
      this.finish();
      return;
    }
    // As circuitBreaker: recorded, then forwarded, outside the breaker's window.
    this.held = false;
    const breaker = this.pipeline.breaker!;
    const outer = breaker.subscribing;
    breaker.subscribing = undefined;
    breaker.succeed(this.ticket, this.breakerStartedAt);
    this.finish();
    breaker.subscribing = outer;
  }

  /** The attempt completed: so does the call. */
  private finish(): void {
    this.attemptEvent('success', undefined);
    if (this.done) return;
    this.done = true;
    this.callEvent('success', undefined);
    this.completed();
  }

  protected attemptError(error: unknown): void {
    this.running = false;
    this.attemptFailed(error);
  }

  // ---- the stages ----

  /**
   * Runs one attempt: the breaker, the bulkhead, then the call itself. Policies emit events as they
   * admit, and an observer may cancel the call from there: after each step a cancelled call stops, and
   * gives back what it was handed meanwhile, as the operators do (operate.ts).
   */
  private attempt(): void {
    const { breaker } = this.pipeline;
    // As circuitBreaker: an attempt made while a call of the same breaker subscribes its source (the
    // pipeline's breaker applied again around this call) runs under that call's permit.
    if (breaker === undefined || breaker.subscribing !== undefined) {
      this.admit();
      return;
    }
    const ticket = breaker.acquire();
    if (typeof ticket !== 'number') {
      if (!this.done) this.retryOrFail(ticket);
      return;
    }
    const startedAt = breaker.timesCalls ? breaker.scheduler.now() : NaN;
    if (this.done) {
      breaker.release(ticket, startedAt);
      return;
    }
    this.held = true;
    this.ticket = ticket;
    this.breakerStartedAt = startedAt;
    this.breakerAnswered = false;
    // And while this attempt is admitted and its source subscribed, a call of the same breaker made from
    // inside runs under this attempt's permit (the window closes while an outcome is forwarded).
    breaker.subscribing = this;
    this.window = true;
    try {
      this.admit();
    } finally {
      this.window = false;
      breaker.subscribing = undefined;
    }
  }

  /** The bulkhead's admission, then the call itself. */
  private admit(): void {
    const { bulkhead } = this.pipeline;
    if (bulkhead !== undefined) {
      const entry = bulkhead.admit(this);
      if (entry === 'queued') {
        return;
      }
      if (entry !== 'admitted') {
        if (!this.done) this.refuse(entry);
        return;
      }
      if (this.done) {
        bulkhead.exit(this.sample);
        this.sample = null;
        return;
      }
      this.slot = true;
    }
    this.run();
  }

  /** The bulkhead queued this attempt. @internal */
  queued(place: Unsubscribable): void {
    this.waiting = place;
  }

  /** The bulkhead gave this waiting attempt a slot. @internal */
  enter(): void {
    this.waiting = null;
    if (this.done) {
      this.pipeline.bulkhead!.exit(this.sample);
      this.sample = null;
      return;
    }
    this.slot = true;
    this.run();
  }

  /** The bulkhead refused this attempt (full, or after `queueTimeout`). @internal */
  refuse(error: BulkheadRejectedError): void {
    this.waiting = null;
    const breaker = this.held ? this.pipeline.breaker! : undefined;
    const outer = breaker?.subscribing;
    if (breaker !== undefined) breaker.subscribing = undefined;
    const next = this.breakerFailed(error);
    if (!this.done) this.retryOrFail(next);
    if (breaker !== undefined) breaker.subscribing = outer;
  }

  /** The attempt reaches the call: the source is subscribed, then the attempt timer armed. */
  private run(): void {
    const { attemptTimeout, timers } = this.pipeline;
    const timed = attemptTimeout !== Infinity;
    const observed = this.pipeline.observed;
    this.attemptStartedAt = observed ? timers.now() : NaN;
    this.reached++;
    this.attemptSeen = 0;
    this.attemptOpen = true;
    this.running = true;
    this.subscribeAttempt();
    // The attempt's clock starts at its subscribe; an attempt that ended while being subscribed needs no
    // timer, and no clock read (the subscribe itself takes no time in virtual time, microseconds in real).
    if (this.running && timed) {
      const now = timers.now();
      if (!observed) this.attemptStartedAt = now;
      const timer = (this.attemptTimer ??= new StageTimer(this, 'attemptTimeout'));
      timers.add(timer, (observed ? this.attemptStartedAt : now) + attemptTimeout);
    }
  }

  /** The attempt timer fired. @internal */
  attemptTimeoutDue(): void {
    const { attemptTimeout } = this.pipeline;
    const error = new TimeoutExceededError({
      limit: 'total',
      after: attemptTimeout,
      seen: this.attemptSeen,
      meta: this.meta,
    });
    // As timeoutAfter: the source is unsubscribed first, then the error goes on.
    this.ending = 'failure';
    this.endingError = error;
    this.running = false;
    this.releaseAttempt(true, error);
    this.attemptFailed(error);
  }

  /** The deadline timer fired. @internal */
  deadlineDue(): void {
    const { deadline, timers } = this.pipeline;
    const error = new TimeoutExceededError({
      limit: 'total',
      after: deadline,
      seen: this.seen,
      meta: this.meta,
    });
    // As timeoutAfter: everything inside is unsubscribed first (the attempt, or the wait for a retry); a
    // policy's events$ observer may cancel the call meanwhile.
    this.endAttempt(error);
    if (this.retryTimer !== null) timers.remove(this.retryTimer);
    if (!this.done) this.fail(error);
  }

  /** The retry's delay passed: the next attempt. @internal */
  retryDue(): void {
    this.attempt();
  }

  /** An attempt that reached the call failed: the breaker records it, then the retry decides. */
  private attemptFailed(error: unknown): void {
    this.ending = 'failure';
    this.endingError = error;
    this.sample?.fail(error);
    const breaker = this.held ? this.pipeline.breaker! : undefined;
    const outer = breaker?.subscribing;
    if (breaker !== undefined) breaker.subscribing = undefined;
    const next = this.breakerFailed(error);
    this.attemptEvent('failure', error);
    if (!this.done) this.retryOrFail(next);
    if (breaker !== undefined) breaker.subscribing = outer;
  }

  /**
   * Settles the breaker permit as a failure (the breaker's `isFailure` decides whether it counts).
   * Returns the error to go on with: `error`, or what `isFailure` threw (as `circuitBreaker` forwards it).
   */
  private breakerFailed(error: unknown): unknown {
    if (!this.held) return error;
    this.held = false;
    try {
      this.pipeline.breaker!.fail(this.ticket, this.breakerStartedAt, error);
    } catch (thrown) {
      return thrown;
    }
    return error;
  }

  /** As `retryBackoff`: a retry after its delay, or the call fails with `error`. */
  private retryOrFail(error: unknown): void {
    const plan = this.pipeline.retryPlan;
    if (plan !== undefined && this.retries++ < plan.maxRetries) {
      let delay: number;
      try {
        delay = plan.delay(error, this.retries, this.previousDelay);
      } catch (thrown) {
        this.fail(thrown);
        return;
      }
      if (delay >= 0) {
        this.previousDelay = delay;
        const { timers } = this.pipeline;
        timers.add((this.retryTimer ??= new StageTimer(this, 'retry')), timers.now() + delay);
        this.endAttempt(undefined);
        return;
      }
    }
    this.fail(error);
  }

  /** The call's final error. */
  private fail(error: unknown): void {
    this.done = true;
    this.callEvent('failure', error);
    this.failed(error);
  }

  /**
   * Gives back what the current attempt holds: its subscription (cut, if still running, for `reason`), its
   * timer, its slot or place in the queue, its breaker permit (recorded as nothing, or as a success after
   * a value).
   */
  private endAttempt(reason: unknown): void {
    const cancelled = this.running;
    this.running = false;
    this.releaseAttempt(cancelled, reason);
    if (this.attemptTimer !== null) this.pipeline.timers.remove(this.attemptTimer);
    if (this.slot) {
      this.slot = false;
      const sample = this.sample;
      this.sample = null;
      this.pipeline.bulkhead!.exit(sample);
    }
    if (this.waiting !== null) {
      const waiting = this.waiting;
      this.waiting = null;
      waiting.unsubscribe();
    }
    if (this.held) {
      this.held = false;
      const breaker = this.pipeline.breaker!;
      if (this.breakerAnswered) breaker.succeed(this.ticket, this.breakerStartedAt, this.breakerAnsweredAt);
      else breaker.release(this.ticket, this.breakerStartedAt);
    }
    if (cancelled) this.attemptEvent(this.attemptSeen > 0 ? 'success' : 'cancelled', undefined);
    // An attempt that ended but was torn down (by an observer) before its event: its event comes first.
    else if (this.attemptOpen) this.attemptEvent(this.ending, this.endingError);
  }

  private attemptEvent(outcome: PipelineAttemptOutcome, error: unknown): void {
    if (!this.attemptOpen) return;
    this.attemptOpen = false;
    const { pipeline } = this;
    if (!pipeline.observed) return;
    const at = pipeline.scheduler.now();
    pipeline.emit({
      type: 'attempt',
      at,
      pipeline: pipeline.name,
      key: this.key,
      meta: this.meta,
      call: this.id,
      attempt: this.reached,
      outcome,
      duration: at - this.attemptStartedAt,
      error,
    });
  }

  private callEvent(outcome: PipelineCallOutcome, error: unknown): void {
    const { pipeline } = this;
    if (!pipeline.observed) return;
    const at = pipeline.scheduler.now();
    pipeline.emit({
      type: 'call',
      at,
      pipeline: pipeline.name,
      key: this.key,
      meta: this.meta,
      call: this.id,
      outcome,
      attempts: this.reached,
      duration: at - this.subscribedAt,
      error,
    });
  }
}
