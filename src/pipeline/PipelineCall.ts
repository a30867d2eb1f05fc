import type { Unsubscribable } from 'rxjs';
import { isHttpStatusError } from '../errors/HttpStatusError';
import type { RetryBudget } from '../budget/RetryBudget';
import { TimeoutExceededError } from '../errors/TimeoutExceededError';
import type { Deadline } from '../internal/TimerQueue';
import { PipelineAttempt } from './PipelineAttempt';
import type { PipelineAttemptOutcome, PipelineCallOutcome } from './PipelineEvent';
import type { ResiliencePipeline } from './ResiliencePipeline';

/** Which of a call's own timers a {@link StageTimer} is. */
type Stage = 'deadline' | 'retry' | 'hedge';

/**
 * One timer of a call, a deadline in the scheduler's shared `TimerQueue`, of the same kind as the explicit
 * stack's: the deadline and the hedge delay are limits (as `timeoutAfter`'s and `hedge`'s), the retry delay
 * is not (as `retryBackoff`'s), so that the queue orders them exactly as it orders the stack's. (Each
 * attempt's timeout is a limit of its own, the {@link PipelineAttempt}.)
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
      case 'retry':
        return this.call.retryDue();
      case 'hedge':
        return this.call.hedgeDue();
    }
  }
}

/**
 * One call through a {@link ResiliencePipeline}, every stage fused into this object and its attempts
 * (one {@link PipelineAttempt} each): the deadline and the retry or the hedge are its fields; the breaker's
 * permit, the bulkhead's slot, the rate limiter's permit and the attempt timeout are its attempts'. Each
 * attempt is one subscription of the source (or one run of `execute`'s function), not one rxjs layer per
 * stage.
 *
 * It makes the moves of the explicit stack `timeoutAfter(attemptTimeout), rateLimit(rateLimiter, { key }),
 * bulkhead(pool), circuitBreaker(breaker), retryBackoff(retry) (or hedge(hedge)), timeoutAfter(deadline)`
 * in the same order, at the same instants, through the policies' own internal entry points
 * (`CircuitBreaker.acquire/succeed/fail/release`, `Bulkhead.admit/exit`, `RateLimiter.admit`):
 * spec/properties/pipeline.property.spec.ts checks that they agree.
 *
 * - Subscribe: attempt 1 runs, then (hedging) the hedge delay is armed, then the deadline timer (only
 *   while the call is still running: a call that ends synchronously schedules nothing).
 * - Attempt: the breaker admits or refuses; the pool admits, queues or refuses; the rate limiter admits,
 *   makes it wait or refuses; then the source is subscribed, and the attempt timer armed if it still runs.
 * - An attempt's error (its own, its attempt timeout's, or a refusal) is recorded by the breaker, then the
 *   retry decides (a retry timer, or the call's failure), or the hedge does (another attempt now, the
 *   others go on, or the call's failure). A 429 or 503 carrying `retryAfter` first penalizes the rate
 *   limiter's key.
 * - Ending an attempt gives back, in this order: the source's subscription (or its place in the rate
 *   limiter's wait), the attempt timer, the slot (or the place in the queue), the breaker's permit.
 *
 * The two forms, rxjs (`resilient`, `resilientEither`) and Promise (`execute`), differ only in how an
 * attempt is run and where its outcome goes: the abstract members below.
 * @internal
 */
export abstract class PipelineCall<T = unknown> implements Unsubscribable {
  /** The call has its outcome (delivered, or being delivered) or was torn down: nothing more starts. */
  protected done = false;
  /** Attempts that reached the call. */
  protected reached = 0;

  private subscribedAt = NaN;
  /** Values delivered by the call (the deadline's `info.seen`). */
  private seen = 0;
  private torn = false;
  /** The deadline is cutting the attempts (see `deadlineDue`). */
  private cutting = false;
  private deadlineTimer: StageTimer | null = null;

  // Retrying: one attempt at a time.
  /** The latest attempt. */
  private current: PipelineAttempt<T> | null = null;
  /** Retries made so far, as rxjs `retry` counts them (reset by a value with `resetOnSuccess`). */
  private retries = 0;
  /** The delay waited before the last retry (the decorrelated jitter reads it). */
  private previousDelay = 0;
  private retryTimer: StageTimer | null = null;

