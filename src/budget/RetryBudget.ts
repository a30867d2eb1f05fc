import * as t from 'io-ts';
import { asyncScheduler, type Observable, type SchedulerLike } from 'rxjs';
import { RETRY_BUDGET, setBrand } from '../internal/brand';
import { config, scheduler, string } from '../internal/codecs';
import { decodeConfig } from '../internal/decodeConfig';
import { OrderedSubject } from '../internal/OrderedSubject';
import type { RetryBudgetEvent } from './RetryBudgetEvent';

/** Configuration of a {@link RetryBudget}. The defaults are Finagle's. */
export interface RetryBudgetConfig {
  /**
   * ms a deposit or a withdrawal counts for: exactly that long on a clock of whole ms (one made at `t`
   * expires at `floor(t) + ttl`), then it expires. In (0, 60000] (Finagle allows 1 s to 60 s).
   * @default 10000
   */
  readonly ttl?: number | undefined;
  /**
   * Retries allowed per second whatever the traffic, for callers that have just started or call
   * seldom: a reserve of `minRetriesPerSecond * ttl / 1000` retries per `ttl`. Finite, >= 0. @default 10
   */
  readonly minRetriesPerSecond?: number | undefined;
  /**
   * Retries allowed per call made, on top of the reserve: `0.2` allows one retry per five calls. In
   * [0, 1000], applied at Finagle's resolution (a retry costs `floor(1000 / percentCanRetry)` thousandths
   * of a call). @default 0.2
   */
  readonly percentCanRetry?: number | undefined;
  /** Name carried by events and metrics. @default 'retryBudget' */
  readonly name?: string | undefined;
  /** Clock of the expiry. @default asyncScheduler */
  readonly scheduler?: SchedulerLike | undefined;
}

/**
 * A snapshot of a {@link RetryBudget}. Over the last `ttl` ms, `withdrawals <= percentCanRetry * deposits
 * + reserve` (at Finagle's resolution); totals count since the budget was created.
 */
export interface RetryBudgetMetrics {
  readonly name: string;
  /** Scheduler time of the snapshot, ms. */
  readonly at: number;
  /** Retries the budget would allow now. */
  readonly balance: number;
  /** Calls (first attempts) deposited over the last `ttl` ms. */
  readonly deposits: number;
  /** Retries and extra hedges allowed over the last `ttl` ms. */
  readonly withdrawals: number;
  /** Retries allowed per `ttl` whatever the traffic: `minRetriesPerSecond * ttl / 1000`. */
  readonly reserve: number;
  readonly totalDeposits: number;
  readonly totalWithdrawals: number;
  /** Retries and extra hedges refused since the budget was created. */
  readonly totalRefusals: number;
}

const inRange = (u: unknown, min: number, max: number, minIncluded: boolean): u is number =>
  typeof u === 'number' && (minIncluded ? u >= min : u > min) && u <= max;

function range(
  name: string,
  min: number,
  max: number,
  minIncluded: boolean,
): t.Type<number, number, unknown> {
  return new t.Type<number, number, unknown>(
    name,
    (u): u is number => inRange(u, min, max, minIncluded),
    (u, c) => (inRange(u, min, max, minIncluded) ? t.success(u) : t.failure(u, c)),
    t.identity,
  );
}

const codec = config(
  'RetryBudgetConfig',
  {},
  {
    ttl: range('a number of milliseconds in (0, 60000]', 0, 60_000, false),
    minRetriesPerSecond: range('a finite non-negative number', 0, Number.MAX_VALUE, true),
    percentCanRetry: range('a number in [0, 1000]', 0, 1000, true),
    name: string,
    scheduler,
  },
);

/**
 * `minRetriesPerSecond * ttl / 1000` as the decimals say, to a billionth of a retry: in floating point
 * `2.05 * 60000` is `122999.99999999999`, which would lose the 123rd retry.
 */
function reserveOf(minRetriesPerSecond: number, ttl: number): number {
  const reserve = (minRetriesPerSecond * ttl) / 1000;
  const rounded = Math.round(reserve * 1e9) / 1e9;
  return Number.isFinite(rounded) ? rounded : reserve;
}

/** Finagle's scale: a call deposits 1000 tokens, so percentages above 1 need no fractions. */
const SCALE = 1000;
const INITIAL_SLOTS = 16;

