import type { SchedulerAction, SchedulerLike, Subscription } from 'rxjs';

/**
 * The longest delay a timer of Node or a browser can wait (2^31 - 1 ms, about 24.8 days); a longer one
 * fires after 1 ms. The queue never asks its scheduler for more, and re-arms for the rest.
 * @internal
 */
export const MAX_TIMER_DELAY = 2_147_483_647;

/**
 * A deadline kept in a {@link TimerQueue}: an object of the caller's (one per call, say), so that a
 * pending deadline costs no allocation of its own. The queue owns the three `timer*` fields; a new
 * deadline starts with `timerDue = Infinity`, `timerSlot = -1` and `timerOrder = 0`.
 *
 * ```ts
 * class Call implements Deadline {
 *   timerDue = Infinity;
 *   timerSlot = -1;
 *   timerOrder = 0;
 *   onDeadline(due: number): void { ... }
 * }
 * ```
 * @internal
 */
export interface Deadline {
  /** Queue time at which it is due; `Infinity` while it is not queued. Written by the queue only. */
  timerDue: number;
  /**
   * Its place in the queue (a heap slot, or 2^30 plus a slot of the queue's run); `-1` while it is not
   * queued. Written by the queue only.
   */
  timerSlot: number;
  /** When it was (re)queued, to order deadlines due at the same instant. Written by the queue only. */
  timerOrder: number;
  /**
   * True for a limit (a timeout): work the scheduler holds for the instant it is due at runs before it,
   * so that a value exactly at the limit is in time even when other deadlines fire at that instant. Other
   * deadlines due at one instant fire together, in the order they were added.
   */
  readonly timerIsLimit?: boolean | undefined;
  /**
   * Called once when the deadline is reached, after it has left the queue, with the time it was due at
   * (what was given to {@link TimerQueue.add}). It may add or remove deadlines, itself included. A throw
   * does not stop the other deadlines; it is rethrown from a scheduled action of its own.
   */
  onDeadline(due: number): void;
}

/** An armed action that should have fired this long ago (ms) is presumed to belong to another clock. */
const STALE_AFTER = 1000;

/**
 * A clock that steps back by more than this (2^30 ms, about 12 days) is another clock, not the same one
 * set back: `asyncScheduler` inside `TestScheduler.run` reads virtual frames from 0.
 */
const OTHER_CLOCK = 2 ** 30;

const queues = new WeakMap<SchedulerLike, TimerQueue>();

/**
 * One timer for many deadlines: the pending deadlines of one scheduler, ordered by due time, share one
 * scheduled action aimed at the earliest, as Netty's HashedWheelTimer or the kernel's timer wheel share
 * one clock tick. Adding and removing a deadline is O(1) when it is due no earlier than the one added
 * before it (a FIFO run: one limit for every call, as Node keeps one list per duration), else O(log n)
 * (a binary heap); either touches the scheduler only
 * when a new deadline is nearer than the armed action's delay (with one limit for every call, never; and a
 * wall clock set forward then delays no deadline), or when the queue empties (the action is cancelled, so
 * an idle queue holds no timer). A removed earliest deadline leaves the action armed: it wakes, finds
 * nothing due and re-arms. 10 000 calls in flight with a deadline each hold one real timer.
 *
 * It works on any `SchedulerLike`, and keeps virtual time exact:
 * - Delays are asked of the scheduler as `due - now`, at most {@link MAX_TIMER_DELAY}; a longer wait
 *   re-arms (from inside the action, as rxjs's own periodic actions do). `Infinity` is never queued.
 * - Deadlines due at the same instant fire in the order they were added. A limit
 *   ({@link Deadline.timerIsLimit}) that the firing action was not armed for re-arms with delay 0
 *   instead of firing at once, so that what the scheduler holds for that instant (a value exactly at the
 *   limit) runs first, as it would with one action per deadline.
 * - It never spins on an instant: a re-arm always asks for a delay that moves the clock on (a deadline
 *   within floating-point error of now, which `now + delay` rounds back to now, is due), and an owner
 *   trusts a firing instead of recomputing what is left (`12.827000000000002 + 20 - 32.827` is not 0).
 *
 * Its time ({@link TimerQueue.now}) is the scheduler's, except that it never steps back: when the clock
 * is set back, queue time stands still until the clock catches up; and a timer that fires when the clock
 * reads earlier than when it was armed has still waited its delay, so queue time moves on to what the
 * timer was armed for. A wall clock set back while deadlines wait therefore stretches none of them by
 * more than their own delay (none at all when the step goes below the time they were armed at), as
 * with rxjs's own timers; a deadline never fires before its due time by a clock that moved on. A clock that steps back by weeks is another clock (`asyncScheduler` inside `TestScheduler.run`):
 * the deadlines pending then keep their own timer and time, and queue time starts again from the new
 * clock, so virtual time stays exact. Queue time equals `scheduler.now()` in virtual time. A flush that
 * throws drops every action it holds, ours too: the deadlines of that action never fire (as rxjs's own
 * timers of that flush never do), and later ones get a timer of their own.
 *
 * Owners read times for their deadlines with {@link TimerQueue.now} (never mixing them with
 * `scheduler.now()`), add the deadline, remove it when their subscription ends, and trust a firing: the
 * deadline has passed.
 *
 * @example
 * ```ts
 * const queue = TimerQueue.of(scheduler);           // once per policy
 * queue.add(call, queue.now() + limit);             // per call; O(1) with one limit
 * destination.add(() => queue.remove(call));        // leaks nothing on unsubscribe
 * ```
 * @internal
 */
