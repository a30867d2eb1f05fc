import { createHash } from 'node:crypto';
import * as t from 'io-ts';
import type { Cluster, Redis } from 'ioredis';
import {
  asyncScheduler,
  Observable,
  type SchedulerAction,
  type SchedulerLike,
  type Subscriber,
  type Subscription,
  type TeardownLogic,
  type Unsubscribable,
} from 'rxjs';
import { AWAIT_ANSWER, type AnswerSink, type DirectAnswer } from '../../internal/awaitAnswer';
import { config, finitePositiveMs, oneOf, positiveInt, scheduler } from '../../internal/codecs';
import { decodeConfig } from '../../internal/decodeConfig';
import { MemoryRateLimitStore } from '../../limiter/MemoryRateLimitStore';
import type { RateLimitAnswer, RateLimitRule, RateLimitStore } from '../../limiter/RateLimitStore';
import { gcraScript, PENALIZE } from './gcraScript';
import { RedisDecision } from './RedisDecision';
import { redisKeyBase } from './redisKey';

/** What a {@link redisRateLimitStore} does with a decision Redis cannot make in time. */
export type WhenRedisUnavailable = 'local' | 'allow' | 'refuse';

/** Configuration of {@link redisRateLimitStore}. */
export interface RedisRateLimitStoreConfig {
  /**
   * The ioredis client (`new Redis(...)` or `new Redis.Cluster(...)`), connected or connecting. The store
   * sends nothing while its `status` is not `'ready'`, so its commands never wait in the offline queue.
   * A client of its own is best: see the guide for the options that keep a dropped connection from
   * resending a decision the store already made locally.
   */
  readonly client: Redis | Cluster;
  /**
   * Prepended to every key: `rate-limit:<limiter name>:{<key>}`. Without `{` or `}`, so the hash tag of
   * each Redis key is the limiter key. @default 'rate-limit:'
   */
  readonly prefix?: string | undefined;
  /**
   * When Redis cannot answer within `timeout` (down, unreachable, failing, or not connected yet):
   * `'local'` decides in this process by the same GCRA with `limit / replicas` (a
   * {@link MemoryRateLimitStore}); `'allow'` admits the call; `'refuse'` refuses it (`RateLimitedError`,
   * `retryAfter` the ms until the store asks Redis again). @default 'local'
   */
  readonly whenUnavailable?: WhenRedisUnavailable | undefined;
  /** ms a decision waits for Redis before `whenUnavailable` decides it. Finite, > 0. @default 100 */
  readonly timeout?: number | undefined;
  /**
   * After a failure, decisions are made by `whenUnavailable` without asking Redis for this many ms;
   * then one decision asks Redis again (a probe): answered, and every decision goes back to Redis;
   * failed, and another `probeInterval` starts. Finite, > 0. @default 1000
   */
  readonly probeInterval?: number | undefined;
  /**
   * Processes sharing the limit: while Redis is away each decides locally with `limit / replicas` per
   * `interval` (and a burst of `burst / replicas`, at least 1), so together they stay near the shared
   * limit. A positive integer. @default 1 (the local limit is the limiter's own)
   */
  readonly replicas?: number | undefined;
  /** Clock of `timeout` and `probeInterval`. @default asyncScheduler */
  readonly scheduler?: SchedulerLike | undefined;
}

/**
 * A snapshot of a {@link RedisRateLimitStore}'s counters. At any time:
 * `decisions = redis + fallback + abandoned + pending`.
 */