/**
 * A retry budget, Finagle's: shared by every `retryBackoff` and `hedge` given it, it lets retries (and
 * extra hedged attempts) add at most `percentCanRetry` of the calls made, plus a small reserve, however
 * many layers or callers retry. A retry storm against a struggling dependency is thereby capped at about
 * +20% load (the defaults) instead of multiplying the load by the retries of every layer.
 *
 * Each first attempt of a call deposits one call; a retry or an extra hedge is allowed only while, over
 * the last `ttl` ms, the retries allowed stay at most `percentCanRetry` times the calls made plus
 * `minRetriesPerSecond * ttl / 1000`; an allowed retry is withdrawn. Deposits and withdrawals older than
 * `ttl` ms expire, exactly (at millisecond resolution). In Finagle's tokens: a deposit is 1000, a
 * withdrawal `floor(1000 / percentCanRetry)`, the reserve `minRetriesPerSecond * ttl / 1000`
 * withdrawals, and a withdrawal is allowed while deposits - withdrawals + reserve cover it.
 *
 * Memory: one slot per millisecond in which something happened, over the last `ttl` ms (at most `ttl`
 * slots), whatever the call rate. Nothing is scheduled.
 *
 * ```text
 * budget: { ttl: 10, minRetriesPerSecond: 0, percentCanRetry: 0.5 }
 * frame       0   1   2   3  ...  10   11
 * deposit     d   d                          two calls: one retry allowed
 * withdraw            w   r                  w: allowed (balance 1 -> 0); r: refused
 * balance     0   1   0   0  ...   0    0    the first deposit expired at 10, the second at 11
 * ```
 *
 * @example
 * ```ts
 * const budget = new RetryBudget(); // 20% of calls + 10 retries per second, over 10 s
 * const call$ = fetchRequest(url).pipe(
 *   timeoutAfter(500),
 *   retryBackoff({ maxRetries: 3, initialDelay: 100, budget }),
 * );
 * ```
 * @throws {InvalidConfigError} when `config` is invalid (named fields, expected and received values).
 */
export class RetryBudget {
  readonly name: string;
  /** ms a deposit or withdrawal counts for. */
  readonly ttl: number;
  readonly minRetriesPerSecond: number;
  readonly percentCanRetry: number;
  readonly scheduler: SchedulerLike;

  /** Tokens one call deposits: 1000 (0 when `percentCanRetry` is 0: every retry comes from the reserve). */
  private readonly depositAmount: number;
  /** Tokens one retry costs: `floor(1000 / percentCanRetry)` (1 when `percentCanRetry` is 0). */
  private readonly withdrawalAmount: number;
  /** Retries allowed per `ttl` whatever the traffic: `minRetriesPerSecond * ttl / 1000`. */
  private readonly reserve: number;
  /** Tokens always available over `ttl`: the reserve of retries times a withdrawal. */
  private readonly reserveTokens: number;

  /** A ring of slots, one per millisecond in which something happened, oldest at `head`. */
  private slotTimes = new Float64Array(INITIAL_SLOTS);
  private slotDeposits = new Float64Array(INITIAL_SLOTS);
  private slotWithdrawals = new Float64Array(INITIAL_SLOTS);
  private head = 0;
  private length = 0;
  /** Sums over the slots. */
  private deposits = 0;
  private withdrawals = 0;
  private readonly totals = { totalDeposits: 0, totalWithdrawals: 0, totalRefusals: 0 };
  private subject: OrderedSubject<RetryBudgetEvent> | null = null;
  private view: Observable<RetryBudgetEvent> | null = null;
  /**
   * Calls of this budget subscribing an attempt right now (see `subscribeWithin`): a deposit meanwhile
   * comes from a layer inside one of them, and is not a call of its own. @internal
   */
  nesting = 0;

  /**
   * A budget with nothing deposited yet: only its reserve (`minRetriesPerSecond`) can be withdrawn.
   * @param config Every field is optional: {@link RetryBudgetConfig}, Finagle's defaults.
   * @throws {InvalidConfigError} naming each invalid or unknown field.
   */
  constructor(config: RetryBudgetConfig = {}) {
    const {
      ttl = 10_000,
      minRetriesPerSecond = 10,
      percentCanRetry = 0.2,
      name = 'retryBudget',
      scheduler = asyncScheduler,
    } = decodeConfig('RetryBudget', codec, config) as RetryBudgetConfig;
    this.name = name;
    this.ttl = ttl;
    this.minRetriesPerSecond = minRetriesPerSecond;
    this.percentCanRetry = percentCanRetry;
    this.scheduler = scheduler;
    this.depositAmount = percentCanRetry === 0 ? 0 : SCALE;
    this.withdrawalAmount = percentCanRetry === 0 ? 1 : Math.floor(SCALE / percentCanRetry);
    this.reserve = reserveOf(minRetriesPerSecond, ttl);
    this.reserveTokens = this.reserve * this.withdrawalAmount;
  }

  /** Retries the budget would allow now (a whole number, never negative). */
  get balance(): number {
    this.expire(this.scheduler.now());
    return this.balanceNow();
  }

