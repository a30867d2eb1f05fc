import { asyncScheduler, type Observable, type SchedulerLike } from 'rxjs';
import { POLICY_REGISTRY, setBrand } from '../internal/brand';
import { config, fn, positiveIntOrInfinity, positiveMs, scheduler } from '../internal/codecs';
import { decodeConfig } from '../internal/decodeConfig';
import { OrderedSubject } from '../internal/OrderedSubject';
import { WaitQueue, type WaitNode } from '../internal/WaitQueue';
import type { PolicyRegistryEvent } from './PolicyRegistryEvent';

/** Configuration of a {@link PolicyRegistry}. */
export interface PolicyRegistryConfig<K, P> {
  /** Builds the policy of a key on its first use (and again after the key was evicted). */
  readonly create: (key: K) => P;
  /**
   * ms a key may go unused before its policy is evicted, if idle. `Infinity` keeps keys until `maxKeys`
   * or `delete`.
   * @default 60000
   */
  readonly idleTimeout?: number | undefined;
  /**
   * Most keys held: past it, the least recently used idle key is evicted. Policies in use are never
   * evicted, so only they can push the registry past this bound.
   * @default Infinity
   */
  readonly maxKeys?: number | undefined;
  /**
   * Whether a policy may be evicted. The default keeps any policy that reports calls in flight
   * (`active > 0` or `queued > 0`, as a `Bulkhead` does; `metrics().inFlight > 0`, as a `CircuitBreaker`
   * does) or is in state `'open'` or `'isolated'` (evicting it would forget that the key's dependency is
   * down, or undo a manual isolation).
   * @default isIdlePolicy
   */
  readonly isIdle?: ((policy: P) => boolean) | undefined;
  /** Clock of last use. @default asyncScheduler */
  readonly scheduler?: SchedulerLike | undefined;
}

const codec = config(
  'PolicyRegistryConfig',
  { create: fn },
  { idleTimeout: positiveMs, maxKeys: positiveIntOrInfinity, isIdle: fn, scheduler },
);

/** A key as it reads in a message: strings quoted, anything else as `String` gives it. */
function describeKey(key: unknown): string {
  if (typeof key === 'string') return JSON.stringify(key);
  try {
    return String(key);
  } catch {
    return Object.prototype.toString.call(key);
  }
}

/** Expired keys looked at per access: more than the one key an access can add, so sweeping keeps up. */
const SWEEP_STEPS = 4;

/** A key's policy and its place in the last-use order (an intrusive list node: O(1) moves). */
class Entry<K, P> implements WaitNode {
  queuePrev: WaitNode | null = null;
  queueNext: WaitNode | null = null;
  constructor(
    readonly key: K,
    readonly policy: P,
    public lastUsed: number,
  ) {}
}

/**
 * The default `isIdle`: a policy is idle unless it reports calls in flight or is open or isolated.
 * Duck-typed, so it serves `Bulkhead`, `CircuitBreaker` and policies of your own alike.
 */
function isIdlePolicy(policy: unknown): boolean {
  if (typeof policy !== 'object' || policy === null) return true;
  const p = policy as { active?: unknown; queued?: unknown; state?: unknown; metrics?: unknown };
  // A pool (Bulkhead): its counts say it all, and reading them allocates nothing.
  if (typeof p.active === 'number' || typeof p.queued === 'number') {
    return !((p.active as number) > 0) && !((p.queued as number) > 0);
  }
  // A breaker: open or isolated is state worth keeping; then calls in flight.
  if (p.state === 'open' || p.state === 'isolated') return false;
  if (typeof p.metrics === 'function') {
    const inFlight = (p.metrics as () => { inFlight?: unknown } | undefined).call(p)?.inFlight;
    if (typeof inFlight === 'number' && inFlight > 0) return false;
  }
  return true;
}