export interface RedisRateLimitStoreMetrics {
  /** Decisions asked of the store (each subscription to an answer from Redis is one). */
  readonly decisions: number;
  /** Decisions Redis made. */
  readonly redis: number;
  /** Decisions `whenUnavailable` made (Redis was away, failed, or did not answer in time). */
  readonly fallback: number;
  /** Decisions whose caller left while Redis decided (what Redis reserved stays reserved). */
  readonly abandoned: number;
  /** Decisions waiting now for Redis. */
  readonly pending: number;
  /** Decisions Redis did not answer within `timeout`. */
  readonly timeouts: number;
  /** Decisions Redis failed (an error reply, a closed connection), or not sent: the client was not ready. */
  readonly errors: number;
  /** Whether the next decision asks Redis (false during a `probeInterval` after a failure). */
  readonly available: boolean;
  /** The last failure's message, if any. */
  readonly lastError: string | undefined;
  /** Keys the local fallback holds in this process. */
  readonly localKeys: number;
}

const nonBraceString = new t.Type<string, string, unknown>(
  'a string without { or }',
  (u): u is string => typeof u === 'string' && !/[{}]/.test(u),
  (u, c) => (typeof u === 'string' && !/[{}]/.test(u) ? t.success(u) : t.failure(u, c)),
  t.identity,
);
const isClient = (u: unknown): u is Redis | Cluster =>
  typeof u === 'object' &&
  u !== null &&
  typeof (u as { defineCommand?: unknown }).defineCommand === 'function' &&
  typeof (u as { status?: unknown }).status === 'string';
const client = new t.Type<Redis | Cluster, Redis | Cluster, unknown>(
  'an ioredis client (new Redis(...) or new Redis.Cluster(...))',
  isClient,
  (u, c) => (isClient(u) ? t.success(u) : t.failure(u, c)),
  t.identity,
);
const codec = config(
  'RedisRateLimitStoreConfig',
  { client },
  {
    prefix: nonBraceString,
    whenUnavailable: oneOf<WhenRedisUnavailable>(['local', 'allow', 'refuse']),
    timeout: finitePositiveMs,
    probeInterval: finitePositiveMs,
    replicas: positiveInt,
    scheduler,
  },
);

type GcraCommand = (key: string, ...argv: string[]) => Promise<unknown>;

const noop = (): void => undefined;

function expire(this: SchedulerAction<RedisRateLimitStore>, store?: RedisRateLimitStore): void {
  store!.expire();
}

/**
 * The answer of one decision, asked of Redis when subscribed (each subscription its own decision), or
 * when a limiter awaits it directly ({@link DirectAnswer}: no subscriber in between). One object per
 * decision: its subscribe function is shared, not a closure.
 */
class RedisAnswer extends Observable<RateLimitAnswer> implements DirectAnswer<RateLimitAnswer> {
  constructor(
    readonly store: RedisRateLimitStore,
    readonly key: string,
    readonly cost: number,
    readonly now: number,
  ) {
    super(subscribeAnswer);
  }

  [AWAIT_ANSWER](sink: AnswerSink<RateLimitAnswer>): Unsubscribable {
    return this.store.ask(sink, this.key, this.cost, this.now);
  }
}

function subscribeAnswer(
  this: Observable<RateLimitAnswer>,
  subscriber: Subscriber<RateLimitAnswer>,
): TeardownLogic {
  const answer = this as RedisAnswer;
  return answer.store.ask(subscriber, answer.key, answer.cost, answer.now);
}

/**
 * A {@link RateLimitStore} shared by every process that uses the same Redis, `prefix` and limiter
 * `name`: see {@link redisRateLimitStore}.
 */
