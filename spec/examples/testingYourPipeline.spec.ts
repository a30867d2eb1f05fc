import { expect } from 'chai';
import { catchError, map, of } from 'rxjs';
import { circuitBreaker } from '../../src/operators/circuitBreaker';
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

/** A pipeline that forgets to tell refusals apart from failures. */
const noFallback: PriceLabel = (price$, breaker) =>
  price$.pipe(
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
});
