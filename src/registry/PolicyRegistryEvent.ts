/** A registry built a policy for a key seen for the first time (or again after its eviction). */
export interface PolicyCreatedEvent<K, P> {
  readonly type: 'created';
  readonly key: K;
  readonly policy: P;
  /** Scheduler time, ms. */
  readonly at: number;
  /** Keys held after the event. */
  readonly size: number;
}

/**
 * A registry dropped a key: `'idle'` (unused for `idleTimeout` ms and idle), `'maxKeys'` (least recently
 * used idle key, to stay within `maxKeys`) or `'deleted'` (`delete(key)`).
 */
export interface PolicyEvictedEvent<K, P> {
  readonly type: 'evicted';
  readonly key: K;
  readonly policy: P;
  readonly reason: 'idle' | 'maxKeys' | 'deleted';
  /** ms since the key was last used. */
  readonly idleFor: number;
  /** Scheduler time, ms. */
  readonly at: number;
  /** Keys held after the event. */
  readonly size: number;
}

/** What `PolicyRegistry.events$` emits. */
export type PolicyRegistryEvent<K, P> = PolicyCreatedEvent<K, P> | PolicyEvictedEvent<K, P>;