export class TimerQueue {
  /** The one queue of `scheduler`, created on first use and kept as long as the scheduler lives. */
  static of(scheduler: SchedulerLike): TimerQueue {
    let queue = queues.get(scheduler);
    if (queue === undefined) {
      queue = new TimerQueue(scheduler);
      queues.set(scheduler, queue);
    }
    return queue;
  }

  /** The heap new deadlines go to, on the clock as it reads now. */
  private current: TimerHeap;
  /** Heaps left on another clock, each with its own timer and time, until they empty. */
  private readonly detached: TimerHeap[] = [];
  /** Next `timerOrder`. */
  private order = 0;
  /** The latest queue time read. @internal */
  last = -Infinity;

  private constructor(
    /** The scheduler whose time this queue keeps and whose timer it uses. */
    readonly scheduler: SchedulerLike,
  ) {
    this.current = new TimerHeap(this);
  }

  /** Deadlines pending. */
  get size(): number {
    let size = this.current.size;
    for (const heap of this.detached) size += heap.size;
    return size;
  }

  /** Queue time, in ms: `scheduler.now()` that never steps back (see the class notes). */
  now(): number {
    const heap = this.current;
    const raw = this.scheduler.now();
    const time = raw + heap.skew;
    if (time >= this.last) return (this.last = time);
    if (this.size === 0) {
      // Nothing pending depends on queue time: follow the clock (a new `TestScheduler.run`, say).
      heap.skew = 0;
      return (this.last = raw);
    }
    if (this.last - time > OTHER_CLOCK) {
      if (!heap.firing) this.detach();
      return (this.last = raw);
    }
    // Set back: stand still until the clock catches up.
    heap.skew += this.last - time;
    return this.last;
  }

  /**
   * Queues `deadline` to fire at `due` (queue time), or moves it there if it is queued already. A due time
   * at or before now fires as soon as the scheduler runs the action; `Infinity` removes it (it never fires
   * and holds no timer). O(1) when `due` is no earlier than the last deadline added, else O(log n).
   * @throws {RangeError} when `due` is NaN, or `deadline` is queued in another queue.
   */
  add(deadline: Deadline, due: number): void {
    if (!(due < Infinity)) {
      if (due !== Infinity) throw new RangeError(`TimerQueue: a deadline cannot be due at ${due}`);
      this.remove(deadline);
      return;
    }
    // First, so that a deadline being moved is found in the heap it is in.
    const heap = this.fresh();
    if (deadline.timerSlot >= 0 && !heap.holds(deadline)) {
      const holder = this.holderOf(deadline);
      if (holder === undefined) throw new RangeError('TimerQueue: the deadline is queued in another queue');
      this.take(holder, deadline);
    }
    heap.insert(deadline, due, this.order++);
    if (!heap.firing && heap.mayFireAfter(due, this.last)) heap.arm(this.now());
  }

