/**
 * The Redis key of a limiter's keys, without the limiter key itself: `prefix`, the limiter's name
 * (with `%`, `:`, `{` and `}` escaped as `%25`, `%3A`, `%7B`, `%7D`), then `:{`. The store appends the
 * limiter key and `}`: `rate-limit:api:{user-42}`.
 *
 * So two limiters never share a Redis key: `prefix` is fixed per store and holds no brace, the escaped
 * name holds no `:`, so the first `:{` after the prefix ends the name, and the limiter key is what lies
 * between it and the final `}`. The first `{` is the one before the limiter key, so the hash tag (what
 * Redis Cluster hashes) is the limiter key, up to its own first `}` if it has one: every key of one
 * limiter key is in one slot, and the keys of a limiter spread over the cluster.
 * @internal
 */
export function redisKeyBase(prefix: string, name: string): string {
  return `${prefix}${name.replace(/[%:{}]/g, escape)}:{`;
}

function escape(char: string): string {
  return `%${char.charCodeAt(0).toString(16).toUpperCase()}`;
}
