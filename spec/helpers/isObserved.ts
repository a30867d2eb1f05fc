/**
 * Whether anything still observes a policy (its events$ or state$): what a recording must not leave
 * behind. Reads each policy's private bookkeeping, the only place that knows.
 */
export function isObserved(policy: object): boolean {
  const p = policy as {
    /** CircuitBreaker: observers of events$, and of events$ and state$. */
    eventWatchers?: number;
    watchers?: number;
    /** ResiliencePipeline. */
    observed?: boolean;
    /** PolicyRegistry. */
    events?: { observed: boolean };
    /** Bulkhead (made on first access of events$). */
    subject?: { observed: boolean } | null;
  };
  if (typeof p.eventWatchers === 'number') return p.eventWatchers > 0 || (p.watchers ?? 0) > 0;
  if (typeof p.observed === 'boolean') return p.observed;
  return (p.events ?? p.subject)?.observed ?? false;
}
