import type { HrTime } from '@opentelemetry/api';

/**
 * A scheduler instant (ms since the epoch with `asyncScheduler`; virtual frames under `TestScheduler`) as
 * an OpenTelemetry HrTime. Spans take the pipeline's own instants, so a span lasts exactly what the call
 * lasted, and the SDK cannot mistake a small number for a `performance.now()` reading (it does for
 * plain numbers below the process uptime).
 * @internal
 */
export function hrTime(ms: number): HrTime {
  const seconds = Math.floor(ms / 1000);
  const nanos = Math.round((ms - seconds * 1000) * 1e6);
  return nanos >= 1e9 ? [seconds + 1, nanos - 1e9] : [seconds, nanos];
}