  // Hedging: several attempts at once.
  /** Every attempt started, in order; `null` when the pipeline does not hedge. */
  private hedged: Array<PipelineAttempt<T>> | null = null;
  /** Hedged attempts that have neither emitted nor failed. */
  private active = 0;
  private winner: PipelineAttempt<T> | null = null;
  /** No further hedged attempt may start (the budget refused one). */
  private exhausted = false;
  /** Hedged attempts asked for while `startHedged` runs one (it failed synchronously): its loop starts them. */
  private pendingHedges = 0;
  /** `startHedged` is running attempts. */
  private startingHedge = false;
  private hedgeTimer: StageTimer | null = null;

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

  /**
   * Subscribes `attempt`'s source (or runs the function); its outcome comes back through
   * {@link attemptNext}, {@link attemptComplete} and {@link attemptError}.
   */
  protected abstract subscribeAttempt(attempt: PipelineAttempt<T>): void;
  /**
   * Gives back `attempt`'s subscription. `cancelled`: the attempt was still running and is cut, for
   * `reason` (the attempt timeout's or the deadline's error, or the caller's abort reason).
   */
  protected abstract releaseAttempt(attempt: PipelineAttempt<T>, cancelled: boolean, reason: unknown): void;
  /** A handler of an attempt's subscriber threw `error`. @internal */
  abstract handlerThrew(error: unknown): void;
  /** A value of the call. */
  protected abstract delivered(value: T): void;
  /** The call completed. */
  protected abstract completed(): void;
  /** The call failed with `error`: deliver it, or what stands in for it. */
  protected abstract failed(error: unknown): void;

  /**
   * Starts the call: its 'start' event (an observer may cancel the call from there), attempt 1, then the
   * hedge delay, then the deadline timer, if the call is still running.
   */
  start(): void {
    const { pipeline } = this;
    const { scheduler, deadline, timers, hedgePlan } = pipeline;
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
    // As retryBackoff's and hedge's subscribe: the call deposits in the budget before attempt 1 (an
    // observer of the budget may cancel it there).
    this.budget?.deposit();
    if (this.done) return;
    if (hedgePlan === undefined || hedgePlan.maxAttempts === 1) {
      // One attempt is no hedging: as `hedge` then, it only deposits in the budget.
      this.retryAttempt();
    } else {
      this.hedged = [];
      this.startHedged();
    }
    if (!this.done && deadline !== Infinity) {
      timers.add((this.deadlineTimer = new StageTimer(this, 'deadline')), this.subscribedAt + deadline);
    }
  }

  /** Tears the call down (the caller left, or its outcome was delivered); idempotent. */
  unsubscribe(): void {
    this.teardown(undefined);
  }

  /** The retry budget the call deposits in: the retry's, or the hedge's (a pipeline has one or neither). */
  private get budget(): RetryBudget | undefined {
    return this.pipeline.callBudget;
  }

  /** What `fallback` and `resilientEither`'s `left` receive. */
  protected failure(error: unknown): { error: unknown; attempts: number; elapsed: number } {
    return { error, attempts: this.reached, elapsed: this.pipeline.scheduler.now() - this.subscribedAt };
  }

  /**
   * Gives back everything the call holds, in the explicit stack's teardown order: its attempts (each:
   * source, attempt timer, slot or queue place, breaker permit), the hedge and retry timers, the deadline
   * timer. A call torn down before its outcome ends as cancelled (or, after a value, as a success).
   */
  protected teardown(reason: unknown): void {
    if (this.torn) return;
    this.torn = true;
    const ended = this.done;
    this.done = true;
    // While the deadline cuts the attempts, they are ended in turn there (the stack's cascade has already
    // passed the deadline's subscriber: a caller leaving now reaches no attempt).
    if (!this.cutting) this.endAttempts(reason);
    const { timers } = this.pipeline;
    if (this.retryTimer !== null) timers.remove(this.retryTimer);
    if (this.deadlineTimer !== null) timers.remove(this.deadlineTimer);
    if (!ended) this.callEvent(this.seen > 0 ? 'success' : 'cancelled', undefined);
  }