export class RedisRateLimitStore implements RateLimitStore {
  readonly client: Redis | Cluster;
  /** Prepended to every key. */
  readonly prefix: string;
  readonly whenUnavailable: WhenRedisUnavailable;
  /** ms a decision waits for Redis. */
  readonly timeout: number;
  /** ms after a failure before Redis is asked again. */
  readonly probeInterval: number;
  /** Processes sharing the limit (the local fallback's divisor). */
  readonly replicas: number;
  readonly scheduler: SchedulerLike;
  private readonly local = new MemoryRateLimitStore();
  private rule: RateLimitRule | null = null;
  /** The fallback's rule: `limit / replicas`. */
  private localRule: RateLimitRule | null = null;
  /** The Redis key up to the limiter key (see redisKeyBase). */
  private base = '';
  /** The rule's script, as the command defined on the client (see bind). */
  private gcra: GcraCommand | null = null;
  /** True from a failure until Redis answers again. */
  private unavailable = false;
  /** While unavailable: the store's time at which the next decision asks Redis. */
  private retryAt = 0;
  private lastError: string | undefined = undefined;
  /** Decisions sent to Redis, oldest first; settled ones are dropped from the head. */
  private head: RedisDecision | null = null;
  private tail: RedisDecision | null = null;
  /** The one timer that times out the oldest pending decision. */
  private timer: Subscription | null = null;
  /** The oldest decision is due and the timer looks once more after the sockets were read. */
  private graced = false;
  private readonly counts = {
    decisions: 0,
    redis: 0,
    fallback: 0,
    abandoned: 0,
    pending: 0,
    timeouts: 0,
    errors: 0,
  };

  /** @internal Use {@link redisRateLimitStore}. */
  constructor(config: RedisRateLimitStoreConfig) {
    const {
      client,
      prefix = 'rate-limit:',
      whenUnavailable = 'local',
      timeout = 100,
      probeInterval = 1000,
      replicas = 1,
      scheduler = asyncScheduler,
    } = decodeConfig('redisRateLimitStore', codec, config) as RedisRateLimitStoreConfig;
    this.client = client;
    this.prefix = prefix;
    this.whenUnavailable = whenUnavailable;
    this.timeout = timeout;
    this.probeInterval = probeInterval;
    this.replicas = replicas;
    this.scheduler = scheduler;
  }

  /** A snapshot of the counters (a new object each time). */
  metrics(): RedisRateLimitStoreMetrics {
    return {
      ...this.counts,
      available: !this.unavailable,
      lastError: this.lastError,
      localKeys: this.local.size,
    };
  }

  /**
   * Decides one call: asks Redis (an Observable of its answer, or of the fallback's after `timeout`), or,
   * while Redis is taken to be away, answers at once as `whenUnavailable` says.
   */
  acquire(
    key: string,
    cost: number,
    rule: RateLimitRule,
    now: number,
  ): RateLimitAnswer | Observable<RateLimitAnswer> {
    if (rule !== this.rule) this.bind(rule);
    const at = this.scheduler.now();
    if (!this.mayAsk(at)) {
      // Decided here; an answer from Redis is counted when it is asked (each subscription once).
      this.counts.decisions++;
      this.counts.fallback++;
      return this.decideLocally(key, cost, now, at);
    }
    return new RedisAnswer(this, key, cost, now);
  }

  /** Sends the penalty to Redis (fire and forget) and, with the `'local'` fallback, records it here too. */
  penalize(key: string, ms: number, rule: RateLimitRule, now: number): void {
    if (rule !== this.rule) this.bind(rule);
    // The fallback holds the penalty too, for the time Redis is away.
    if (this.whenUnavailable === 'local') this.local.penalize(key, ms, this.localRule!, now);
    if (this.client.status !== 'ready') return;
    try {
      this.gcra!.call(this.client, this.base + key + '}', String(ms), PENALIZE).then(noop, (err: unknown) =>
        this.noteError(err),
      );
    } catch (err) {
      this.noteError(err);
    }
  }

  /** Whether a decision made at `at` asks Redis; a probe when the store thought Redis was away. */
  private mayAsk(at: number): boolean {
    if (this.unavailable) {
      if (at < this.retryAt) return false;
      this.retryAt = at + this.probeInterval;
    }
    const status = this.client.status;
    if (status === 'ready') return true;
    // A lazyConnect client that nobody has connected yet: the store connects it.
    if (status === 'wait') this.client.connect().catch(noop);
    this.counts.errors++;
    this.markUnavailable(at, `the Redis client is not ready (status: ${status})`);
    return false;
  }

