import { diag, DiagLogLevel, metrics, type MeterProvider, type TracerProvider } from '@opentelemetry/api';
import { expect } from 'chai';
import { config, NEVER, of, throwError } from 'rxjs';
import { CircuitBreaker } from '../../src/breaker/CircuitBreaker';
import { Bulkhead } from '../../src/bulkhead/Bulkhead';
import { InvalidConfigError, isInvalidConfigError } from '../../src/errors/InvalidConfigError';
import { bulkhead } from '../../src/operators/bulkhead';
import { circuitBreaker } from '../../src/operators/circuitBreaker';
import { instrument } from '../../src/otel/instrument';
import { PolicyRegistry } from '../../src/registry/PolicyRegistry';
import { GLOBAL_PROVIDER_POLL } from '../../src/otel/watchGlobalProvider';
import { captureThrow } from '../helpers/captureError';
import { CountingMeterProvider } from '../helpers/countingMeterProvider';
import { isObserved } from '../helpers/isObserved';
import { InMemoryMetrics, InMemoryTraces } from '../helpers/otelSdk';
import { ResiliencePipeline } from '../../src/pipeline/ResiliencePipeline';
import { MAX_POLICY_NAMES } from '../../src/otel/Telemetry';

/** `n` calls through `breaker` that fail with a TypeError, then `ok` that succeed. */
function traffic(breaker: CircuitBreaker, failures: number, successes = 0): void {
  const noop = { error: () => undefined };
  for (let i = 0; i < failures; i++)
    throwError(() => new TypeError('down'))
      .pipe(circuitBreaker(breaker))
      .subscribe(noop);
  for (let i = 0; i < successes; i++) of(1).pipe(circuitBreaker(breaker)).subscribe(noop);
}