  // ---- an attempt's outcome, reported by the form ----

  /** @internal */
  attemptNext(attempt: PipelineAttempt<T>, value: T): void {
    if (attempt.held && !attempt.answered) {
      attempt.answered = true;
      if (!Number.isNaN(attempt.breakerStartedAt)) {
        attempt.answeredAt = this.pipeline.breaker!.scheduler.now();
      }
    }
    attempt.seen++;
    if (this.pipeline.retryPlan?.resetOnSuccess === true) this.retries = 0;
    this.seen++;
    if (!attempt.window) {
      if (this.hedged !== null && this.winner === null) this.win(attempt);
      if (!this.done) this.downstream('next', value);
      return;
    }
    // Forwarded outside the breaker's window, as circuitBreaker does.
    const breaker = this.pipeline.breaker!;
    const outer = breaker.subscribing;
    breaker.subscribing = undefined;
    if (this.hedged !== null && this.winner === null) this.win(attempt);
    if (!this.done) this.downstream('next', value);
    breaker.subscribing = outer;
  }

  /** @internal */
  attemptComplete(attempt: PipelineAttempt<T>): void {
    attempt.running = false;
    attempt.ending = 'success';
    attempt.sample?.succeed();
    if (!attempt.held) {
      this.finish(attempt);
      return;
    }
    // As circuitBreaker: recorded, then forwarded, outside the breaker's window.
    attempt.held = false;
    const breaker = this.pipeline.breaker!;
    const outer = breaker.subscribing;
    breaker.subscribing = undefined;
    breaker.succeed(attempt.ticket, attempt.breakerStartedAt);
    this.finish(attempt);
    breaker.subscribing = outer;
  }

  /** `attempt` completed: so does the call (a hedged attempt that completes first wins). */
  private finish(attempt: PipelineAttempt<T>): void {
    this.attemptEvent(attempt, 'success', undefined);
    if (this.done) {
      // The call is being cut (its deadline, or torn down): the attempt only gives back what it holds.
      this.endAttempt(attempt, undefined);
      return;
    }
    if (this.hedged !== null && this.winner === null) {
      this.win(attempt);
      // Cutting the others may have let an observer cancel the call.
      if (this.done) return;
    }
    this.done = true;
    this.callEvent('success', undefined);
    this.downstream('complete', undefined);
  }

  /** @internal */
  attemptError(attempt: PipelineAttempt<T>, error: unknown): void {
    attempt.running = false;
    this.attemptFailed(attempt, error);
  }

  // ---- the stages of an attempt ----

  /** Retrying: a new attempt. */
  private retryAttempt(): void {
    const attempt = new PipelineAttempt<T>(this);
    this.current = attempt;
    this.runStages(attempt);
  }

  /**
   * Runs an attempt through the breaker, then the bulkhead, the rate limiter and the call itself.
   * Policies emit events as they admit, and an observer may cancel the call from there: after each step a
   * cancelled call stops, and gives back what it was handed meanwhile, as the operators do (operate.ts).
   */
  private runStages(attempt: PipelineAttempt<T>): void {
    const budget = this.budget;
    if (budget === undefined) {
      this.runBreaker(attempt);
      return;
    }
    // As retryBackoff and hedge subscribe their attempts (see subscribeWithin): what the attempt's
    // stages and source do at once is part of this call, and a layer inside sharing the budget deposits
    // nothing.
    budget.nesting++;
    try {
      this.runBreaker(attempt);
    } finally {
      budget.nesting--;
    }
  }

