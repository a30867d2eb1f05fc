import { performance } from 'perf_hooks';
import { realTimer, type CancelTimer } from '../realTimer';

/** The end of a stream, queued behind the chunks before it. @internal */
export const END = Symbol('end');

/** Where a toxic stage sends what it lets through. @internal */
export interface Sink {
  push(chunk: Buffer): void;
  end(): void;
}

/**
 * Releases queued chunks (and the end marker) to `next` in arrival order, each no earlier than its due
 * time, on one timer at a time. `flush()` releases everything at once (a toxic removed mid-stream
 * delivers what it held, as toxiproxy's do); `cancel()` drops it. `held` counts the bytes waiting, and
 * `relieved` is called after a timer released some, so the pipe can resume a source it paused.
 * @internal
 */
export class DelayQueue {
  private readonly items: Array<{ readonly item: Buffer | typeof END; readonly due: number }> = [];
  private head = 0;
  private timer: CancelTimer | undefined;
  /** Due time of the last queued item: later items are never released before it. */
  lastDue = 0;
  /** Bytes queued and not yet released. */
  held = 0;

  constructor(
    private readonly next: Sink,
    private readonly relieved: () => void = () => undefined,
  ) {}

  static now(): number {
    return performance.now();
  }

  enqueue(item: Buffer | typeof END, due: number): void {
    const at = Math.max(due, this.lastDue);
    this.lastDue = at;
    this.items.push({ item, due: at });
    if (item !== END) this.held += item.length;
    if (this.timer === undefined) this.arm();
  }

  flush(): void {
    this.stop();
    while (this.head < this.items.length) this.release();
  }

  cancel(): void {
    this.stop();
    this.items.length = 0;
    this.head = 0;
    this.held = 0;
  }

  private stop(): void {
    this.timer?.();
    this.timer = undefined;
  }

  private arm(): void {
    const first = this.items[this.head];
    if (first === undefined) {
      this.items.length = 0;
      this.head = 0;
      return;
    }
    // A due time of Infinity (a `latency: Infinity` toxic) sets no timer: the queue holds until flushed.
    this.timer = realTimer(first.due - DelayQueue.now(), () => {
      this.timer = undefined;
      const now = DelayQueue.now();
      while (this.head < this.items.length && this.items[this.head]!.due <= now + 0.5) this.release();
      this.arm();
      this.relieved();
    });
  }

  private release(): void {
    const { item } = this.items[this.head]!;
    this.head++;
    if (item === END) this.next.end();
    else {
      this.held -= item.length;
      this.next.push(item);
    }
  }
}