/**
 * One policy per key (per host, per tenant, per route), created on first use from a shared factory and
 * evicted once idle, so memory stays bounded however many keys appear. Generic over the policy: it
 * serves `Bulkhead`, `CircuitBreaker` or anything `create` returns.
 *
 * Keys are kept in last-use order (a linked list beside the `Map`; a use moves the key to the end in
 * O(1)). Every `get` evicts, from the least
 * recently used end, a few keys unused for `idleTimeout` ms, so eviction costs amortised O(1) per access
 * and needs no timer per key (and no timer at all: nothing keeps a process alive). A key whose policy is
 * in use is never evicted: it counts as used again. `maxKeys` adds a hard bound on idle keys.
 * `evictIdle()` sweeps every expired key at once, for callers that want memory back without traffic.
 *
 * Always reach a policy through `get(key)` for each call (inside `defer`, say), never keep it across
 * calls: a key evicted while you held its policy gets a fresh policy on its next `get`.
 *
 * @example
 * ```ts
 * const pools = new PolicyRegistry({
 *   create: (host: string) => new Bulkhead({ name: host, maxConcurrent: 4, maxQueued: 16 }),
 *   idleTimeout: 60_000,
 *   maxKeys: 10_000,
 * });
 * const get$ = (url: URL) => defer(() => fetch$(url).pipe(bulkhead(pools.get(url.host))));
 * ```
 * @throws {InvalidConfigError} when `config` is invalid (named fields, expected and received values).
 */
export class PolicyRegistry<K, P> {
  /** ms a key may go unused before its policy is evicted, if idle. */
  readonly idleTimeout: number;
  /** Most keys held (policies in use excepted). */
  readonly maxKeys: number;
  /** Clock of last use. */
  readonly scheduler: SchedulerLike;
  /** Every creation and eviction, with `at` (scheduler time); hot, and free while unobserved. */
  readonly events$: Observable<PolicyRegistryEvent<K, P>>;

  private readonly create: (key: K) => P;
  private readonly isIdle: (policy: P) => boolean;
  private readonly entries = new Map<K, Entry<K, P>>();
  /** Least recently used first. (Not the Map's own order: iterating a Map from its start walks over the
   * slots of every key deleted since its last rehash, which makes each sweep O(churn).) */
  private readonly order = new WaitQueue<Entry<K, P>>();
  /** Ordered: an event raised by an observer (a `get` from a `created` observer) reaches every observer after the one being delivered. */
  private readonly events = new OrderedSubject<PolicyRegistryEvent<K, P>>();
  /** Keys whose `create` is running: a `get` of one of them from inside its own `create` is refused. */
  private readonly building = new Set<K>();

  /**
   * An empty registry: a key's policy is made by `create` on its first `get`.
   * @param config `create` and the optional fields of {@link PolicyRegistryConfig}.
   * @throws {InvalidConfigError} naming each invalid or unknown field.
   */
  constructor(config: PolicyRegistryConfig<K, P>) {
    const {
      create,
      idleTimeout = 60_000,
      maxKeys = Infinity,
      isIdle = isIdlePolicy,
      scheduler = asyncScheduler,
    } = decodeConfig('PolicyRegistry', codec, config) as PolicyRegistryConfig<K, P>;
    this.create = create;
    this.idleTimeout = idleTimeout;
    this.maxKeys = maxKeys;
    this.isIdle = isIdle;
    this.scheduler = scheduler;
    this.events$ = this.events.asObservable();
  }

