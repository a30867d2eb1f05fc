import { expect } from 'chai';
import { catchError, of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { HttpStatusError, isHttpStatusError } from '../../src/errors/HttpStatusError';
import { isNetworkError } from '../../src/errors/NetworkError';
import { isTransient } from '../../src/errors/isTransient';
import { retryBackoff } from '../../src/operators/retryBackoff';
import { fakeDependency } from '../../src/testing/fakeDependency';
import { fakeHttpStatusError, fakeNetworkError } from '../../src/testing/fakeErrors';

describe('fakeHttpStatusError', () => {
  it('should build an HttpStatusError from its status, the other fields fixed', () => {
    const error = fakeHttpStatusError(503);
    expect(error).to.be.instanceOf(HttpStatusError);
    expect(isHttpStatusError(error)).to.equal(true);
    expect(error.info).to.deep.equal({
      status: 503,
      statusText: 'Service Unavailable',
      url: 'http://fake.invalid/',
      retryAfter: undefined,
      body: '',
    });
    expect(error.message).to.equal('HTTP 503 Service Unavailable from http://fake.invalid/');
    expect(fakeHttpStatusError(299).info.statusText).to.equal('');
  });

  it('should take any field from info', () => {
    const error = fakeHttpStatusError(429, { retryAfter: 2000, url: 'https://api.test/quotes' });
    expect(error.message).to.equal(
      'HTTP 429 Too Many Requests from https://api.test/quotes (retry after 2000ms)',
    );
    expect(error.info.retryAfter).to.equal(2000);
  });

  it('should be deeply equal to another built from the same arguments, so a marble test can expect it', () => {
    expect(fakeHttpStatusError(503)).to.deep.equal(fakeHttpStatusError(503));
    expect(fakeHttpStatusError(503)).not.to.deep.equal(fakeHttpStatusError(502));
    const failures: unknown[] = [];
    new TestScheduler((actual, expected) => {
      try {
        expect(actual).to.deep.equal(expected);
      } catch (e) {
        failures.push(e);
      }
    }).run(({ expectObservable, ...helpers }) => {
      const api = fakeDependency(helpers, '--5', { errors: { 5: fakeHttpStatusError(503) } });
      expectObservable(api.call$).toBe('--#', undefined, fakeHttpStatusError(503));
      expectObservable(api.call$).toBe('--#', undefined, fakeHttpStatusError(500));
    });
    expect(failures).to.have.length(1);
  });

  it('should count as transient for a 5xx and not for a 404, as real ones do', () => {
    expect(isTransient(fakeHttpStatusError(503))).to.equal(true);
    expect(isTransient(fakeHttpStatusError(404))).to.equal(false);
  });
});

describe('fakeNetworkError', () => {
  it('should build a NetworkError from its code, ECONNRESET by default', () => {
    const error = fakeNetworkError();
    expect(isNetworkError(error)).to.equal(true);
    expect(error.info).to.deep.equal({
      code: 'ECONNRESET',
      phase: 'request',
      url: 'http://fake.invalid/',
      cause: undefined,
    });
    expect(error.message).to.equal('Network error ECONNRESET requesting http://fake.invalid/');
    expect(fakeNetworkError('ECONNREFUSED', { phase: 'body' }).message).to.equal(
      'Network error ECONNREFUSED while reading the body of http://fake.invalid/',
    );
    expect(fakeNetworkError()).to.deep.equal(fakeNetworkError('ECONNRESET'));
  });

  it('should script a 503 then a network error, each retried, then a value', () => {
    const seen: string[] = [];
    new TestScheduler((actual, expected) => expect(actual).to.deep.equal(expected) && undefined).run(
      (helpers) => {
        const api = fakeDependency(helpers, ['-5', '-n', '-a|'], {
          errors: { 5: fakeHttpStatusError(503), n: fakeNetworkError() },
        });
        const call$ = api.call$.pipe(
          catchError((e: unknown) => {
            seen.push(
              isHttpStatusError(e) ? `HTTP ${e.info.status}` : isNetworkError(e) ? `${e.info.code}` : '?',
            );
            throw e;
          }),
          retryBackoff({ maxRetries: 2, initialDelay: 1, jitter: 'none' }),
          catchError(() => of('gave up')),
        );
        // prettier-ignore
        helpers.expectObservable(call$).toBe('------a|');
        helpers.expectSubscriptions(api.subscriptions).toBe(['^!', '--^!', '-----^-!']);
      },
    );
    expect(seen).to.deep.equal(['HTTP 503', 'ECONNRESET']);
  });
});