  /** The breaker's admission, then the rest of the stages. */
  private runBreaker(attempt: PipelineAttempt<T>): void {
    const { breaker } = this.pipeline;
    // As circuitBreaker: an attempt made while a call of the same breaker subscribes its source (the
    // pipeline's breaker applied again around this call) runs under that call's permit.
    if (breaker === undefined || breaker.subscribing !== undefined) {
      this.admitSlot(attempt);
      return;
    }
    const ticket = breaker.acquire();
    if (typeof ticket !== 'number') {
      if (!attempt.ended) this.attemptEnded(attempt, ticket);
      return;
    }
    const startedAt = breaker.timesCalls ? breaker.scheduler.now() : NaN;
    if (attempt.ended) {
      breaker.release(ticket, startedAt);
      return;
    }
    attempt.held = true;
    attempt.ticket = ticket;
    attempt.breakerStartedAt = startedAt;
    // And while the attempt is admitted and its source subscribed, a call of the same breaker made from
    // inside runs under its permit (the window closes while an outcome is forwarded).
    breaker.subscribing = attempt;
    attempt.window = true;
    try {
      this.admitSlot(attempt);
    } finally {
      attempt.window = false;
      breaker.subscribing = undefined;
    }
  }

  /** The bulkhead's admission. */
  private admitSlot(attempt: PipelineAttempt<T>): void {
    const { bulkhead } = this.pipeline;
    if (bulkhead !== undefined) {
      const entry = bulkhead.admit(attempt);
      if (entry === 'queued') return;
      if (entry !== 'admitted') {
        if (!attempt.ended) this.refused(attempt, entry);
        return;
      }
      if (attempt.ended) {
        bulkhead.exit(attempt.sample);
        attempt.sample = null;
        return;
      }
      attempt.slot = true;
    }
    this.admitPermit(attempt);
  }

  /** The bulkhead gave a waiting attempt its slot. @internal */
  slotGiven(attempt: PipelineAttempt<T>): void {
    if (attempt.ended) {
      this.pipeline.bulkhead!.exit(attempt.sample);
      attempt.sample = null;
      return;
    }
    attempt.slot = true;
    this.admitPermit(attempt);
  }

  /** The rate limiter's decision, for the call's key. */
  private admitPermit(attempt: PipelineAttempt<T>): void {
    const limiter = this.pipeline.rateLimiter;
    if (limiter !== undefined) {
      const verdict = limiter.admit(attempt, this.key ?? '', 1);
      if (verdict === 'waiting') return;
      if (verdict !== 'admitted') {
        if (!attempt.ended) this.refused(attempt, verdict.error);
        return;
      }
      // Admitted (a permit is never given back): an attempt given up meanwhile has given back the rest.
      if (attempt.ended) return;
    }
    this.run(attempt);
  }

  /** The rate limiter gave a waiting attempt its permit. @internal */
  permitted(attempt: PipelineAttempt<T>): void {
    if (!attempt.ended) this.run(attempt);
  }

  /**
   * A stage refused `attempt` (the bulkhead, full or after `queueTimeout`; the rate limiter, or its store
   * failing): the breaker records the refusal as its `isFailure` says, then the retry or the hedge
   * decides, as the error goes up the stack. @internal
   */
  refused(attempt: PipelineAttempt<T>, error: unknown): void {
    const breaker = attempt.held ? this.pipeline.breaker! : undefined;
    const outer = breaker?.subscribing;
    if (breaker !== undefined) breaker.subscribing = undefined;
    const next = this.breakerFailed(attempt, error);
    if (!attempt.ended) {
      if (!this.done) this.attemptEnded(attempt, next);
      else this.endAttempt(attempt, undefined);
    }
    if (breaker !== undefined) breaker.subscribing = outer;
  }

  /** The attempt reaches the call: the source is subscribed, then the attempt timer armed. */
  private run(attempt: PipelineAttempt<T>): void {
    const { attemptTimeout, timers } = this.pipeline;
    const timed = attemptTimeout !== Infinity;
    const observed = this.pipeline.observed;
    attempt.startedAt = observed ? timers.now() : NaN;
    attempt.number = ++this.reached;
    attempt.open = true;
    attempt.running = true;
    this.subscribeAttempt(attempt);
    // The attempt's clock starts at its subscribe; an attempt that ended while being subscribed needs no
    // timer, and no clock read (the subscribe itself takes no time in virtual time, microseconds in real).
    if (attempt.running && timed) {
      const now = timers.now();
      if (!observed) attempt.startedAt = now;
      timers.add(attempt, (observed ? attempt.startedAt : now) + attemptTimeout);
    }
  }

