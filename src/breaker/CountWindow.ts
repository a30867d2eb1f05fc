import type { OutcomeWindow, OutcomeWindowSnapshot } from './OutcomeWindow';

/**
 * The last `size` outcomes, in a ring buffer of one byte per outcome with running sums: recording evicts
 * the oldest outcome once the ring is full, in O(1) and without allocating.
 */
export class CountWindow implements OutcomeWindow {
  readonly size: number;
  calls = 0;
  failures = 0;
  slowCalls = 0;
  /** Each outcome as `failed | (slow << 1)`. */
  private readonly ring: Uint8Array;
  /** Where the next outcome is written; once the ring is full, also the oldest outcome. */
  private head = 0;

  constructor(size: number) {
    this.size = size;
    this.ring = new Uint8Array(size);
  }

  record(failed: boolean, slow: boolean): void {
    const code = (failed ? 1 : 0) | (slow ? 2 : 0);
    const { ring, head } = this;
    if (this.calls === this.size) {
      const evicted = ring[head]!;
      this.failures -= evicted & 1;
      this.slowCalls -= evicted >> 1;
    } else {
      this.calls++;
    }
    ring[head] = code;
    this.failures += code & 1;
    this.slowCalls += code >> 1;
    this.head = head + 1 === this.size ? 0 : head + 1;
  }

  advance(): void {
    // Outcomes leave a count window only when newer ones arrive.
  }

  clear(): void {
    this.calls = 0;
    this.failures = 0;
    this.slowCalls = 0;
    this.head = 0;
  }

  toJSON(): OutcomeWindowSnapshot {
    const outcomes: number[] = [];
    const start = this.calls === this.size ? this.head : 0;
    for (let i = 0; i < this.calls; i++) outcomes.push(this.ring[(start + i) % this.size]!);
    return { type: 'count', outcomes };
  }

  /** Replays `snapshot` (oldest first); only the newest `size` outcomes stay. */
  restore(snapshot: OutcomeWindowSnapshot): void {
    this.clear();
    if (snapshot.type !== 'count') return;
    for (const code of snapshot.outcomes.slice(-this.size)) this.record((code & 1) === 1, (code & 2) === 2);
  }
}
