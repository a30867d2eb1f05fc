/* OpenTelemetry for rxjs-resilience: import from `rxjs-resilience/otel`. The only place that imports
   @opentelemetry/api, an optional peer dependency: the package's main entry never loads it. */
export { instrument } from './instrument';
export type { InstrumentOptions, InstrumentablePolicy } from './instrument';
