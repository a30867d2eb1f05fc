import type { Subscription, Unsubscribable } from 'rxjs';
import type { BulkheadEntrant } from '../bulkhead/Bulkhead';
import type { LimitSample } from '../bulkhead/LimitSample';
import type { BulkheadRejectedError } from '../errors/BulkheadRejectedError';
import { OwnedSubscriber } from '../internal/operate';
import type { Deadline } from '../internal/TimerQueue';
import type { RateLimiterEntrant } from '../limiter/RateLimiter';
import type { LazyAbortSignal } from './LazyAbortSignal';
import type { PipelineCall } from './PipelineCall';
import type { PipelineAttemptOutcome } from './PipelineEvent';

/**
 * One attempt of a {@link PipelineCall}: what it holds from each stage (a breaker permit, a bulkhead slot or
 * its place in the queue, its place in the rate limiter's wait), its attempt timeout (a limit in the
 * scheduler's timer queue, as `timeoutAfter`'s), and its subscription to the source. One object per
 * attempt: in the rxjs form it is also the attempt's subscriber (owned by its call, which the destination
 * holds), and it is the entrant the bulkhead and the rate limiter call back, so an attempt costs no
 * closure and no other object. Its call does everything; the attempt only routes.
 * @internal
 */
export class PipelineAttempt<T>
  extends OwnedSubscriber<T>
  implements BulkheadEntrant, RateLimiterEntrant, Deadline
{
  // The attempt timeout, as a deadline of the scheduler's timer queue (a limit, as timeoutAfter's).
  timerDue = Infinity;
  timerSlot = -1;
  timerOrder = 0;
  readonly timerIsLimit = true;

  /** It holds a breaker permit, admitted under `ticket`. */
  held = false;
  ticket = 0;
  breakerStartedAt = NaN;
  /** It delivered a value while holding its permit: giving the permit back is then a success (rule 2). */
  answered = false;
  answeredAt = NaN;
  /** It is being admitted and subscribed under its breaker permit (the breaker's nesting window). */
  window = false;

  /** It holds a bulkhead slot. */
  slot = false;
  /** An adaptive bulkhead's sample of its slot (set by the pool): its end is recorded on it. */
  sample: LimitSample | null = null;
  /** Its place in the bulkhead's queue. */
  queuedAt: Unsubscribable | null = null;
  /** Its place in the rate limiter's wait (for an answer or for its turn). */
  limitedAt: Unsubscribable | null = null;

  /** It was given up (what it held given back): a stage that calls back later finds it so. */
  ended = false;
  /** Its source is subscribed (or its function runs) and has not ended. */
  running = false;
  /** Its number among the call's attempts that reached the call, from 1 (0 until it does). */
  number = 0;
  startedAt = NaN;
  /** Values it delivered (its attempt timeout's `info.seen`). */
  seen = 0;
  /** An 'attempt' event is owed for it. */
  open = false;
  /** How it ended, once it has (its event may still be owed). */
  ending: PipelineAttemptOutcome = 'success';
  endingError: unknown = undefined;

  /** The Promise form: what aborts its signal. */
  abortable: AbortController | LazyAbortSignal | null = null;
  /**
   * Its subscription to the source when that is not itself: the Promise form's to an `ObservableInput`,
   * the rxjs form's when subscribed after the destination closed.
   */
  inner: Subscription | null = null;

  constructor(readonly call: PipelineCall<T>) {
    super();
  }

  // As the subscriber of its source (the rxjs form).
  protected handleNext(value: T): void {
    this.call.attemptNext(this, value);
  }

  protected handleError(error: unknown): void {
    this.call.attemptError(this, error);
  }

  protected handleComplete(): void {
    this.call.attemptComplete(this);
  }

  protected handleThrow(error: unknown): void {
    this.call.handlerThrew(error);
  }

  /** Its attempt timeout expired. */
  onDeadline(): void {
    this.call.attemptTimeoutDue(this);
  }

  // The bulkhead's entrant.
  queued(place: Unsubscribable): void {
    this.queuedAt = place;
  }

  enter(): void {
    this.queuedAt = null;
    this.call.slotGiven(this);
  }

  refuse(error: BulkheadRejectedError): void {
    this.queuedAt = null;
    this.call.refused(this, error);
  }

  // The rate limiter's entrant.
  awaitPermit(place: Unsubscribable): void {
    this.limitedAt = place;
  }

  permitted(): void {
    this.limitedAt = null;
    this.call.permitted(this);
  }

  denied(error: unknown): void {
    this.limitedAt = null;
    this.call.refused(this, error);
  }
}
