import type { RateLimitAnswer, RateLimitRule, RateLimitStore } from './RateLimitStore';

/**
 * The in-memory store of a {@link RateLimiter} (its default), and the local fallback of a shared store:
 * GCRA with one number per key, decided synchronously.
 *
 * Times are kept in units of `1 / limit` ms, counted from an epoch, so that `T = interval / limit` is
 * the whole number `interval` and sums of emission intervals stay exact: with `limit: 7, interval:
 * 100`, seven calls at once reach `tat = 700` units exactly, where milliseconds would reach
 * `100.00000000000001` and refuse the seventh call of a burst of 7. (Exact with whole ms while
 * `(now - epoch) * limit < 2^53`; the epoch moves forward whenever every key is quiet.) Where they
 * cannot be exact (an `interval` of 0.1 ms, a clock that reads fractions, a caller back at
 * `now + retryAfter`), a wait within the rounding error of the clock and of the sums is no wait (see
 * `slack`).
 *
 * Keys that are quiet (`tat <= now`) hold nothing a decision needs and are forgotten: each new key
 * sweeps two stored keys, so the map stays within about twice the keys active over the last
 * `T * burst + maxWait` ms, and once every key is quiet the whole map is dropped at the next call.
 * Nothing is scheduled: an idle limiter holds no timer.
 *
 * A store serves one limiter; a second limiter given the same store throws on its first decision.
 */
export class MemoryRateLimitStore implements RateLimitStore {
  /** Each key's `tat`, in units of `1 / limit` ms after `epoch`. */
  private readonly tats = new Map<string, number>();
  private rule: RateLimitRule | null = null;
  /** `limit`: units per ms. */
  private scale = 1;
  /** `T` in units: `interval`. */
  private emission = 0;
  /** `T * burst` in units. */
  private burstOffset = 0;
  /** `maxWait` in units. */
  private maxWaitUnits = 0;
  /** Roundings a key's `tat` may carry, in ulps: two per sum of a burst and of the reservations after it. */
  private roundings = 0;
  /** Scheduler time of unit 0. */
  private epoch = 0;
  /** The largest `tat` stored: from then on every key is quiet. */
  private horizon = -Infinity;
  /** Where the incremental sweep resumes; a live iterator of `tats`. */
  private cursor: Iterator<string> | null = null;

  /** Keys held now. */
  get size(): number {
    return this.tats.size;
  }

  acquire(key: string, cost: number, rule: RateLimitRule, now: number): RateLimitAnswer {
    if (rule !== this.rule) this.bind(rule, now);
    const t = this.units(now);
    const tats = this.tats;
    const tat = tats.get(key);
    const next = (tat === undefined || tat < t ? t : tat) + this.emission * cost;
    let wait = next - this.burstOffset - t;
    if (wait > 0) {
      const slack = this.slack(now, next);
      if (wait <= slack) wait = 0;
      else if (wait > this.maxWaitUnits + slack) return -wait / this.scale;
    }
    if (tat === undefined) this.sweep(t);
    tats.set(key, next);
    if (next > this.horizon) this.horizon = next;
    return wait <= 0 ? 0 : wait / this.scale;
  }

  penalize(key: string, ms: number, rule: RateLimitRule, now: number): void {
    if (rule !== this.rule) this.bind(rule, now);
    const t = this.units(now);
    const until = t + ms * this.scale + this.emission * (rule.burst - 1);
    const tats = this.tats;
    const tat = tats.get(key);
    if (tat !== undefined && tat >= until) return;
    if (tat === undefined) this.sweep(t);
    tats.set(key, until);
    if (until > this.horizon) this.horizon = until;
  }

  /** `now` in units; drops every key first when all are quiet (and moves the epoch to `now`). */
  private units(now: number): number {
    const t = (now - this.epoch) * this.scale;
    if (t < this.horizon) return t;
    if (this.tats.size > 0) {
      this.tats.clear();
      this.cursor = null;
    }
    this.horizon = -Infinity;
    this.epoch = now;
    return 0;
  }

  /**
   * The rounding error of a wait, in units: the clock's own (`now` is a float, and a caller back at
   * `now + retryAfter` lands within an ulp of the due instant, on either side) and that of the sums of
   * `T` that built `next`. A wait no longer than this is no wait: the call is due. Never more than a
   * sixteenth of `T`, so it can neither admit a permit early nor refuse one for more than float noise.
   */
  private slack(now: number, next: number): number {
    const slack =
      ((now < 0 ? -now : now) * this.scale + (next < 0 ? -next : next) * this.roundings) * Number.EPSILON;
    const most = this.emission / 16;
    return slack < most ? slack : most;
  }

  /** Looks at the next two keys of the sweep and forgets those that are quiet at `t`. */
  private sweep(t: number): void {
    const tats = this.tats;
    let cursor = this.cursor;
    if (cursor === null) cursor = this.cursor = tats.keys();
    for (let i = 0; i < 2; i++) {
      const step = cursor.next();
      if (step.done === true) {
        this.cursor = null;
        return;
      }
      if (tats.get(step.value)! <= t) tats.delete(step.value);
    }
  }

  private bind(rule: RateLimitRule, now: number): void {
    if (this.rule !== null) {
      throw new Error(
        `MemoryRateLimitStore: this store already serves the limiter "${this.rule.name}"; ` +
          `give the limiter "${rule.name}" its own store`,
      );
    }
    this.rule = rule;
    this.scale = rule.limit;
    this.emission = rule.interval;
    this.burstOffset = rule.interval * rule.burst;
    this.maxWaitUnits = rule.maxWait * rule.limit;
    const reservations = Math.min(Math.ceil(rule.maxWait / (rule.interval / rule.limit)), 1e6);
    this.roundings = 2 * (rule.burst + reservations + 2);
    this.epoch = now;
  }
}
