import { expect } from 'chai';
import { catchError, map, of } from 'rxjs';
import { isCircuitOpenError } from '../../src/errors/CircuitOpenError';
import { circuitBreaker } from '../../src/operators/circuitBreaker';
import { timeoutAfter } from '../../src/operators/timeoutAfter';
import {
  priceLabel,
  testPriceLabel,
  testUnderScriptedFaults,
  type PriceLabel,
} from '../../examples/testingYourPipeline';

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
});