  /** `attempt`'s timer fired. @internal */
  attemptTimeoutDue(attempt: PipelineAttempt<T>): void {
    const error = new TimeoutExceededError({
      limit: 'total',
      after: this.pipeline.attemptTimeout,
      seen: attempt.seen,
      meta: this.meta,
    });
    // As timeoutAfter: the source is unsubscribed first, then the error goes on.
    attempt.ending = 'failure';
    attempt.endingError = error;
    attempt.running = false;
    this.releaseAttempt(attempt, true, error);
    this.attemptFailed(attempt, error);
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
    // As timeoutAfter: everything inside is unsubscribed first (the attempts, or the wait for a retry),
    // and what they do meanwhile (a queued attempt given the slot another gave back) is not seen. A
    // policy's events$ observer may cancel the call meanwhile.
    this.done = true;
    this.cutting = true;
    this.endAttempts(error);
    this.cutting = false;
    if (this.retryTimer !== null) timers.remove(this.retryTimer);
    if (this.torn) {
      this.callEvent(this.seen > 0 ? 'success' : 'cancelled', undefined);
      return;
    }
    this.callEvent('failure', error);
    this.failed(error);
  }

  /**
   * An attempt that reached the call failed (its own error, or its attempt timeout): a 429 or 503 carrying
   * `retryAfter` penalizes the rate limiter's key, the breaker records the failure, then the retry or the
   * hedge decides.
   */
  private attemptFailed(attempt: PipelineAttempt<T>, error: unknown): void {
    attempt.ending = 'failure';
    attempt.endingError = error;
    this.penalize(error);
    attempt.sample?.fail(error);
    const breaker = attempt.held ? this.pipeline.breaker! : undefined;
    const outer = breaker?.subscribing;
    if (breaker !== undefined) breaker.subscribing = undefined;
    const next = this.breakerFailed(attempt, error);
    this.attemptEvent(attempt, 'failure', error);
    // While the call is being cut, the failed attempt only gives back what it holds, as its subscriber
    // does after its error in the stack.
    if (!this.done) this.attemptEnded(attempt, next);
    else this.endAttempt(attempt, undefined);
    if (breaker !== undefined) breaker.subscribing = outer;
  }

  /**
   * DESIGN §2.7: an attempt failing with `HttpStatusError` 429 or 503 carrying `retryAfter` holds every
   * call to the call's key until then, not only this one.
   */
  private penalize(error: unknown): void {
    const limiter = this.pipeline.rateLimiter;
    if (limiter === undefined || !isHttpStatusError(error)) return;
    const { status, retryAfter } = error.info;
    if ((status === 429 || status === 503) && typeof retryAfter === 'number' && Number.isFinite(retryAfter)) {
      limiter.penalize(Math.max(0, retryAfter), this.key ?? '');
    }
  }

  /**
   * Settles `attempt`'s breaker permit as a failure (the breaker's `isFailure` decides whether it counts).
   * Returns the error to go on with: `error`, or what `isFailure` threw (as `circuitBreaker` forwards it).
   */
  private breakerFailed(attempt: PipelineAttempt<T>, error: unknown): unknown {
    if (!attempt.held) return error;
    attempt.held = false;
    try {
      this.pipeline.breaker!.fail(attempt.ticket, attempt.breakerStartedAt, error);
    } catch (thrown) {
      return thrown;
    }
    return error;
  }

  /** `attempt` failed with `error` (what goes up the stack): the retry or the hedge decides. */
  private attemptEnded(attempt: PipelineAttempt<T>, error: unknown): void {
    if (this.hedged === null) this.retryOrFail(attempt, error);
    else this.hedgeOrFail(attempt, error);
  }

  // ---- retry ----

  /** As `retryBackoff`: a retry after its delay, or the call fails with `error`. */
  private retryOrFail(attempt: PipelineAttempt<T>, error: unknown): void {
    const plan = this.pipeline.retryPlan;
    if (plan !== undefined && this.retries++ < plan.maxRetries) {
      let delay: number;
      try {
        delay = plan.delay(error, this.retries, this.previousDelay);
      } catch (thrown) {
        this.fail(thrown);
        return;
      }
      // An observer of the budget may have cancelled the call as the retry was withdrawn.
      if (this.done) return;
      if (delay >= 0) {
        this.previousDelay = delay;
        const { timers } = this.pipeline;
        timers.add((this.retryTimer ??= new StageTimer(this, 'retry')), timers.now() + delay);
        this.endAttempt(attempt, undefined);
        return;
      }
    }
    this.fail(error);
  }

