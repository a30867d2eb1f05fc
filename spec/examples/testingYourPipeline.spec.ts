import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { catchError, map, of } from 'rxjs';
import { isCircuitOpenError } from '../../src/errors/CircuitOpenError';
import { circuitBreaker } from '../../src/operators/circuitBreaker';
import { timeoutAfter } from '../../src/operators/timeoutAfter';
import {
  priceLabel,
  testPipeline,
  testPriceLabel,
  testUnderScriptedFaults,
  type PriceLabel,
} from '../../examples/testingYourPipeline';
import { CircuitBreaker } from '../../src/breaker/CircuitBreaker';
import { ResiliencePipeline } from '../../src/pipeline/ResiliencePipeline';

const chaiDeepEqual = (actual: unknown, expected: unknown) => expect(actual).to.deep.equal(expected);

/** A pipeline without its breaker: the kind of regression the example's tests exist to catch. */
const withoutBreaker: PriceLabel = (price$) =>
  price$.pipe(
    map((price) => `$${price}`),
    catchError(() => of('failed')),
  );

/** A pipeline without its deadline: a hung call holds the caller forever. */
const withoutDeadline: PriceLabel = (price$, breaker) =>
  price$.pipe(
    circuitBreaker(breaker),
    map((price) => `$${price}`),
    catchError((error: unknown) => of(isCircuitOpenError(error) ? 'busy, try later' : 'failed')),
  );

/** A pipeline that forgets to tell refusals apart from failures. */
const noFallback: PriceLabel = (price$, breaker) =>
  price$.pipe(
    timeoutAfter(3),
    circuitBreaker(breaker),
    map((price) => `$${price}`),
    catchError(() => of('failed')),
  );

describe('examples/testingYourPipeline', () => {
  it('should pass its marble tests against the pipeline it documents', () => {
    testPriceLabel(chaiDeepEqual);
    testUnderScriptedFaults(chaiDeepEqual);
    testPriceLabel(chaiDeepEqual, priceLabel);
  });

  for (const [name, broken] of [
    ['without its breaker', withoutBreaker],
    ['without the refusal fallback', noFallback],
  ] as const) {
    it(`should fail its marble tests for a pipeline ${name}`, () => {
      expect(() => testPriceLabel(chaiDeepEqual, broken)).to.throw();
      expect(() => testUnderScriptedFaults(chaiDeepEqual, broken)).to.throw();
    });
  }

  it('should fail the scripted-fault test for a pipeline without its deadline', () => {
    testPriceLabel(chaiDeepEqual, withoutDeadline); // no call in the first test is slow
    expect(() => testUnderScriptedFaults(chaiDeepEqual, withoutDeadline)).to.throw();
  });

  it('should pass its marble test of a ResiliencePipeline', () => {
    testPipeline(chaiDeepEqual);
  });

  it('should fail that test for a pipeline without its attempt timeout or its retry', () => {
    const without = (drop: 'attemptTimeout' | 'retry') => () =>
      new ResiliencePipeline({
        name: 'users',
        deadline: 10,
        breaker: new CircuitBreaker({ name: 'users' }),
        ...(drop === 'retry'
          ? { attemptTimeout: 3 }
          : { retry: { maxRetries: 2, initialDelay: 1, jitter: 'none' } }),
      });
    expect(() => testPipeline(chaiDeepEqual, without('attemptTimeout'))).to.throw();
    expect(() => testPipeline(chaiDeepEqual, without('retry'))).to.throw();
  });

  it('should be the pipeline test README.md and docs/testing.md show', () => {
    const root = join(__dirname, '..', '..');
    const flat = (text: string): string => text.replace(/\s+/g, ' ');
    const source = readFileSync(join(root, 'examples', 'testingYourPipeline.ts'), 'utf8');
    const between = (from: string, to: string): string => {
      const start = source.indexOf(from);
      expect(start, from).to.be.at.least(0);
      return flat(source.slice(start, source.indexOf(to, start) + to.length));
    };
    const config = between("name: 'users',\n    deadline: 10,", 'attemptTimeout: 3,');
    const test = between("const api = fakeDependency(helpers, ['-5'", ']);\n    }');
    for (const doc of ['README.md', join('docs', 'testing.md')]) {
      const text = flat(readFileSync(join(root, doc), 'utf8'));
      expect(text, `${doc} shows the pipeline's config`).to.contain(config);
      expect(text, `${doc} shows the test`).to.contain(test);
    }
  });
});
