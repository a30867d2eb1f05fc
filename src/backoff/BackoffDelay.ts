/**
 * A backoff strategy: the delay in milliseconds before retry `retry` (1-based), given the delay used
 * before the previous retry (`previous`; the initial delay before the first) and a source of chance
 * `random` returning numbers in [0, 1). Pure: the same arguments and the same draws give the same delay.
 */
export type BackoffDelay = (retry: number, previous: number, random: () => number) => number;
