/**
 * Telemetry in one call: `instrument(users)` records a pipeline, its breaker and its pool in
 * OpenTelemetry. The dependency answers 503 to everything; after four failed attempts the breaker opens,
 * and the console shows what a metrics backend would: `rxjs_resilience.circuit_breaker.state` at 1 for
 * `open`, the transition closed -> open, the refusals, the calls' and attempts' durations; and one span
 * per call, a child of the caller's `checkout` span, with an event per attempt.
 *
 * In your service the SDK is usually started by `@opentelemetry/sdk-node` with OTLP exporters; here the
 * providers are built by hand with the console exporters, the only difference. In your project, import
 * from 'rxjs-resilience' and 'rxjs-resilience/otel'.
 *
 * Run it: npm run example:telemetry (about a second of real time; a fault server on 127.0.0.1)
 */
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  ConsoleMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { ConsoleSpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { lastValueFrom } from 'rxjs';
import {
  Bulkhead,
  CircuitBreaker,
  ResiliencePipeline,
  fetchRequest,
  isTransient,
  resilient,
} from '../src/index';
import { instrument } from '../src/otel/index';
import { startFaultServer } from '../src/testing/index';

export async function main(): Promise<void> {
  // The SDK: a meter provider read every 60 s (flushed by hand below), spans exported as they end, and
  // a context manager so a span started by the caller is the parent of the pipeline's.
  const meterProvider = new MeterProvider({
    readers: [
      new PeriodicExportingMetricReader({
        exporter: new ConsoleMetricExporter(),
        exportIntervalMillis: 60_000,
      }),
    ],
  });
  const tracerProvider = new TracerProvider({
    spanProcessors: [new SimpleSpanProcessor({ exporter: new ConsoleSpanExporter() })],
  });
  metrics.setGlobalMeterProvider(meterProvider);
  trace.setGlobalTracerProvider(tracerProvider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());

  const users = new ResiliencePipeline({
    name: 'users',
    retry: { maxRetries: 2, initialDelay: 20, jitter: 'none', shouldRetry: isTransient }, // not a refusal
    breaker: new CircuitBreaker({ name: 'users', minimumCalls: 4, openDuration: 10_000 }),
    bulkhead: new Bulkhead({ name: 'users', maxConcurrent: 4 }),
    attemptTimeout: 1000,
  });

  // The one call: every metric of the pipeline, its breaker and its pool, and a span per call.
  const recording = instrument(users);

  const dependency = await startFaultServer();
  const url = dependency.urlOf('/status', { code: 503 });
  const tracer = trace.getTracer('checkout-service');
  await tracer.startActiveSpan('checkout', async (checkout) => {
    for (let i = 0; i < 3; i++) {
      // Call 1: three attempts fail. Call 2: attempt 4 fails and the breaker opens; its retry is refused
      // (not retried: a refusal is not the dependency failing). Call 3: refused at once, nothing sent.
      await lastValueFrom(fetchRequest(url).pipe(resilient(users))).catch(() => undefined);
    }
    checkout.end();
  });
  console.log(`requests the dependency got: ${dependency.stats('/status').requests}`);

  await meterProvider.shutdown(); // exports once more before it stops, as at the next interval
  await tracerProvider.shutdown();
  recording.unsubscribe();
  await dependency.close();
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