  /**
   * Removes `deadline` if it is queued (it will not fire); returns whether it was. O(1), or O(log n) if
   * it was added earlier than the one before it. The last deadline out cancels the scheduled action.
   */
  remove(deadline: Deadline): boolean {
    if (deadline.timerSlot < 0) return false;
    const heap = this.current;
    if (!heap.holds(deadline)) {
      const holder = this.holderOf(deadline);
      if (holder === undefined) return false;
      this.take(holder, deadline);
      return true;
    }
    if (heap.size === 1 && heap.armed && !heap.firing) {
      // The last one out cancels the timer, unless the timer belongs to another clock: a real timer
      // cancelled inside `TestScheduler.run` is cleared on the virtual clock, and fires anyway.
      this.now();
      if (heap === this.current && heap.stale(this.last)) this.detach();
      if (heap !== this.current) {
        this.take(heap, deadline);
        return true;
      }
      heap.delete(deadline);
      heap.cancel();
      return true;
    }
    heap.delete(deadline);
    return true;
  }

  /** True while `deadline` is queued here. */
  has(deadline: Deadline): boolean {
    return deadline.timerSlot >= 0 && (this.current.holds(deadline) || this.holderOf(deadline) !== undefined);
  }

  /** True if `heap` takes the new deadlines. @internal */
  isCurrent(heap: TimerHeap): boolean {
    return heap === this.current;
  }

  /**
   * The current heap, made fit to take a deadline. Its armed action may be gone without having run:
   * - closed by its scheduler, not by the heap: a flush that threw (a test failing inside
   *   `TestScheduler.run`) unsubscribes every action still pending. Its deadlines would never fire, as
   *   rxjs's own timers of that flush never do: they are dropped, and later ones get a timer of their own.
   * - armed on another clock and overdue by more than `STALE_AFTER` (a `TestScheduler.run` that ended
   *   before its flush; or an event loop blocked that long): the heap is left to its action, which fires
   *   its deadlines if it ever runs, and a new heap starts.
   */
  private fresh(): TimerHeap {
    const heap = this.current;
    if (heap.dropped) heap.clear();
    else if (heap.stale(this.last)) return this.detach();
    return heap;
  }

  /** Leaves the current heap (and its action) to its deadlines, and starts a new one. */
  private detach(): TimerHeap {
    const heap = this.current;
    if (heap.size > 0) this.detached.push(heap);
    this.current = new TimerHeap(this);
    return this.current;
  }

  private holderOf(deadline: Deadline): TimerHeap | undefined {
    for (const heap of this.detached) if (heap.holds(deadline)) return heap;
    return undefined;
  }

  /** Takes `deadline` out of a heap that is not current; it is dropped once empty (its timer fires idle). */
  private take(heap: TimerHeap, deadline: Deadline): void {
    heap.delete(deadline);
    if (heap.size === 0) this.dropped(heap);
  }

  /** Called by a heap that emptied. @internal */
  dropped(heap: TimerHeap): void {
    const i = this.detached.indexOf(heap);
    if (i >= 0) this.detached.splice(i, 1);
  }
}

/** `timerSlot` of a deadline in a heap's run: this plus its index in the run's ring. */
const IN_RUN = 2 ** 30;
/** A run with at least this many slots is compacted once fewer than a quarter of them hold a deadline. */
const COMPACT_FROM = 64;

