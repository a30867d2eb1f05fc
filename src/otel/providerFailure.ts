import { diag } from '@opentelemetry/api';

/** What already failed, by the provider call's name: each kind is reported once per process. */
const reported = new Set<string>();

/**
 * Reports that a call into a meter or tracer provider threw (`what`: `Histogram.record`, `Tracer.startSpan`,
 * ...), through OpenTelemetry's own `diag` logger, once per kind of call. Recording never lets a provider's
 * throw reach the policies: from an `events$` observer it would come out of band (rxjs reports it on a
 * timer, which ends a Node process), and a user's call must never fail because its telemetry did.
 * @internal
 */
export function providerFailure(what: string, error: unknown): void {
  if (reported.has(what)) return;
  reported.add(what);
  diag.error(`rxjs-resilience/otel: ${what} threw; recording goes on without it`, error);
}