  /** Sends one decision to Redis; `sink` gets Redis's answer, or the fallback's. @internal */
  ask(sink: AnswerSink<RateLimitAnswer>, key: string, cost: number, now: number): RedisDecision {
    const sentAt = this.scheduler.now();
    const decision = new RedisDecision(this, sink, key, cost, now, sentAt);
    this.counts.decisions++;
    this.counts.pending++;
    let reply: Promise<unknown>;
    try {
      reply = this.gcra!.call(this.client, this.base + key + '}', cost === 1 ? '1' : String(cost));
    } catch (err) {
      this.fail(decision, err);
      return decision;
    }
    if (this.tail === null) this.head = decision;
    else this.tail.next = decision;
    this.tail = decision;
    this.arm(this.timeout);
    reply.then(
      (value) => this.answered(decision, value),
      (err: unknown) => this.fail(decision, err),
    );
    return decision;
  }

  /** Redis answered `value`: `0` (admitted), or the answer in ms as a string. */
  private answered(decision: RedisDecision, value: unknown): void {
    if (decision.settled) return;
    const answer = value === 0 ? 0 : typeof value === 'string' ? Number(value) : NaN;
    if (Number.isNaN(answer)) {
      this.fail(decision, new Error(`unexpected reply from the rate-limit script: ${String(value)}`));
      return;
    }
    this.unavailable = false;
    this.counts.pending--;
    this.counts.redis++;
    decision.answer(answer);
    this.dropSettled();
  }

  /** Redis failed `decision` (or could not be asked): the fallback decides it. */
  private fail(decision: RedisDecision, err: unknown): void {
    if (decision.settled) return;
    const at = this.scheduler.now();
    this.counts.errors++;
    this.markUnavailable(at, errorMessage(err));
    this.fallBack(decision, at);
  }

  /** The caller of a decision left before it was answered. @internal */
  abandon(): void {
    this.counts.pending--;
    this.counts.abandoned++;
  }

  /**
   * The timer: every decision pending for `timeout` ms is decided by the fallback. When the oldest is
   * due, the timer first looks once more after a zero-delay re-arm: a timer runs before the event loop
   * reads its sockets, so after a stall of the process (a long GC, a busy machine) Redis's answers may
   * be waiting, unread, behind it. Only a decision still unanswered then has timed out. @internal
   */
  expire(): void {
    this.timer = null;
    const at = this.scheduler.now();
    this.dropSettled();
    const oldest = this.head;
    if (oldest === null || oldest.sentAt + this.timeout > at) {
      this.graced = false;
      if (oldest !== null) this.arm(oldest.sentAt + this.timeout - at);
      return;
    }
    if (!this.graced) {
      this.graced = true;
      this.arm(0);
      return;
    }
    this.graced = false;
    for (let decision = this.head; decision !== null; decision = this.head) {
      if (!decision.settled && decision.sentAt + this.timeout > at) {
        this.arm(decision.sentAt + this.timeout - at);
        return;
      }
      this.pop();
      if (!decision.settled) {
        this.counts.timeouts++;
        this.markUnavailable(at, `Redis did not answer within ${this.timeout} ms`);
        this.fallBack(decision, at);
      }
    }
  }

  private arm(delay: number): void {
    if (this.timer === null) this.timer = this.scheduler.schedule(expire, delay, this);
  }

  private fallBack(decision: RedisDecision, at: number): void {
    this.counts.pending--;
    this.counts.fallback++;
    // The limiter's time now: its time at the call, plus what the store's clock says has passed.
    decision.answer(
      this.decideLocally(decision.key, decision.cost, decision.now + (at - decision.sentAt), at),
    );
    this.dropSettled();
  }

  private decideLocally(key: string, cost: number, now: number, at: number): RateLimitAnswer {
    switch (this.whenUnavailable) {
      case 'local':
        return this.local.acquire(key, cost, this.localRule!, now);
      case 'allow':
        return 0;
      default:
        return -(this.retryAt - at);
    }
  }

