/**
 * OpenTelemetry for rxjs-resilience: {@link instrument} records a pipeline's or a policy's metrics and
 * spans. The only entry point that imports `@opentelemetry/api`, an optional peer dependency: the main
 * entry never loads it.
 * @module rxjs-resilience/otel
 */
export { instrument } from './instrument';
export type { InstrumentOptions, InstrumentablePolicy } from './instrument';