  /**
   * Every deposit, withdrawal and refusal, each with `at` and the balance after it. Hot: emits
   * synchronously; costs nothing while nobody subscribes.
   */
  get events$(): Observable<RetryBudgetEvent> {
    if (this.view === null) {
      this.subject = new OrderedSubject<RetryBudgetEvent>();
      this.view = this.subject.asObservable();
    }
    return this.view;
  }

  /** A snapshot (a new object each time). */
  metrics(): RetryBudgetMetrics {
    const now = this.scheduler.now();
    this.expire(now);
    return {
      name: this.name,
      at: now,
      balance: this.balanceNow(),
      deposits: this.deposits,
      withdrawals: this.withdrawals,
      reserve: this.reserve,
      ...this.totals,
    };
  }

  /**
   * Records one call (its first attempt). `retryBackoff`, `hedge` and a pipeline call it at each
   * subscribe. One call deposits once however many layers sharing the budget it passes through: a
   * deposit made while a layer of this budget subscribes its attempt (a `retryBackoff` inside a
   * `retryBackoff`, both given this budget) is that call's, and records nothing.
   */
  deposit(): void {
    if (this.nesting > 0) return;
    const now = this.scheduler.now();
    const slot = this.slotAt(now);
    this.slotDeposits[slot]!++;
    this.deposits++;
    this.totals.totalDeposits++;
    if (this.observed) this.emit('deposited', now);
  }

  /**
   * Asks for one retry (or one extra hedged attempt): `true` when the budget allows it, which withdraws
   * it; `false` leaves the budget as it was, and the caller should fail instead of retrying.
   */
  tryWithdraw(): boolean {
    const now = this.scheduler.now();
    this.expire(now);
    if (this.tokens() < this.withdrawalAmount) {
      this.totals.totalRefusals++;
      if (this.observed) this.emit('refused', now);
      return false;
    }
    const slot = this.slotAt(now);
    this.slotWithdrawals[slot]!++;
    this.withdrawals++;
    this.totals.totalWithdrawals++;
    if (this.observed) this.emit('withdrawn', now);
    return true;
  }

  private tokens(): number {
    return this.deposits * this.depositAmount - this.withdrawals * this.withdrawalAmount + this.reserveTokens;
  }

  private balanceNow(): number {
    return Math.max(0, Math.floor(this.tokens() / this.withdrawalAmount));
  }

  /** Drops the slots whose time is `ttl` or more before `now`. */
  private expire(now: number): void {
    const horizon = now - this.ttl;
    const capacity = this.slotTimes.length;
    while (this.length > 0 && this.slotTimes[this.head]! <= horizon) {
      this.deposits -= this.slotDeposits[this.head]!;
      this.withdrawals -= this.slotWithdrawals[this.head]!;
      this.head = (this.head + 1) % capacity;
      this.length--;
    }
  }

  /** The index of the slot of `now` (its millisecond), expiring old slots and adding one if needed. */
  private slotAt(now: number): number {
    this.expire(now);
    const time = Math.floor(now);
    let capacity = this.slotTimes.length;
    if (this.length > 0) {
      const tail = (this.head + this.length - 1) % capacity;
      // The clock may go backwards (a wall clock adjusted): such an event joins the newest slot.
      if (this.slotTimes[tail]! >= time) return tail;
    }
    if (this.length === capacity) {
      this.grow();
      capacity = this.slotTimes.length;
    }
    const slot = (this.head + this.length) % capacity;
    this.slotTimes[slot] = time;
    this.slotDeposits[slot] = 0;
    this.slotWithdrawals[slot] = 0;
    this.length++;
    return slot;
  }

  private grow(): void {
    const capacity = this.slotTimes.length;
    const times = new Float64Array(capacity * 2);
    const deposits = new Float64Array(capacity * 2);
    const withdrawals = new Float64Array(capacity * 2);
    for (let i = 0; i < this.length; i++) {
      const from = (this.head + i) % capacity;
      times[i] = this.slotTimes[from]!;
      deposits[i] = this.slotDeposits[from]!;
      withdrawals[i] = this.slotWithdrawals[from]!;
    }
    this.slotTimes = times;
    this.slotDeposits = deposits;
    this.slotWithdrawals = withdrawals;
    this.head = 0;
  }

  private get observed(): boolean {
    return this.subject !== null && this.subject.observed;
  }

  private emit(type: RetryBudgetEvent['type'], at: number): void {
    this.subject!.next({ type, budget: this.name, at, balance: this.balanceNow() });
  }
}

// Recognised by its brand, even from the other build of the package (see internal/brand.ts).
setBrand(RetryBudget, RETRY_BUDGET);