/**
 * The deadlines of one clock with one scheduled action aimed at the earliest. The {@link TimerQueue}
 * keeps one per clock it has seen (almost always exactly one).
 *
 * They are kept in two places: a run, a FIFO ring of deadlines each due no earlier than the one added
 * before it (one limit for every call: each call's deadline is now + limit), where adding, removing the
 * earliest and removing any other are O(1) (a removed one leaves an empty slot, compacted away once they
 * outnumber the deadlines three to one); and a binary heap for the others, O(log n). The earliest is the
 * earlier of the run's first and the heap's root, by due time then by the order they were added.
 * @internal
 */
class TimerHeap {
  private readonly items: Deadline[] = [];
  /** The run: a ring (its length a power of two), `runLength` slots of it used from `runStart`. */
  private ring: Array<Deadline | null> = [];
  private runStart = 0;
  private runLength = 0;
  /** Deadlines in the run (its used slots minus the empty ones). */
  private runSize = 0;
  /** Due time of the last deadline added to the run: a later one may join it. */
  private runTail = -Infinity;
  /** The armed action, or null when none is armed (or the action is running). */
  private action: Subscription | null = null;
  /** Queue time the armed action fires at, if the clock moves with its timer. */
  armedFor = Infinity;
  /** Queue time the armed action was armed at. */
  private armedAt = -Infinity;
  /** `timerOrder` of the deadline the action was armed for. */
  private armedOrder = -1;
  /** Bumped on every arm and firing: tells `arm` whether the action ran while it was being scheduled. */
  private arms = 0;
  firing = false;
  /** Added to `scheduler.now()` to give this heap's queue time (see `TimerQueue.now`). */
  skew = 0;

  constructor(private readonly queue: TimerQueue) {}

  get size(): number {
    return this.items.length + this.runSize;
  }

  get armed(): boolean {
    return this.action !== null;
  }

  holds(deadline: Deadline): boolean {
    const slot = deadline.timerSlot;
    return slot >= IN_RUN ? this.ring[slot - IN_RUN] === deadline : this.items[slot] === deadline;
  }

  /** The earliest deadline, or undefined. */
  private earliest(): Deadline | undefined {
    const root = this.items[0];
    if (this.runSize === 0) return root;
    const first = this.ring[this.runStart]!;
    return root === undefined || before(first, root) ? first : root;
  }

  /** Whether the armed action was closed by someone else (its scheduler): it will never run. */
  get dropped(): boolean {
    return this.action !== null && this.action.closed;
  }

  /** Drops every deadline (none fires) and forgets the action. */
  clear(): void {
    for (const deadline of this.items) {
      deadline.timerSlot = -1;
      deadline.timerDue = Infinity;
    }
    this.items.length = 0;
    for (const deadline of this.ring) {
      if (deadline === null) continue;
      deadline.timerSlot = -1;
      deadline.timerDue = Infinity;
    }
    this.ring = [];
    this.resetRun();
    this.action = null;
    this.armedFor = Infinity;
  }

  /**
   * Whether the armed action may fire after `due` (`now`: the latest queue time read): none is armed, or
   * `due` is nearer than the action's delay. Not `due < armedFor`: a wall clock set forward after the
   * action was armed moves queue time on but not the timer, which still waits its whole delay, so a
   * deadline later than `armedFor` by the clock may be due before the action fires. With one limit for
   * every call, a new deadline is never nearer than the armed delay, and nothing is re-armed.
   */
  mayFireAfter(due: number, now: number): boolean {
    return this.action === null || due - now < this.armedFor - this.armedAt;
  }

  /** Whether the armed action should have fired `STALE_AFTER` ms before `now`. */
  stale(now: number): boolean {
    return this.action !== null && this.armedFor < now - STALE_AFTER;
  }

  /** Queues `deadline` at `due`, or moves it there: to the end of the run if it is due no earlier. */
  insert(deadline: Deadline, due: number, order: number): void {
    if (deadline.timerSlot >= 0) this.delete(deadline);
    deadline.timerDue = due;
    deadline.timerOrder = order;
    if (due >= this.runTail) {
      this.append(deadline);
      return;
    }
    deadline.timerSlot = this.items.length;
    this.items.push(deadline);
    this.up(deadline.timerSlot);
  }

