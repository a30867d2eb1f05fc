/**
 * How often, in ms, a recording into the global provider looks for a new one (an SDK registered after
 * `instrument`) when none of its policies has an event to notice it by. @internal
 */
export const GLOBAL_PROVIDER_POLL = 500;

/**
 * Calls `check` every {@link GLOBAL_PROVIDER_POLL} ms until the returned function is called, on a real
 * timer that never keeps the process alive (unref'd). The only real timer of `rxjs-resilience/otel`, and
 * exempt from `check:clock` by name: it finds an SDK registered after `instrument`, because the metrics
 * API has no delegating provider and no registration hook (opentelemetry-js #3622); it never touches a
 * policy, so virtual time is unaffected. It is deliberately not on a scheduler: inside
 * `TestScheduler.run` rxjs routes `asyncScheduler` (and its interval provider) to virtual time, where a
 * poll that repeats for as long as no SDK is registered would keep every marble test of an instrumented
 * policy from ever flushing (tried: the otel specs then spin forever).
 * @internal
 */
export function watchGlobalProvider(check: () => void): () => void {
  const timer = setInterval(check, GLOBAL_PROVIDER_POLL);
  (timer as { unref?: () => void }).unref?.();
  return () => clearInterval(timer);
}