  /** Keys held now. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * The policy of `key`, created on first use; marks the key as used now, and evicts a few keys that
   * expired. A throw from `create` reaches the caller and leaves the registry as it was.
   *
   * `create` may `get` other keys (a policy built from others), but not the key it is building, directly
   * or through other keys: there is no policy to return yet, and building a second one would leave two
   * policies for one key. That `get` throws an `Error` saying so, which reaches `create`.
   */
  get(key: K): P {
    const now = this.scheduler.now();
    const entries = this.entries;
    let entry = entries.get(key);
    if (entry !== undefined) this.touch(entry, now);
    this.sweep(now, SWEEP_STEPS);
    if (entry === undefined) {
      entry = new Entry(key, this.build(key), now);
      entries.set(key, entry);
      this.order.push(entry);
      if (this.events.observed) {
        this.events.next({ type: 'created', key, policy: entry.policy, at: now, size: entries.size });
      }
      if (entries.size > this.maxKeys) this.trim(now, key);
    }
    return entry.policy;
  }

  /** Runs `create(key)`, refusing a re-entrant `get(key)` from inside it. */
  private build(key: K): P {
    const building = this.building;
    if (building.has(key)) {
      throw new Error(
        `PolicyRegistry: get(${describeKey(key)}) was called from inside create(${describeKey(key)}), ` +
          'which is building the policy of that key: there is no policy to return yet. ' +
          'Build it without asking the registry for it.',
      );
    }
    building.add(key);
    try {
      return this.create(key);
    } finally {
      building.delete(key);
    }
  }

  /** The policy of `key` if held, without creating it or marking it used. */
  peek(key: K): P | undefined {
    return this.entries.get(key)?.policy;
  }

  /** True when a policy is held for `key`. */
  has(key: K): boolean {
    return this.entries.has(key);
  }

  /** The keys held, least recently used first (a snapshot). */
  keys(): K[] {
    return Array.from(this.order, (entry) => entry.key);
  }

  /** Drops `key` whatever its policy is doing (calls in flight keep their policy). False if not held. */
  delete(key: K): boolean {
    const entry = this.entries.get(key);
    if (entry === undefined) return false;
    this.evict(entry, 'deleted', this.scheduler.now());
    return true;
  }

  /** Evicts every key unused for `idleTimeout` ms whose policy is idle, now. Returns how many. */
  evictIdle(): number {
    const before = this.entries.size;
    this.sweep(this.scheduler.now(), Infinity);
    return before - this.entries.size;
  }

  /**
   * Looks at up to `steps` keys from the least recently used end while they are expired: an idle one is
   * evicted, one in use counts as used now and moves to the other end (so the loop meets it again only
   * after every expired key).
   */
  private sweep(now: number, steps: number): void {
    const order = this.order;
    for (let seen = 0; seen < steps; seen++) {
      const entry = order.peek();
      if (entry === undefined || now - entry.lastUsed < this.idleTimeout) return;
      if (this.isIdle(entry.policy)) this.evict(entry, 'idle', now);
      else this.touch(entry, now);
    }
  }

  /** Evicts least recently used idle keys until within `maxKeys`, never `current` (the key just used). */
  private trim(now: number, current: K): void {
    const order = this.order;
    for (let budget = order.size; budget > 0 && this.entries.size > this.maxKeys; budget--) {
      const entry = order.peek();
      if (entry === undefined || entry.key === current) return;
      if (this.isIdle(entry.policy)) this.evict(entry, 'maxKeys', now);
      else this.touch(entry, now);
    }
  }

  /** Marks `entry` used at `now`: it moves to the most recently used end. */
  private touch(entry: Entry<K, P>, now: number): void {
    entry.lastUsed = now;
    this.order.remove(entry);
    this.order.push(entry);
  }

  private evict(entry: Entry<K, P>, reason: 'idle' | 'maxKeys' | 'deleted', now: number): void {
    const { key } = entry;
    this.entries.delete(key);
    this.order.remove(entry);
    if (this.events.observed) {
      this.events.next({
        type: 'evicted',
        key,
        policy: entry.policy,
        reason,
        idleFor: now - entry.lastUsed,
        at: now,
        size: this.entries.size,
      });
    }
  }
}

// Recognised by its brand, even from the other build of the package (see internal/brand.ts).
setBrand(PolicyRegistry, POLICY_REGISTRY);