  delete(deadline: Deadline): void {
    const slot = deadline.timerSlot;
    if (slot >= IN_RUN) this.unrun(slot - IN_RUN);
    else this.removeAt(slot);
  }

  /** Adds `deadline` at the end of the run (it is due no earlier than the run's last). */
  private append(deadline: Deadline): void {
    let ring = this.ring;
    if (this.runLength === ring.length) ring = this.relayout(Math.max(16, ring.length * 2));
    const index = (this.runStart + this.runLength) & (ring.length - 1);
    ring[index] = deadline;
    deadline.timerSlot = IN_RUN + index;
    this.runLength++;
    this.runSize++;
    this.runTail = deadline.timerDue;
  }

  /** Takes the deadline at ring `index` out of the run. */
  private unrun(index: number): void {
    const ring = this.ring;
    const deadline = ring[index]!;
    ring[index] = null;
    deadline.timerSlot = -1;
    deadline.timerDue = Infinity;
    if (--this.runSize === 0) {
      this.resetRun();
      return;
    }
    const mask = ring.length - 1;
    if (index === this.runStart) {
      // The first left: the run starts at the next deadline.
      let start = this.runStart;
      do {
        start = (start + 1) & mask;
        this.runLength--;
      } while (ring[start] === null);
      this.runStart = start;
    } else if (this.runLength >= COMPACT_FROM && this.runSize * 4 < this.runLength) {
      this.relayout(ring.length);
    }
  }

  /** Moves the run's deadlines to the start of a ring of `capacity` slots, in order, without gaps. */
  private relayout(capacity: number): Array<Deadline | null> {
    const old = this.ring;
    const mask = old.length - 1;
    const ring: Array<Deadline | null> = new Array<Deadline | null>(capacity).fill(null);
    let length = 0;
    for (let i = 0; i < this.runLength; i++) {
      const deadline = old[(this.runStart + i) & mask]!;
      if (deadline === null) continue;
      deadline.timerSlot = IN_RUN + length;
      ring[length++] = deadline;
    }
    this.ring = ring;
    this.runStart = 0;
    this.runLength = length;
    return ring;
  }

  /** Empties the run (whose slots are empty already: each deadline empties its own as it leaves). */
  private resetRun(): void {
    this.runStart = 0;
    this.runLength = 0;
    this.runSize = 0;
    this.runTail = -Infinity;
  }

  /** Replaces any armed action by one aimed at the earliest deadline. */
  arm(now: number): void {
    this.cancel();
    const head = this.earliest();
    if (head === undefined) return;
    const delay = delayTo(head.timerDue, now);
    this.armedAt = now;
    this.armedFor = now + delay;
    this.armedOrder = head.timerOrder;
    const token = ++this.arms;
    const action = this.queue.scheduler.schedule(TimerHeap.fire, delay, this);
    // A scheduler may run a due action synchronously (`queueScheduler`): it has then re-armed itself.
    if (this.arms === token) this.action = action;
  }

  cancel(): void {
    if (this.action !== null) {
      this.action.unsubscribe();
      this.action = null;
    }
    this.armedFor = Infinity;
  }

  /** The work of the scheduled action. */
  private static fire(this: SchedulerAction<TimerHeap>, heap?: TimerHeap): void {
    heap!.run(this);
  }

