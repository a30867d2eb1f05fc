import { context, metrics as metricsApi, trace, ROOT_CONTEXT, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { expect } from 'chai';
import { defer, Subscriber, type Observable } from 'rxjs';
import { CircuitBreaker } from '../../src/breaker/CircuitBreaker';
import { HttpStatusError } from '../../src/errors/HttpStatusError';
import { instrument } from '../../src/otel/instrument';
import { RetryBudget } from '../../src/budget/RetryBudget';
import { RateLimiter } from '../../src/limiter/RateLimiter';
import { ResiliencePipeline } from '../../src/pipeline/ResiliencePipeline';
import { resilient } from '../../src/pipeline/resilient';
import { marbles, type Context } from '../helpers/marbles';
import { isObserved } from '../helpers/isObserved';
import { InMemoryMetrics, InMemoryTraces } from '../helpers/otelSdk';

const unavailable = new HttpStatusError({
  status: 503,
  statusText: 'Service Unavailable',
  url: 'http://127.0.0.1/users',
  retryAfter: undefined,
  body: '',
});

/** A source whose n-th subscription is the n-th of `attempts` (the last one repeats). */
function attemptsOf<T>(...attempts: Array<Observable<T>>): Observable<T> {
  let n = 0;
  return defer(() => attempts[Math.min(n++, attempts.length - 1)]!);
}

/** What each subscription printed: values, then `|`, or `#` and the error's name. */
function caller(log: string[]): Subscriber<string> {
  return new Subscriber<string>({
    next: (v) => log.push(v),
    complete: () => log.push('|'),
    error: (e: Error) => log.push(`# ${e.name}`),
  });
}

/** `users`: attempt timeout 3, two retries 1 then 2 ms apart, a breaker named `users`. */
function usersPipeline(m: Context, breaker = new CircuitBreaker({ name: 'users', scheduler: m.scheduler })) {
  return new ResiliencePipeline({
    name: 'users',
    attemptTimeout: 3,
    retry: { maxRetries: 2, initialDelay: 1, jitter: 'none' },
    breaker,
    scheduler: m.scheduler,
  });
}

const attempt = (at: number, n: number, seconds: number, outcome: string, errorType?: string): string =>
  `${at} rxjs_resilience.attempt attempt.duration=${seconds} attempt.number=${n}` +
  (errorType === undefined ? '' : ` error.type=${errorType}`) +
  ` outcome=${outcome}`;

describe('pipelineRecorder', () => {
  let metrics: InMemoryMetrics;
  let traces: InMemoryTraces;
  let contextManager: AsyncLocalStorageContextManager;
  before(() => {
    contextManager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(contextManager);
  });
  after(() => context.disable());
  beforeEach(() => {
    metrics = new InMemoryMetrics();
    traces = new InMemoryTraces();
  });
  afterEach(async () => {
    await metrics.shutdown();
    await traces.shutdown();
  });

  // prettier-ignore
  it('should record a retried call: its duration, each attempt, the retries, and one span with an event per attempt', async () => {
    let parent!: Span;
    marbles((m) => {
      const p = usersPipeline(m);
      instrument(p, { meterProvider: metrics.provider, tracerProvider: traces.provider });
      // Attempt 1 fails at 1; attempt 2 (from 2) hangs until its timeout at 5; attempt 3 (from 7) answers.
      const attempts = [m.cold('-#', undefined, unavailable), m.cold('-----'), m.cold('-a|')] as const;
      const source = attemptsOf(...attempts);
      m.expect(attempts[0]).toHaveSubscriptions('^!');
      m.expect(attempts[1]).toHaveSubscriptions('--^--!');
      m.expect(attempts[2]).toHaveSubscriptions('-------^-!');
      parent = traces.provider.getTracer('caller').startSpan('GET /users/42', { startTime: [0, 0] });
      const log: string[] = [];
      context.with(trace.setSpan(ROOT_CONTEXT, parent), () => source.pipe(resilient(p)).subscribe(caller(log)));
      m.flush();
      expect(log).to.deep.equal(['a', '|']);
    })();
    parent.end([0, 10_000_000]);
    expect(await metrics.points()).to.deep.equal({
      'rxjs_resilience.pipeline.call.duration': {
        'outcome=success policy.name=users': { count: 1, sum: 0.009, min: 0.009, max: 0.009 },
      },
      'rxjs_resilience.pipeline.attempt.duration': {
        'error.type=HttpStatusError outcome=failure policy.name=users': { count: 1, sum: 0.001, min: 0.001, max: 0.001 },
        'error.type=TimeoutExceededError outcome=failure policy.name=users': { count: 1, sum: 0.003, min: 0.003, max: 0.003 },
        'outcome=success policy.name=users': { count: 1, sum: 0.002, min: 0.002, max: 0.002 },
      },
      'rxjs_resilience.pipeline.retries': { 'policy.name=users': 2 },
      'rxjs_resilience.circuit_breaker.calls': {
        'error.type=HttpStatusError outcome=failure policy.name=users': 1,
        'error.type=TimeoutExceededError outcome=failure policy.name=users': 1,
        'outcome=success policy.name=users': 1,
      },
      'rxjs_resilience.circuit_breaker.state': {
        'circuit_breaker.state=closed policy.name=users': 1,
        'circuit_breaker.state=open policy.name=users': 0,
        'circuit_breaker.state=halfOpen policy.name=users': 0,
        'circuit_breaker.state=isolated policy.name=users': 0,
      },
    });
    const [call, caller_] = traces.spans();
    expect(traces.spans()).to.have.length(2);
    expect(call).to.deep.equal({
      name: 'pipeline users',
      parent: parent.spanContext().spanId,
      start: 0,
      end: 9,
      status: '0',
      attributes: 'attempts=3 outcome=success policy.name=users',
      events: [
        attempt(1, 1, 0.001, 'failure', 'HttpStatusError'),
        attempt(5, 2, 0.003, 'failure', 'TimeoutExceededError'),
        attempt(9, 3, 0.002, 'success'),
      ],
    });
    expect(caller_!.name).to.equal('GET /users/42');
  });

  // prettier-ignore
  it('should count a hedging pipeline\'s extra attempts as hedges, and record its rate limiter and budget', async () => {
    marbles((m) => {
      const budget = new RetryBudget({ scheduler: m.scheduler });
      const rateLimiter = new RateLimiter({ name: 'users-rate', limit: 10, interval: 10, scheduler: m.scheduler });
      const p = new ResiliencePipeline({
        name: 'users',
        hedge: { delay: 2, maxAttempts: 3, budget },
        rateLimiter,
        scheduler: m.scheduler,
      });
      instrument(p, { meterProvider: metrics.provider, tracerProvider: traces.provider });
      // Attempt 1 hangs; attempt 2 starts at 2 and answers at 3, so attempt 1 is cut then; it completes at 4.
      const attempts = [m.cold('------'), m.cold('-a|')] as const;
      m.expect(attemptsOf(...attempts).pipe(resilient(p))).toBeObservable('---a|');
      m.expect(attempts[0]).toHaveSubscriptions('^--!');
      m.expect(attempts[1]).toHaveSubscriptions('--^-!');
    })();
    const points = await metrics.points();
    expect(points['rxjs_resilience.pipeline.hedges']).to.deep.equal({ 'policy.name=users': 1 });
    expect(points).to.not.have.property('rxjs_resilience.pipeline.retries');
    expect(points['rxjs_resilience.rate_limiter.calls']).to.deep.equal({
      'policy.name=users-rate rate_limiter.result=admitted': 2,
      'policy.name=users-rate rate_limiter.result=delayed': 0,
      'policy.name=users-rate rate_limiter.result=failed': 0,
      'policy.name=users-rate rate_limiter.result=refused': 0,
    });
    expect(points['rxjs_resilience.retry_budget.retries']).to.deep.equal({
      'policy.name=retryBudget retry_budget.decision=allowed': 1,
      'policy.name=retryBudget retry_budget.decision=refused': 0,
    });
  });

  // prettier-ignore
  it('should mark a call that failed after its retries as an error, and one a breaker refused with no attempt', async () => {
    marbles((m) => {
      const breaker = new CircuitBreaker({ name: 'users', scheduler: m.scheduler });
      const p = usersPipeline(m, breaker);
      instrument(p, { meterProvider: metrics.provider, tracerProvider: traces.provider });
      const log: string[] = [];
      m.cold('-#', undefined, unavailable).pipe(resilient(p)).subscribe(caller(log)); // 3 attempts, fails at 6
      m.scheduler.schedule(() => {
        breaker.isolate();
        m.cold('-a|').pipe(resilient(p)).subscribe(caller(log)); // refused at 10: a refusal is not retried (isTransient)
      }, 10);
      m.flush();
      expect(log).to.deep.equal(['# HttpStatusError', '# CircuitOpenError']);
    })();
    const spans = traces.spans();
    expect(spans.map(({ start, end, status, attributes, events }) => ({ start, end, status, attributes, events }))).to.deep.equal([
      {
        start: 0,
        end: 6,
        status: '2 HTTP 503 Service Unavailable from http://127.0.0.1/users',
        attributes: 'attempts=3 error.type=HttpStatusError outcome=failure policy.name=users',
        events: [
          attempt(1, 1, 0.001, 'failure', 'HttpStatusError'),
          attempt(3, 2, 0.001, 'failure', 'HttpStatusError'),
          attempt(6, 3, 0.001, 'failure', 'HttpStatusError'),
        ],
      },
      {
        start: 10,
        end: 10,
        status: `2 ${spans[1]!.status.slice(2)}`,
        attributes: 'attempts=0 error.type=CircuitOpenError outcome=failure policy.name=users',
        events: [],
      },
    ]);
    expect(spans[1]!.status).to.match(/^2 Circuit breaker "users" is isolated/);
    expect((await metrics.points())['rxjs_resilience.pipeline.call.duration']).to.deep.equal({
      'error.type=HttpStatusError outcome=failure policy.name=users': { count: 1, sum: 0.006, min: 0.006, max: 0.006 },
      'error.type=CircuitOpenError outcome=failure policy.name=users': { count: 1, sum: 0, min: 0, max: 0 },
    });
  });

  // prettier-ignore
  it('should give overlapping calls a span each, with their own attempts, and end a cancelled one as cancelled', async () => {
    marbles((m) => {
      const p = usersPipeline(m);
      instrument(p, { meterProvider: metrics.provider, tracerProvider: traces.provider });
      const first = new Subscriber<string>();
      m.cold('-#', undefined, unavailable).pipe(resilient(p)).subscribe(first); // attempt 1 fails at 1
      m.scheduler.schedule(() => m.cold('--a|').pipe(resilient(p)).subscribe(), 1); // 1-4
      m.scheduler.schedule(() => first.unsubscribe(), 3); // in attempt 2
      m.flush();
    })();
    expect(traces.spans().map(({ name, start, end, attributes, events }) => ({ name, start, end, attributes, events }))).to.deep.equal([
      {
        name: 'pipeline users',
        start: 0,
        end: 3,
        attributes: 'attempts=2 outcome=cancelled policy.name=users',
        events: [attempt(1, 1, 0.001, 'failure', 'HttpStatusError'), attempt(3, 2, 0.001, 'cancelled')],
      },
      {
        name: 'pipeline users',
        start: 1,
        end: 4,
        attributes: 'attempts=1 outcome=success policy.name=users',
        events: [attempt(4, 1, 0.003, 'success')],
      },
    ]);
  });

  it("should end the span of a call that an earlier observer of events$ cancelled on 'start'", () => {
    marbles((m) => {
      const p = usersPipeline(m);
      const call = new Subscriber<string>();
      p.events$.subscribe((e) => e.type === 'start' && call.unsubscribe()); // before instrument's observer
      instrument(p, { meterProvider: metrics.provider, tracerProvider: traces.provider });
      m.cold('-a|').pipe(resilient(p)).subscribe(call);
      m.flush();
    })();
    // Its 'call' event used to reach instrument before its 'start': a span opened after the end, never ended.
    expect(traces.spans().map(({ start, end, attributes }) => ({ start, end, attributes }))).to.deep.equal([
      { start: 0, end: 0, attributes: 'attempts=0 outcome=cancelled policy.name=users' },
    ]);
  });

  it('should send spans and durations to SDKs registered globally after instrument', async () => {
    let recording!: { unsubscribe(): void };
    marbles((m) => {
      const p = usersPipeline(m);
      recording = instrument(p); // the global providers: no SDK yet
      m.cold('-a|').pipe(resilient(p)).subscribe(); // before the SDKs: its span and durations are lost
      m.scheduler.schedule(() => {
        metricsApi.setGlobalMeterProvider(metrics.provider);
        trace.setGlobalTracerProvider(traces.provider);
        m.cold('-a|').pipe(resilient(p)).subscribe();
      }, 5);
      m.flush();
    })();
    expect(traces.spans().map(({ name, start, end }) => [name, start, end])).to.deep.equal([
      ['pipeline users', 5, 7],
    ]);
    expect((await metrics.points())['rxjs_resilience.pipeline.call.duration']).to.deep.equal({
      'outcome=success policy.name=users': { count: 1, sum: 0.002, min: 0.002, max: 0.002 },
    });
    recording.unsubscribe();
    metricsApi.disable();
    trace.disable();
  });

  it('should stop on unsubscribe: no observer left, and a call in flight exports no span', async () => {
    let p!: ResiliencePipeline;
    marbles((m) => {
      p = usersPipeline(m);
      const recording = instrument(p, { meterProvider: metrics.provider, tracerProvider: traces.provider });
      m.cold('--a|').pipe(resilient(p)).subscribe();
      m.scheduler.schedule(() => recording.unsubscribe(), 1);
      m.flush();
    })();
    expect(traces.spans()).to.deep.equal([]);
    expect(await metrics.points(), 'the call ended after the recording: nothing of it').to.deep.equal({});
    expect([isObserved(p), isObserved(p.breaker!)]).to.deep.equal([false, false]);
  });
});
