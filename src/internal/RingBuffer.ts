/**
 * A first-in first-out queue of at most `capacity` values, in a circular array: `push`, `shift` and
 * `dropOldest` are O(1) (no `Array#shift`, whose cost grows with the length of the array).
 *
 * Storage grows by doubling up to `capacity` as values arrive, so a large capacity costs nothing until it
 * is used, and never more than `capacity` slots once it is. Every slot a value leaves is cleared at once,
 * so a value that left the queue is never kept alive by it.
 * @internal
 */
export class RingBuffer<T> {
  /** The most values the queue holds. */
  readonly capacity: number;
  private slots: Array<T | undefined>;
  /** Index in `slots` of the oldest value. */
  private head = 0;
  private count = 0;

  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 0) {
      throw new RangeError(`RingBuffer: capacity must be a non-negative integer, got ${capacity}`);
    }
    this.capacity = capacity;
    this.slots = new Array<T | undefined>(Math.min(capacity, INITIAL_SLOTS));
  }

  /** How many values wait. */
  get size(): number {
    return this.count;
  }

  /** True when `push` would refuse. */
  get full(): boolean {
    return this.count === this.capacity;
  }

  /** Appends `value` as the newest; returns false (and keeps nothing) when the queue is full. */
  push(value: T): boolean {
    if (this.count === this.capacity) return false;
    if (this.count === this.slots.length) this.grow();
    const slots = this.slots;
    let tail = this.head + this.count;
    if (tail >= slots.length) tail -= slots.length;
    slots[tail] = value;
    this.count++;
    return true;
  }

  /** Removes and returns the oldest value; `undefined` when empty (check `size` if `T` admits it). */
  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const slots = this.slots;
    const value = slots[this.head];
    slots[this.head] = undefined;
    this.head = this.head + 1 === slots.length ? 0 : this.head + 1;
    this.count--;
    return value;
  }

  /** Evicts the oldest value to make room and returns it: the same operation as `shift`, named for intent. */
  dropOldest(): T | undefined {
    return this.shift();
  }

  /** The oldest value without removing it; `undefined` when empty. */
  peek(): T | undefined {
    return this.count === 0 ? undefined : this.slots[this.head];
  }

  /** Drops every value and gives the storage back. */
  clear(): void {
    this.slots = new Array<T | undefined>(Math.min(this.capacity, INITIAL_SLOTS));
    this.head = 0;
    this.count = 0;
  }

  /** The values, oldest first (a copy, for tests and diagnostics). */
  toArray(): T[] {
    const out: T[] = [];
    const slots = this.slots;
    for (let i = 0, at = this.head; i < this.count; i++, at = at + 1 === slots.length ? 0 : at + 1) {
      out.push(slots[at] as T);
    }
    return out;
  }

  /** Doubles the storage (at most to `capacity`), unrolling the circle so the oldest value is at 0. */
  private grow(): void {
    const slots = this.slots;
    const next = new Array<T | undefined>(Math.min(this.capacity, Math.max(INITIAL_SLOTS, slots.length * 2)));
    for (let i = 0, at = this.head; i < this.count; i++, at = at + 1 === slots.length ? 0 : at + 1) {
      next[i] = slots[at];
    }
    this.slots = next;
    this.head = 0;
  }
}

/** Slots allocated up front (or `capacity`, if smaller). */
const INITIAL_SLOTS = 16;
