import { Subject } from 'rxjs';

/**
 * A `Subject` whose re-entrant emissions reach every observer in order. A plain `Subject` delivers a
 * value emitted from inside an observer at once, to every observer, before the outer value has reached
 * the observers after that one: those then see the newer value first and the older one last, and a state
 * derived from "the last value seen" ends stale (a bulkhead's second observer ending on `empty` while a
 * first observer's reaction filled the pool).
 *
 * Here a value emitted while another is being delivered waits in a backlog and is delivered, to every
 * observer, once the outer value has reached them all: every observer sees every value in the order they
 * were emitted, and the last value each one sees is the last emitted. Observers still run synchronously,
 * within the outermost `next`. The backlog holds only what observers emit while reacting, and is emptied
 * before that `next` returns.
 * @internal
 */
export class OrderedSubject<T> extends Subject<T> {
  private delivering = false;
  private readonly backlog: T[] = [];

  override next(value: T): void {
    if (this.delivering) {
      this.backlog.push(value);
      return;
    }
    this.delivering = true;
    try {
      super.next(value);
      // The backlog may grow while it is delivered: read its length on every turn.
      for (let i = 0; i < this.backlog.length; i++) super.next(this.backlog[i]!);
    } finally {
      this.backlog.length = 0;
      this.delivering = false;
    }
  }
}