  /** Fires what is due; run by the scheduled action. */
  private run(action: SchedulerAction<TimerHeap>): void {
    this.arms++;
    this.action = null;
    const { queue } = this;
    const { scheduler } = queue;
    const current = queue.isCurrent(this);
    let now = scheduler.now() + this.skew;
    // A clock that reads earlier than when the timer was armed was set back meanwhile: the timer has
    // still waited its delay, so queue time moves on to what it was armed for. (A timer that fires a
    // little early by a clock that did move on, as Node's may, waits the rest: at most its delay.) And
    // queue time never steps back.
    let floor = now < this.armedAt ? this.armedFor : -Infinity;
    if (current && queue.last > floor) floor = queue.last;
    if (now < floor) {
      this.skew += floor - now;
      now = floor;
    }
    if (current) queue.last = now;
    const armedOrder = this.armedOrder;
    this.armedFor = Infinity;
    let failure: { error: unknown } | null = null;
    let fired = 0;
    let yielded = false;
    this.firing = true;
    for (;;) {
      const head = this.earliest();
      if (head === undefined) break;
      const due = head.timerDue;
      if (due > now) break;
      // A limit due exactly now that this action was not armed for (one fired before it, or the one it was
      // armed for left): what else the scheduler holds for this instant may be meant to come first (a
      // value exactly at the limit), so it runs from a new action, after that.
      if (head.timerIsLimit === true && (fired > 0 || head.timerOrder !== armedOrder) && due === now) {
        yielded = true;
        break;
      }
      this.delete(head);
      fired++;
      try {
        head.onDeadline(due);
      } catch (error) {
        failure ??= { error };
      }
    }
    this.firing = false;
    const next = this.earliest();
    if (next !== undefined) {
      const later = scheduler.now() + this.skew;
      const at = later > now ? later : now;
      const delay = yielded ? 0 : delayTo(next.timerDue, at);
      this.armedAt = at;
      this.armedFor = at + delay;
      this.armedOrder = next.timerOrder;
      const token = ++this.arms;
      const rearmed = action.schedule(this, delay);
      if (rearmed !== action) {
        // A scheduler that re-arms with a new action (rxjs's virtual one makes it a child of this one):
        // this one is done. Detached and closed, it holds nothing, and the chain never grows.
        action.remove(rearmed);
        action.unsubscribe();
      }
      if (this.arms === token) this.action = rearmed;
    } else {
      queue.dropped(this);
    }
    if (failure !== null) scheduler.schedule(rethrow, 0, failure.error);
  }

  private removeAt(slot: number): void {
    const items = this.items;
    const removed = items[slot]!;
    const last = items.pop()!;
    removed.timerSlot = -1;
    removed.timerDue = Infinity;
    if (last === removed) return;
    items[slot] = last;
    last.timerSlot = slot;
    if (!this.up(slot)) this.down(slot);
  }

  /** Moves the deadline at `slot` towards the root while it is earlier than its parent; true if it moved. */
  private up(slot: number): boolean {
    const items = this.items;
    const item = items[slot]!;
    const start = slot;
    while (slot > 0) {
      const parentSlot = (slot - 1) >> 1;
      const parent = items[parentSlot]!;
      if (!before(item, parent)) break;
      items[slot] = parent;
      parent.timerSlot = slot;
      slot = parentSlot;
    }
    if (slot === start) return false;
    items[slot] = item;
    item.timerSlot = slot;
    return true;
  }

  /** Moves the deadline at `slot` towards the leaves while a child is earlier. */
  private down(slot: number): void {
    const items = this.items;
    const size = items.length;
    const item = items[slot]!;
    for (;;) {
      let child = 2 * slot + 1;
      if (child >= size) break;
      if (child + 1 < size && before(items[child + 1]!, items[child]!)) child++;
      const earlier = items[child]!;
      if (!before(earlier, item)) break;
      items[slot] = earlier;
      earlier.timerSlot = slot;
      slot = child;
    }
    items[slot] = item;
    item.timerSlot = slot;
  }
}

/** Heap order: by due time, then by the order deadlines were added. */
function before(a: Deadline, b: Deadline): boolean {
  return a.timerDue < b.timerDue || (a.timerDue === b.timerDue && a.timerOrder < b.timerOrder);
}

/**
 * The delay to ask the scheduler for: at most one timer's reach, and 0 for what is due, or due within
 * floating-point error (`now + delay` that rounds back to `now`): a deadline is never re-armed for a
 * delay that would fire it at the same instant, so the queue cannot spin on one instant.
 */
function delayTo(due: number, now: number): number {
  const delay = due - now;
  return now + delay > now ? Math.min(delay, MAX_TIMER_DELAY) : 0;
}

function rethrow(this: SchedulerAction<unknown>, error?: unknown): void {
  throw error;
}
