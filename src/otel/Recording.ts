import { Subscription } from 'rxjs';
import type { PolicyRecorder } from './PolicyRecorder';
import type { Telemetry } from './Telemetry';

/** A policy being recorded and how many times it was added. */
interface Held {
  count: number;
  readonly subscription: Subscription;
}

/**
 * The policies one `instrument` call records, each once however many ways it was reached (given twice,
 * given and also held by a given pipeline, held by a registry): a policy is recorded from its first
 * `add` until its last one is unsubscribed.
 * @internal
 */
export class Recording {
  private readonly held = new Map<object, Held>();
  private closed = false;

  constructor(
    readonly telemetry: Telemetry,
    private readonly recorders: ReadonlyArray<PolicyRecorder>,
  ) {}

  /** The recorder of `policy`, or `undefined` for an object no recorder knows. */
  recorderOf(policy: unknown): PolicyRecorder | undefined {
    return this.recorders.find((recorder) => recorder.accepts(policy));
  }

  /**
   * Records `policy` until the returned subscription is unsubscribed (or the recording closes). An object
   * no recorder knows (a registry of your own policies, say) is recorded as nothing.
   */
  add(policy: object): Subscription {
    if (this.closed) return Subscription.EMPTY;
    let held = this.held.get(policy);
    if (held === undefined) {
      const recorder = this.recorderOf(policy);
      if (recorder === undefined) return Subscription.EMPTY;
      held = { count: 0, subscription: recorder.record(policy, this) };
      this.held.set(policy, held);
    }
    held.count++;
    const entry = held;
    let added = true;
    return new Subscription(() => {
      if (!added) return;
      added = false;
      if (--entry.count > 0 || this.held.get(policy) !== entry) return;
      this.held.delete(policy);
      entry.subscription.unsubscribe();
    });
  }

  /** Stops recording every policy. */
  close(): void {
    this.closed = true;
    const held = Array.from(this.held.values());
    this.held.clear();
    for (const entry of held) entry.subscription.unsubscribe();
  }

  /** Policies being recorded now (for specs: nothing left after `close`). */
  get size(): number {
    return this.held.size;
  }
}