  /** The retry's delay passed: the next attempt. @internal */
  retryDue(): void {
    this.retryAttempt();
  }

  // ---- hedge ----

  /**
   * Starts the next hedged attempt, and arms the delay for the one after it. As `hedge`: an attempt that
   * fails while it runs its stages asks for the next one from inside, and this loop starts it once it
   * has given back what it holds, so a run of synchronous failures never grows the stack.
   */
  private startHedged(): void {
    if (this.startingHedge) {
      this.pendingHedges++;
      return;
    }
    this.startingHedge = true;
    const hedged = this.hedged!;
    try {
      let more = true;
      while (more) {
        const attempt = new PipelineAttempt<T>(this);
        hedged.push(attempt);
        this.active++;
        this.runStages(attempt);
        more = this.pendingHedges > 0 && !this.done;
        if (more) this.pendingHedges--;
      }
    } finally {
      this.startingHedge = false;
    }
    // Not when the call ended meanwhile.
    if (this.winner === null && !this.done) this.armHedge();
  }

  /** The delay after the latest attempt elapsed with no value: hedge. @internal */
  hedgeDue(): void {
    this.hedgeNext();
  }

  /** As `hedge`: another attempt if one is left and the budget allows it; false if none was started. */
  private hedgeNext(): boolean {
    const plan = this.pipeline.hedgePlan!;
    if (this.exhausted || this.hedged!.length + this.pendingHedges >= plan.maxAttempts) return false;
    if (plan.budget !== undefined && !plan.budget.tryWithdraw()) {
      this.exhausted = true;
      this.disarmHedge();
      return false;
    }
    // An observer of the budget may have cancelled the call as the attempt was withdrawn.
    if (!this.done) this.startHedged();
    return true;
  }

  /**
   * As `hedge`: the winner's error is the call's; another attempt's starts the next one (when
   * `shouldHedge` accepts it and one is left), or waits for the others, or fails the call when none runs.
   * The failed attempt gives back what it holds after that decision, as its subscriber does.
   */
  private hedgeOrFail(attempt: PipelineAttempt<T>, error: unknown): void {
    if (this.winner === attempt) {
      this.fail(error);
      return;
    }
    this.active--;
    let accepted: boolean;
    try {
      accepted = this.pipeline.hedgePlan!.shouldHedge(error);
    } catch (thrown) {
      this.endHedge();
      this.fail(thrown);
      return;
    }
    if (!accepted) {
      this.endHedge();
      this.fail(error);
      return;
    }
    if (!this.hedgeNext() && this.active === 0 && this.pendingHedges === 0) {
      this.endHedge();
      this.fail(error);
      return;
    }
    this.endAttempt(attempt, undefined);
  }

  /** `attempt` emitted first (or completed empty): every other attempt is cut now. */
  private win(attempt: PipelineAttempt<T>): void {
    this.winner = attempt;
    this.disarmHedge();
    for (const other of this.hedged!) if (other !== attempt) this.endAttempt(other, undefined);
  }

  /** The call ends in an error: every attempt and the delay go. */
  private endHedge(): void {
    this.disarmHedge();
    for (const other of this.hedged!) this.endAttempt(other, undefined);
  }

  private armHedge(): void {
    const { delay, maxAttempts } = this.pipeline.hedgePlan!;
    if (delay === Infinity || this.exhausted || this.hedged!.length >= maxAttempts) {
      this.disarmHedge();
      return;
    }
    const { timers } = this.pipeline;
    timers.add((this.hedgeTimer ??= new StageTimer(this, 'hedge')), timers.now() + delay);
  }

  private disarmHedge(): void {
    if (this.hedgeTimer !== null) this.pipeline.timers.remove(this.hedgeTimer);
  }

  // ---- the end ----

  /** The call's final error (none once it has its outcome or was torn down: as in the stack, unseen). */
  private fail(error: unknown): void {
    if (this.done) return;
    this.done = true;
    this.callEvent('failure', error);
    this.downstream('error', error);
  }