  private markUnavailable(at: number, reason: string): void {
    this.unavailable = true;
    this.retryAt = at + this.probeInterval;
    this.lastError = reason;
  }

  private noteError(err: unknown): void {
    this.lastError = errorMessage(err);
  }

  /** Drops the settled decisions at the head of the queue. */
  private dropSettled(): void {
    while (this.head !== null && this.head.settled) this.pop();
  }

  private pop(): void {
    const head = this.head!;
    this.head = head.next;
    head.next = null;
    if (this.head === null) this.tail = null;
  }

  private bind(rule: RateLimitRule): void {
    if (this.rule !== null) {
      throw new Error(
        `redisRateLimitStore: this store already serves the limiter "${this.rule.name}"; ` +
          `give the limiter "${rule.name}" its own store`,
      );
    }
    const replicas = this.replicas;
    this.rule = rule;
    this.localRule = Object.freeze({
      name: rule.name,
      limit: rule.limit,
      interval: rule.interval * replicas,
      burst: Math.max(1, Math.floor(rule.burst / replicas)),
      maxWait: rule.maxWait,
    });
    this.base = redisKeyBase(this.prefix, rule.name);
    // ioredis's defineCommand sends EVALSHA, and EVAL on a connection that has not loaded the script
    // or answered NOSCRIPT (after a restart, a failover or SCRIPT FLUSH): the script reloads itself.
    // Named after the script's hash: limiters with one rule share it, and two versions of this library
    // on one client never run each other's script.
    const lua = gcraScript(rule);
    const name = `rxjsResilienceGcra${createHash('sha1').update(lua).digest('hex').slice(0, 8)}`;
    const commands = this.client as unknown as Record<string, GcraCommand | undefined>;
    if (typeof commands[name] !== 'function') this.client.defineCommand(name, { numberOfKeys: 1, lua });
    this.gcra = commands[name]!;
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * A {@link RateLimitStore} shared through Redis: every process whose limiter has the same `name`, on the
 * same Redis and `prefix`, shares one limit (DESIGN 2.9). Each decision is one Lua script, run atomically
 * on the server on the server's own clock (`TIME`, never a client's), over one key per limiter key (a
 * `{hash tag}`: safe on Redis Cluster), with the same GCRA and exact arithmetic as the memory store.
 * One round trip per decision; keys expire when they hold nothing.
 *
 * It never waits on Redis longer than `timeout` and sends nothing while the client is not `ready` (no
 * offline queue): such decisions are made by `whenUnavailable` (by default in this process, with
 * `limit / replicas`), and one decision per `probeInterval` asks Redis again until it answers. Its
 * answers arrive asynchronously; the limiter and `rateLimit` are used as with any store. Guide:
 * docs/scale-out.md.
 *
 * ```text
 * store: { timeout: 3, probeInterval: 10 }, limiter: { limit: 1, interval: 4, burst: 1 }, one key;
 * Redis silent until frame 13, then answering in 1 frame
 * call at 0    ---(x|)             no answer in 3: decided locally at 3
 * call at 5    -----#              decided locally at once (retryAfter 2): Redis is asked again at 13
 * call at 13   --------------(x|)  the probe: Redis admits it, and decides again from now on
 * call at 15   ----------------#   refused by Redis (retryAfter 2)
 * ```
 *
 * @example
 * ```ts
 * const client = new Redis({ host: 'redis.internal', autoResendUnfulfilledCommands: false });
 * // One quota of 5 000 calls an hour, shared by 10 replicas (500 each while Redis is away).
 * const github = new RateLimiter({
 *   name: 'github',
 *   limit: 5000,
 *   interval: 3_600_000,
 *   burst: 100,
 *   store: redisRateLimitStore({ client, replicas: 10 }),
 * });
 * ```
 * @throws {InvalidConfigError} when `config` is invalid (named fields, expected and received values).
 */
export function redisRateLimitStore(config: RedisRateLimitStoreConfig): RedisRateLimitStore {
  return new RedisRateLimitStore(config);
}
