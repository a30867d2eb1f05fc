import type { Unsubscribable } from 'rxjs';
import type { AnswerSink } from '../../internal/awaitAnswer';
import type { RateLimitAnswer } from '../../limiter/RateLimitStore';

/**
 * One decision sent to Redis and not answered yet: a link of the store's queue of pending decisions
 * (oldest first, so one timer serves them all), settled once by whichever comes first: Redis's answer,
 * its error, the timeout, or the caller leaving.
 * @internal
 */
export class RedisDecision implements Unsubscribable {
  /** Answered, failed over, timed out or abandoned: nothing more happens to it. */
  settled = false;
  /** The next (younger) pending decision. */
  next: RedisDecision | null = null;

  constructor(
    readonly owner: { abandon(): void },
    /** A subscriber, or the limiter's call that awaits the answer directly. */
    readonly sink: AnswerSink<RateLimitAnswer>,
    readonly key: string,
    readonly cost: number,
    /** The limiter's time of the call (its scheduler), for a local decision made later. */
    readonly now: number,
    /** The store's scheduler time when the command was sent. */
    readonly sentAt: number,
  ) {}

  /** Settles it with `answer`. */
  answer(answer: RateLimitAnswer): void {
    this.settled = true;
    this.sink.next(answer);
    this.sink.complete();
  }

  /** The caller left before the answer (or the answer was delivered): a late answer is ignored. */
  unsubscribe(): void {
    if (this.settled) return;
    this.settled = true;
    this.owner.abandon();
  }
}
