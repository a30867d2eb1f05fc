import { expect } from 'chai';
import { TestScheduler } from 'rxjs/testing';
import { isCircuitOpenError } from '../../src/errors/CircuitOpenError';
import { isHttpStatusError } from '../../src/errors/HttpStatusError';
import { anError, isErrorMatcher, withMatchers } from '../../src/testing/anError';
import { fakeDependency } from '../../src/testing/fakeDependency';
import { fakeHttpStatusError } from '../../src/testing/fakeErrors';

/** A TestScheduler asserting with chai through withMatchers, recording failures instead of throwing. */
function recording(): { scheduler: TestScheduler; failures: Error[] } {
  const failures: Error[] = [];
  const scheduler = new TestScheduler(
    withMatchers((actual, expected) => {
      try {
        expect(actual).to.deep.equal(expected);
      } catch (e) {
        failures.push(e as Error);
      }
    }),
  );
  return { scheduler, failures };
}

describe('anError', () => {
  it('should match an error by its guard and the info fields given, deeply, and nothing else', () => {
    const e503 = fakeHttpStatusError(503, { url: 'https://api.test/x', body: 'busy' });
    expect(anError(isHttpStatusError).matches(e503)).to.equal(true);
    expect(anError(isHttpStatusError, { status: 503 }).matches(e503)).to.equal(true);
    expect(anError(isHttpStatusError, { status: 503, body: 'busy' }).matches(e503)).to.equal(true);
    expect(anError(isHttpStatusError, { status: 502 }).matches(e503)).to.equal(false);
    expect(anError(isCircuitOpenError).matches(e503)).to.equal(false);
    expect(anError(isHttpStatusError, { status: 503 }).matches(new Error('HTTP 503'))).to.equal(false);
  });

  it('should say what it expects, for diffs', () => {
    expect(anError(isHttpStatusError, { status: 503, statusText: 'Service Unavailable' }).expected).to.equal(
      'HttpStatusError with info { status: 503, statusText: "Service Unavailable" }',
    );
    expect(anError(isCircuitOpenError).expected).to.equal('any CircuitOpenError');
    expect(isErrorMatcher(anError(isCircuitOpenError))).to.equal(true);
    expect(isErrorMatcher({ expected: 'x', matches: () => true })).to.equal(false);
  });
});

describe('withMatchers', () => {
  it('should let an expected marble say "an HttpStatusError 503" whatever its other fields', () => {
    const { scheduler, failures } = recording();
    scheduler.run((helpers) => {
      const real = fakeHttpStatusError(503, { url: 'https://api.test/quotes/7', retryAfter: 1000 });
      const api = fakeDependency(helpers, '--5', { errors: { 5: real } });
      helpers.expectObservable(api.call$).toBe('--#', undefined, anError(isHttpStatusError, { status: 503 }));
    });
    expect(failures).to.deep.equal([]);
  });

  it('should fail, showing what the matcher expected, when the error differs or comes at another frame', () => {
    const { scheduler, failures } = recording();
    scheduler.run((helpers) => {
      const api = fakeDependency(helpers, '--5', { errors: { 5: fakeHttpStatusError(503) } });
      helpers.expectObservable(api.call$).toBe('--#', undefined, anError(isHttpStatusError, { status: 404 }));
      helpers
        .expectObservable(api.call$)
        .toBe('---#', undefined, anError(isHttpStatusError, { status: 503 }));
    });
    expect(failures).to.have.length(2);
    expect(failures[0]!.message).to.contain('to deeply equal');
    expect(JSON.stringify((failures[0] as unknown as { expected: unknown }).expected)).to.contain(
      'HttpStatusError with info { status: 404 }',
    );
  });

  it('should tell, in the diff, that a matcher compared without withMatchers needs it', () => {
    const failures: Error[] = [];
    const plain = new TestScheduler((actual, expected) => {
      try {
        expect(actual).to.deep.equal(expected);
      } catch (e) {
        failures.push(e as Error);
      }
    });
    plain.run((helpers) => {
      const api = fakeDependency(helpers, '--5', { errors: { 5: fakeHttpStatusError(503) } });
      // The error matches: only the missing withMatchers fails it, and the diff used to show nothing else.
      helpers.expectObservable(api.call$).toBe('--#', undefined, anError(isHttpStatusError, { status: 503 }));
    });
    expect(failures).to.have.length(1);
    const shown = (failures[0] as unknown as { expected: Array<{ notification: { error: unknown } }> })
      .expected[0]!.notification.error;
    expect(JSON.parse(JSON.stringify(shown))).to.deep.equal({
      expected: 'HttpStatusError with info { status: 503 }',
      note: 'anError matches only in a TestScheduler built with withMatchers(yourDeepEqual)',
    });
    // Through withMatchers, a matcher that does not match shows what it expected, and no note.
    const { scheduler, failures: mismatches } = recording();
    scheduler.run((helpers) => {
      const api = fakeDependency(helpers, '--5', { errors: { 5: fakeHttpStatusError(503) } });
      helpers.expectObservable(api.call$).toBe('--#', undefined, anError(isHttpStatusError, { status: 404 }));
    });
    const unmatched = (mismatches[0] as unknown as { expected: Array<{ notification: { error: unknown } }> })
      .expected[0]!.notification.error;
    expect(JSON.parse(JSON.stringify(unmatched))).to.deep.equal({
      expected: 'HttpStatusError with info { status: 404 }',
    });
  });

  it('should match values too, and leave messages without matchers as they are', () => {
    const { scheduler, failures } = recording();
    scheduler.run((helpers) => {
      const source = helpers.cold('-a-b|', { a: fakeHttpStatusError(500), b: 2 });
      helpers
        .expectObservable(source)
        .toBe('-a-b|', { a: anError(isHttpStatusError, { status: 500 }), b: 2 });
    });
    expect(failures).to.deep.equal([]);
  });
});