  /**
   * Hands the call's value, completion or final error on, outside the budget's window (as retryBackoff
   * and hedge forward them: see subscribeWithin), so that what runs downstream is no part of this call.
   */
  private downstream(kind: 'next' | 'complete' | 'error', value: unknown): void {
    const budget = this.budget;
    const nesting = budget === undefined ? 0 : budget.nesting;
    if (nesting === 0) {
      this.forward(kind, value);
      return;
    }
    budget!.nesting = 0;
    try {
      this.forward(kind, value);
    } finally {
      budget!.nesting = nesting;
    }
  }

  private forward(kind: 'next' | 'complete' | 'error', value: unknown): void {
    if (kind === 'next') this.delivered(value as T);
    else if (kind === 'complete') this.completed();
    else this.failed(value);
  }

  /** Gives back what every attempt holds (the latest one, when retrying), cut for `reason`. */
  private endAttempts(reason: unknown): void {
    const { hedged } = this;
    if (hedged === null) {
      if (this.current !== null) this.endAttempt(this.current, reason);
      return;
    }
    this.disarmHedge();
    for (const attempt of hedged) this.endAttempt(attempt, reason);
  }

  /**
   * Gives back what `attempt` holds: its subscription (cut, if still running, for `reason`) or its place
   * in the rate limiter's wait, its timer, its slot or place in the queue, its breaker permit (recorded as
   * nothing, or as a success after a value).
   */
  private endAttempt(attempt: PipelineAttempt<T>, reason: unknown): void {
    // Once: giving back may start other attempts (a slot handed to a queued one), which may end this one
    // again (a winner cutting the others): as an unsubscribe in progress, that does nothing.
    if (attempt.ended) return;
    attempt.ended = true;
    const cancelled = attempt.running;
    attempt.running = false;
    if (cancelled) {
      // Cut while running: a success after a value (rule 2), else cancelled.
      attempt.ending = attempt.seen > 0 ? 'success' : 'cancelled';
      attempt.endingError = undefined;
    }
    this.releaseAttempt(attempt, cancelled, reason);
    if (attempt.limitedAt !== null) {
      const place = attempt.limitedAt;
      attempt.limitedAt = null;
      place.unsubscribe();
    }
    if (attempt.timerSlot !== -1) this.pipeline.timers.remove(attempt);
    if (attempt.slot) {
      attempt.slot = false;
      const sample = attempt.sample;
      attempt.sample = null;
      this.pipeline.bulkhead!.exit(sample);
    }
    if (attempt.queuedAt !== null) {
      const place = attempt.queuedAt;
      attempt.queuedAt = null;
      place.unsubscribe();
    }
    if (attempt.held) {
      attempt.held = false;
      const breaker = this.pipeline.breaker!;
      if (attempt.answered) breaker.succeed(attempt.ticket, attempt.breakerStartedAt, attempt.answeredAt);
      else breaker.release(attempt.ticket, attempt.breakerStartedAt);
    }
    // Its event, if still owed (an attempt that ended but was torn down, by an observer, before its event).
    this.attemptEvent(attempt, attempt.ending, attempt.endingError);
  }

  private attemptEvent(attempt: PipelineAttempt<T>, outcome: PipelineAttemptOutcome, error: unknown): void {
    if (!attempt.open) return;
    attempt.open = false;
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
      attempt: attempt.number,
      outcome,
      duration: at - attempt.startedAt,
      error,
    });
  }

  /**
   * The call's event, always its last: the events still owed for attempts that are given up only after
   * the outcome is delivered (hedged losers, the winner) come first, as they end now.
   */
  private callEvent(outcome: PipelineCallOutcome, error: unknown): void {
    const { pipeline } = this;
    if (!pipeline.observed) return;
    if (this.hedged !== null) {
      for (const attempt of this.hedged) {
        if (attempt.running) {
          this.attemptEvent(attempt, attempt.seen > 0 ? 'success' : 'cancelled', undefined);
        } else {
          this.attemptEvent(attempt, attempt.ending, attempt.endingError);
        }
      }
    }
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