describe('instrument', () => {
  describe('config', () => {
    it('should throw InvalidConfigError naming a policy of no known kind', () => {
      const error = captureThrow(() => instrument(42 as never));
      expect(isInvalidConfigError(error)).to.equal(true);
      expect((error as InvalidConfigError).message).to.equal(
        'instrument: invalid config: `policies` must be a ResiliencePipeline, a CircuitBreaker, a Bulkhead, a RateLimiter, a RetryBudget or a PolicyRegistry, ' +
          'or an array of them, got 42 (number)',
      );
    });

    it('should name each bad element of an array and each bad option', () => {
      const error = captureThrow(() =>
        instrument([new CircuitBreaker(), {} as never, 'pool' as never], {
          meterProvider: {} as never,
          tracerProvider: 1 as never,
          meter: 2,
        } as never),
      );
      expect((error as InvalidConfigError).message).to.equal(
        'instrument: invalid config: ' +
          '`policies[1]` must be a ResiliencePipeline, a CircuitBreaker, a Bulkhead, a RateLimiter, a RetryBudget or a PolicyRegistry, got {} (object); ' +
          '`policies[2]` must be a ResiliencePipeline, a CircuitBreaker, a Bulkhead, a RateLimiter, a RetryBudget or a PolicyRegistry, got "pool" (string); ' +
          '`options.meterProvider` must be a MeterProvider (an object with getMeter()), got {} (object); ' +
          '`options.tracerProvider` must be a TracerProvider (an object with getTracer()), got 1 (number); ' +
          'unknown option `options.meter`: expected one of the known options (`meterProvider`, `tracerProvider`), got 2 (number)',
      );
    });

    it('should accept an empty array, and record nothing', async () => {
      const sdk = new InMemoryMetrics();
      instrument([], { meterProvider: sdk.provider }).unsubscribe();
      expect(await sdk.points()).to.deep.equal({});
      await sdk.shutdown();
    });
  });

  describe('policies', () => {
    let sdk: InMemoryMetrics;
    beforeEach(() => (sdk = new InMemoryMetrics()));
    afterEach(() => sdk.shutdown());

    it('should record a policy given twice, or also held by a given registry, once', async () => {
      const breaker = new CircuitBreaker({ name: 'prices' });
      const registry = new PolicyRegistry({ create: () => breaker });
      registry.get('a');
      const recording = instrument([breaker, breaker, registry], { meterProvider: sdk.provider });
      traffic(breaker, 1);
      expect((await sdk.points())['rxjs_resilience.circuit_breaker.calls']).to.deep.equal({
        'error.type=TypeError outcome=failure policy.name=prices': 1,
      });
      expect((await sdk.points())['rxjs_resilience.circuit_breaker.state']).to.include({
        'circuit_breaker.state=closed policy.name=prices': 1,
      });
      registry.delete('a');
      expect(isObserved(breaker), 'still given directly').to.equal(true);
      recording.unsubscribe();
      expect(isObserved(breaker)).to.equal(false);
    });

    it('should record the policies a registry holds, then creates, until it evicts them', async () => {
      const registry = new PolicyRegistry({
        create: () => new Bulkhead({ name: 'per-host', maxConcurrent: 1 }),
      });
      const a = registry.get('a');
      const recording = instrument(registry, { meterProvider: sdk.provider });
      const b = registry.get('b');
      const runningA = NEVER.pipe(bulkhead(a)).subscribe();
      NEVER.pipe(bulkhead(b)).subscribe();
      of(1)
        .pipe(bulkhead(a))
        .subscribe({ error: () => undefined }); // refused: a is full
      const sums = async () => {
        const points = await sdk.points();
        return ['active', 'limit', 'refusals'].map((metric) => points[`rxjs_resilience.bulkhead.${metric}`]);
      };
      expect(await sums()).to.deep.equal([
        { 'policy.name=per-host': 2 },
        { 'policy.name=per-host': 2 },
        {
          'bulkhead.reason=full policy.name=per-host': 1,
          'bulkhead.reason=queueTimeout policy.name=per-host': 0,
        },
      ]);
      runningA.unsubscribe();
      registry.delete('a');
      NEVER.pipe(bulkhead(a)).subscribe();
      of(1)
        .pipe(bulkhead(a))
        .subscribe({ error: () => undefined }); // a refusal by an evicted pool: not seen
      expect(await sums(), 'the refusal a made before it went is kept').to.deep.equal([
        { 'policy.name=per-host': 1 },
        { 'policy.name=per-host': 1 },
        {
          'bulkhead.reason=full policy.name=per-host': 1,
          'bulkhead.reason=queueTimeout policy.name=per-host': 0,
        },
      ]);
      recording.unsubscribe();
      expect(isObserved(registry)).to.equal(false);
    });
  });

  describe('two instrument calls, one provider', () => {
    it('should add up policies of one name, as one call does, and count each call once', async () => {
      const sdk = new InMemoryMetrics();
      // Two modules, each instrumenting its own policies, left with their default names.
      const [poolA, poolB] = [new Bulkhead({ maxConcurrent: 5 }), new Bulkhead({ maxConcurrent: 7 })];
      const [breakerA, breakerB] = [new CircuitBreaker(), new CircuitBreaker()];
      const first = instrument([poolA, breakerA], { meterProvider: sdk.provider });
      const second = instrument([poolB, breakerB], { meterProvider: sdk.provider });
      NEVER.pipe(bulkhead(poolA)).subscribe();
      NEVER.pipe(bulkhead(poolB)).subscribe();
      traffic(breakerA, 0, 3);
      traffic(breakerB, 0, 5);
      const expected = {
        'rxjs_resilience.bulkhead.active': { 'policy.name=bulkhead': 2 },
        'rxjs_resilience.bulkhead.limit': { 'policy.name=bulkhead': 12 },
        'rxjs_resilience.circuit_breaker.calls': { 'outcome=success policy.name=unnamed': 8 },
        'rxjs_resilience.circuit_breaker.state': { 'circuit_breaker.state=closed policy.name=unnamed': 2 },
      };
      const pick = (points: Record<string, Record<string, unknown>>) => ({
        'rxjs_resilience.bulkhead.active': points['rxjs_resilience.bulkhead.active'],
        'rxjs_resilience.bulkhead.limit': points['rxjs_resilience.bulkhead.limit'],
        'rxjs_resilience.circuit_breaker.calls': points['rxjs_resilience.circuit_breaker.calls'],
        'rxjs_resilience.circuit_breaker.state': {
          'circuit_breaker.state=closed policy.name=unnamed':
            points['rxjs_resilience.circuit_breaker.state']?.[
              'circuit_breaker.state=closed policy.name=unnamed'
            ],
        },
      });
      // Two callbacks on one series: the last one won the gauges (7, 1), and the counter grew by itself.
      expect(pick(await sdk.points()), 'first collection').to.deep.equal(expected);
      expect(pick(await sdk.points()), 'second collection, no call in between').to.deep.equal(expected);
      second.unsubscribe();
      expect((await sdk.points())['rxjs_resilience.bulkhead.limit']).to.deep.equal({
        'policy.name=bulkhead': 5,
      });
      first.unsubscribe();
      await sdk.shutdown();
    });
  });

  describe('a provider that throws', () => {
    const boom = (what: string) => () => {
      throw new Error(`broken ${what}`);
    };
    /** A meter and a tracer provider, each of whose methods named in `broken` throws. */
    function brokenProviders(broken: string): {
      meterProvider: MeterProvider;
      tracerProvider: TracerProvider;
    } {
      const sdk = new InMemoryMetrics();
      const traces = new InMemoryTraces();
      const wrap = <T extends object>(
        target: T,
        names: ReadonlyArray<string>,
        wrapResult?: (v: unknown) => unknown,
      ): T =>
        new Proxy(target, {
          get(t, property) {
            const value: unknown = Reflect.get(t, property, t);
            if (typeof value !== 'function') return value;
            if (broken === property || (broken === '*' && names.includes(String(property))))
              return boom(String(property));
            return (...args: unknown[]) => {
              const result = (value as (...a: unknown[]) => unknown).apply(t, args);
              return wrapResult && typeof result === 'object' && result !== null
                ? wrapResult(result)
                : result;
            };
          },
        });
      const instrumentNames = ['record'];
      const spanNames = ['addEvent', 'setAttribute', 'setStatus', 'end', 'isRecording'];
      const meterNames = [
        'createHistogram',
        'createObservableCounter',
        'createObservableUpDownCounter',
        'createObservableGauge',
        'addBatchObservableCallback',
        'removeBatchObservableCallback',
      ];
      return {
        meterProvider: wrap(sdk.provider, ['getMeter'], (meter) =>
          wrap(meter as object, meterNames, (made) => wrap(made as object, instrumentNames)),
        ),
        tracerProvider: wrap(traces.provider, ['getTracer'], (tracer) =>
          wrap(tracer as object, ['startSpan'], (span) => wrap(span as object, spanNames)),
        ),
      };
    }

    for (const method of [
      'getMeter',
      'createHistogram',
      'createObservableCounter',
      'addBatchObservableCallback',
      'removeBatchObservableCallback',
      'record',
      'getTracer',
      'startSpan',
      'addEvent',
      'setAttribute',
      'end',
      '*',
    ]) {
      it(`should never let a throwing ${method === '*' ? 'everything' : method} reach a call, nor throw out of band`, async () => {
        const outOfBand: unknown[] = [];
        const previous = config.onUnhandledError;
        config.onUnhandledError = (error) => outOfBand.push(error);
        const logged: unknown[] = [];
        diag.setLogger(
          {
            error: (...args: unknown[]) => logged.push(args),
            warn: () => undefined,
            info: () => undefined,
            debug: () => undefined,
            verbose: () => undefined,
          },
          DiagLogLevel.ERROR,
        );
        try {
          const breaker = new CircuitBreaker({ name: 'users' });
          const pipeline = new ResiliencePipeline({
            name: 'users',
            breaker,
            retry: { maxRetries: 1, initialDelay: 1 },
          });
          const recording = instrument(pipeline, brokenProviders(method));
          expect(await pipeline.execute(async () => 'ok')).to.equal('ok');
          const failed = await pipeline
            .execute(async () => Promise.reject(new TypeError('down')))
            .catch((e: unknown) => e);
          expect((failed as Error).message).to.equal('down');
          await new Promise((resolve) => setTimeout(resolve, 5));
          recording.unsubscribe();
          expect(outOfBand).to.deep.equal([]);
        } finally {
          config.onUnhandledError = previous;
          diag.disable();
        }
      });
    }
  });

  describe('policy names', () => {
    it(`should record at most ${MAX_POLICY_NAMES} names, the others as _OTHER, and hold a bounded memory`, async () => {
      const sdk = new InMemoryMetrics();
      const registry = new PolicyRegistry({
        create: (host: string) => new CircuitBreaker({ name: host }), // named per key, against the docs' advice
        maxKeys: 10,
      });
      const warnings: unknown[] = [];
      diag.setLogger(
        {
          error: () => undefined,
          warn: (...args: unknown[]) => warnings.push(args),
          info: () => undefined,
          debug: () => undefined,
          verbose: () => undefined,
        },
        DiagLogLevel.WARN,
      );
      const recording = instrument(registry, { meterProvider: sdk.provider });
      for (let i = 0; i < 2000; i++) traffic(registry.get(`host-${i}`), 0, 1);
      const calls = (await sdk.points())['rxjs_resilience.circuit_breaker.calls']!;
      expect(Object.keys(calls)).to.have.length(MAX_POLICY_NAMES + 1);
      expect(calls['outcome=success policy.name=_OTHER']).to.equal(2000 - MAX_POLICY_NAMES);
      expect(calls['outcome=success policy.name=host-0']).to.equal(1);
      expect(warnings).to.have.length(1);
      recording.unsubscribe();
      diag.disable();
      await sdk.shutdown();
    });
  });

  describe('an SDK registered after instrument', () => {
    afterEach(() => metrics.disable());

    it('should receive every count since instrument and the gauges', async () => {
      const breaker = new CircuitBreaker({
        name: 'prices',
        minimumCalls: 2,
        window: { type: 'count', size: 2 },
      });
      const pool = new Bulkhead({ name: 'users', maxConcurrent: 1 });
      const recording = instrument([breaker, pool]);
      traffic(breaker, 1); // before any SDK: counted all the same
      const running = NEVER.pipe(bulkhead(pool)).subscribe();
      of(1)
        .pipe(bulkhead(pool))
        .subscribe({ error: () => undefined }); // refused: counted all the same
      const sdk = new InMemoryMetrics();
      metrics.setGlobalMeterProvider(sdk.provider);
      traffic(breaker, 1, 1); // the breaker opens; one call refused
      expect(await sdk.points()).to.deep.equal({
        'rxjs_resilience.circuit_breaker.calls': {
          'error.type=TypeError outcome=failure policy.name=prices': 2,
        },
        'rxjs_resilience.circuit_breaker.transitions': {
          'circuit_breaker.previous_state=closed circuit_breaker.state=open policy.name=prices': 1,
        },
        'rxjs_resilience.circuit_breaker.refusals': { 'circuit_breaker.state=open policy.name=prices': 1 },
        'rxjs_resilience.circuit_breaker.state': {
          'circuit_breaker.state=closed policy.name=prices': 0,
          'circuit_breaker.state=open policy.name=prices': 1,
          'circuit_breaker.state=halfOpen policy.name=prices': 0,
          'circuit_breaker.state=isolated policy.name=prices': 0,
        },
        'rxjs_resilience.bulkhead.refusals': {
          'bulkhead.reason=full policy.name=users': 1,
          'bulkhead.reason=queueTimeout policy.name=users': 0,
        },
        'rxjs_resilience.bulkhead.active': { 'policy.name=users': 1 },
        'rxjs_resilience.bulkhead.queued': { 'policy.name=users': 0 },
        'rxjs_resilience.bulkhead.limit': { 'policy.name=users': 1 },
      });
      running.unsubscribe();
      recording.unsubscribe();
      await sdk.shutdown();
    });

    it('should find it by itself, within half a second, when no policy has an event to tell', async function () {
      this.timeout(5000); // two real waits of GLOBAL_PROVIDER_POLL
      const wait = () => new Promise((resolve) => setTimeout(resolve, GLOBAL_PROVIDER_POLL + 100));
      const pool = new Bulkhead({ name: 'users', maxConcurrent: 3 });
      const recording = instrument(pool); // a pool is only read when the SDK collects: no event
      const sdk = new InMemoryMetrics();
      const counting = new CountingMeterProvider(sdk.provider);
      metrics.setGlobalMeterProvider(counting);
      await wait();
      expect((await sdk.points())['rxjs_resilience.bulkhead.limit']).to.deep.equal({
        'policy.name=users': 3,
      });
      recording.unsubscribe();
      expect(counting.liveCallbacks).to.equal(0);
      metrics.disable();
      const later = new CountingMeterProvider(new InMemoryMetrics().provider);
      metrics.setGlobalMeterProvider(later);
      await wait();
      expect(later.addedCallbacks, 'the poll stopped with the recording').to.equal(0);
      await sdk.shutdown();
    });

    it('should move its gauge callback to a provider that replaces the global one', async () => {
      const first = new CountingMeterProvider(new InMemoryMetrics().provider);
      metrics.setGlobalMeterProvider(first);
      const breaker = new CircuitBreaker({ name: 'prices' });
      const recording = instrument(breaker);
      expect([first.liveCallbacks, first.addedCallbacks]).to.deep.equal([1, 1]);
      metrics.disable();
      const sdk = new InMemoryMetrics();
      const second = new CountingMeterProvider(sdk.provider);
      metrics.setGlobalMeterProvider(second);
      traffic(breaker, 0, 1); // the first record after the change moves the callback
      expect([first.liveCallbacks, second.liveCallbacks]).to.deep.equal([0, 1]);
      expect(await sdk.points()).to.deep.equal({
        'rxjs_resilience.circuit_breaker.calls': { 'outcome=success policy.name=prices': 1 },
        'rxjs_resilience.circuit_breaker.state': {
          'circuit_breaker.state=closed policy.name=prices': 1,
          'circuit_breaker.state=open policy.name=prices': 0,
          'circuit_breaker.state=halfOpen policy.name=prices': 0,
          'circuit_breaker.state=isolated policy.name=prices': 0,
        },
      });
      recording.unsubscribe();
      expect(second.liveCallbacks).to.equal(0);
      await sdk.shutdown();
    });
  });

  describe('unsubscribe', () => {
    it('should stop recording and leave no observer on any policy and no callback in the SDK', async () => {
      const sdk = new InMemoryMetrics();
      const provider = new CountingMeterProvider(sdk.provider);
      const breaker = new CircuitBreaker({ name: 'prices' });
      const pool = new Bulkhead({ name: 'users', maxConcurrent: 1 });
      const registry = new PolicyRegistry({
        create: () => new Bulkhead({ name: 'per-host', maxConcurrent: 1 }),
      });
      const held = registry.get('a');
      const recording = instrument([breaker, pool, registry], { meterProvider: provider });
      traffic(breaker, 1);
      const before = await sdk.points();
      expect(provider.liveCallbacks).to.equal(1);

      recording.unsubscribe();
      expect([breaker, pool, registry, held].map(isObserved)).to.deep.equal([false, false, false, false]);
      expect(provider.liveCallbacks).to.equal(0);
      traffic(breaker, 3);
      breaker.isolate();
      of(1).pipe(bulkhead(pool)).subscribe();
      registry.get('b');
      expect(await sdk.points(), 'the SDK keeps its last values, and nothing more').to.deep.equal(before);
      recording.unsubscribe(); // twice: nothing more
      await sdk.shutdown();
    });
  });
});
