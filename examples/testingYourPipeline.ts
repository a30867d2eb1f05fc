/**
 * How to marble-test your own pipeline with rxjs-resilience's test helpers: a scripted fake dependency
 * (`fakeDependency`), the breaker's life as one marble line (`stateTimeline`), and scripted faults
 * (`injectFaults`), all in virtual time, with whatever assertion library you use.
 *
 * In your project, import from 'rxjs-resilience' and 'rxjs-resilience/testing'.
 *
 * Run it: npx ts-node --transpile-only examples/testingYourPipeline.ts
 */
import { deepStrictEqual } from 'node:assert';
import { catchError, map, of, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import {
  CircuitBreaker,
  ResiliencePipeline,
  circuitBreaker,
  injectFaults,
  isCircuitOpenError,
  resilient,
  timeoutAfter,
} from '../src/index';
import { fakeDependency, fakeHttpStatusError, stateTimeline } from '../src/testing/index';

/**
 * Your code: a price label from a flaky pricing API, with a 3 ms deadline per call, behind a shared
 * breaker (so a timed-out call counts as a failure).
 */
export function priceLabel(price$: Observable<number>, breaker: CircuitBreaker): Observable<string> {
  return price$.pipe(
    timeoutAfter(3),
    circuitBreaker(breaker),
    map((price) => `$${price}`),
    catchError((error: unknown) => of(isCircuitOpenError(error) ? 'busy, try later' : 'failed')),
  );
}

/** How your code is built into a pipeline; the test takes it as a parameter so it can be swapped. */
export type PriceLabel = typeof priceLabel;

/**
 * Your marble test of it. `assertDeepEqual` is your framework's deep equality (`node:assert`'s
 * `deepStrictEqual`, chai's `expect(a).to.deep.equal(b)`, jest's `expect(a).toEqual(b)`); it throws when
 * the pipeline misbehaves.
 */
export function testPriceLabel(
  assertDeepEqual: (actual: unknown, expected: unknown) => void,
  pipeline: PriceLabel = priceLabel,
): void {
  const testScheduler = new TestScheduler(assertDeepEqual);
  testScheduler.run((helpers) => {
    const { expectObservable, expectSubscriptions, flush } = helpers;
    const breaker = new CircuitBreaker({
      window: { type: 'count', size: 2 },
      minimumCalls: 2,
      failureRateThreshold: 1,
      openDuration: 5,
    });
    // The pricing API: two calls fail, then it answers 7 one frame after being called.
    const api = fakeDependency(helpers, ['-#', '-#', '-7|'], { values: { 7: 7 } });
    const timeline = stateTimeline(breaker.state$);
    const label$ = pipeline(api.call$, breaker);
    const values = { f: 'failed', b: 'busy, try later', p: '$7' };

    // prettier-ignore
    {
    expectObservable(label$, '^           ').toBe('-(f|)           ', values); // fails
    expectObservable(label$, '--^         ').toBe('---(f|)         ', values); // fails: opens at 3
    expectObservable(label$, '----^       ').toBe('----(b|)        ', values); // refused, API not called
    expectObservable(label$, '----------^ ').toBe('-----------p|   ', values); // probe at 10 succeeds
    expectSubscriptions(api.subscriptions).toBe([
                             '^!          ',
                             '--^!        ',
                             '----------^-!',
    ]);
    }
    flush();
    // closed, open at 3, halfOpen at 8 (openDuration 5), closed again when the probe succeeds at 12
    timeline.toBe('c--o----h---c');
  });
}

/**
 * The same API made to misbehave on purpose: `injectFaults` scripts which calls fail or hang, so a test
 * reads like the incident it reproduces. Here call 1 fails and call 2 hangs until the deadline, the
 * breaker opens, and a probe recovers.
 */
export function testUnderScriptedFaults(
  assertDeepEqual: (actual: unknown, expected: unknown) => void,
  pipeline: PriceLabel = priceLabel,
): void {
  new TestScheduler(assertDeepEqual).run(({ cold, expectObservable }) => {
    const breaker = new CircuitBreaker({
      window: { type: 'count', size: 2 },
      minimumCalls: 2,
      failureRateThreshold: 1,
      openDuration: 5,
    });
    const healthy = cold('-7|', { 7: 7 });
    const faulty = healthy.pipe(injectFaults({ when: '-#~' })); // call 1 fails, call 2 never answers
    const label$ = pipeline(faulty, breaker);
    const values = { f: 'failed', b: 'busy, try later', p: '$7' };
    // prettier-ignore
    {
    expectObservable(label$, '^             ').toBe('-p|             ', values);
    expectObservable(label$, '---^          ').toBe('---(f|)         ', values);
    expectObservable(label$, '----^         ').toBe('-------(f|)     ', values); // deadline at 7: opens
    expectObservable(label$, '--------^     ').toBe('--------(b|)    ', values); // refused
    expectObservable(label$, '-------------^').toBe('--------------p|', values); // halfOpen since 12
    }
  });
}

/**
 * Your pipeline for the users API, scaled down to marble frames: a 10 ms deadline, two retries 1 then
 * 2 ms apart, a breaker, and 3 ms per attempt.
 */
export function usersPipeline(): ResiliencePipeline {
  return new ResiliencePipeline({
    name: 'users',
    deadline: 10,
    retry: { maxRetries: 2, initialDelay: 1, jitter: 'none' }, // delays of 1 then 2 ms
    breaker: new CircuitBreaker({ name: 'users' }),
    attemptTimeout: 3,
  });
}

/**
 * A `ResiliencePipeline` in virtual time: built inside `TestScheduler.run`, its deadline, attempt timeout
 * and retry delays run on the test's clock. The fake fails with a 503, then hangs, then answers: the
 * retry rides out the 503, the attempt timeout cuts the hang, and the third attempt answers.
 */
export function testPipeline(
  assertDeepEqual: (actual: unknown, expected: unknown) => void,
  build: () => ResiliencePipeline = usersPipeline,
): void {
  new TestScheduler(assertDeepEqual).run((helpers) => {
    const { expectObservable, expectSubscriptions } = helpers;
    const users = build();
    const api = fakeDependency(helpers, ['-5', '-----a|', '-a|'], {
      errors: { 5: fakeHttpStatusError(503) },
    });

    // prettier-ignore
    {
    expectObservable(api.call$.pipe(resilient(users))).toBe('--------a|');
    expectSubscriptions(api.subscriptions).toBe([
      '^!        ', // attempt 1: a 503 at 1
      '--^--!    ', // attempt 2, 1 ms later: cut by the attempt timeout at 5
      '-------^-!', // attempt 3, 2 ms later: answers at 8, completes at 9
    ]);
    }
  });
}

if (require.main === module) {
  testPriceLabel(deepStrictEqual);
  testUnderScriptedFaults(deepStrictEqual);
  testPipeline(deepStrictEqual);
  console.log('the three marble tests passed');
}
