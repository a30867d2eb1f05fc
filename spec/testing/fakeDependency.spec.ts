import { expect } from 'chai';
import { EMPTY, catchError, of, retry, switchMap } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { fakeDependency } from '../../src/testing/fakeDependency';
import { fakeHttpStatusError, fakeNetworkError } from '../../src/testing/fakeErrors';
import { InvalidConfigError } from '../../src/errors/InvalidConfigError';
import { captureThrow } from '../helpers/captureError';
import { marbles } from '../helpers/marbles';

/** A TestScheduler that records failed assertions instead of throwing, to prove a check can fail. */
function recordingScheduler(): { scheduler: TestScheduler; failures: unknown[] } {
  const failures: unknown[] = [];
  const scheduler = new TestScheduler((actual, expected) => {
    if (JSON.stringify(actual) !== JSON.stringify(expected)) failures.push({ actual, expected });
  });
  return { scheduler, failures };
}

describe('fakeDependency', () => {
  it('should answer each call with the next marble and log the calls for expectSubscriptions', () => {
    const { scheduler, failures } = recordingScheduler();
    scheduler.run((helpers) => {
      // prettier-ignore
      const api = fakeDependency(helpers, ['--#', '-----a|'], { values: { a: 42 } });
      const result = api.call$.pipe(retry(1));
      // prettier-ignore
      helpers.expectObservable(result).toBe('  -------a|', { a: 42 });
      // prettier-ignore
      helpers.expectSubscriptions(api.subscriptions).toBe([
                                              '^-!',
                                              '--^-----!',
      ]);
    });
    expect(failures).to.deep.equal([]);
  });

  it('should make a wrong expectation fail', () => {
    const { scheduler, failures } = recordingScheduler();
    scheduler.run((helpers) => {
      const api = fakeDependency(helpers, ['--#', '-----a|']);
      helpers.expectObservable(api.call$.pipe(retry(1))).toBe('-------a|');
      helpers.expectSubscriptions(api.subscriptions).toBe(['^-!', '---^----!']);
    });
    expect(failures).to.have.length(1);
  });

  it(
    'should work with an rxjs-marbles context, subscriptions included',
    marbles((m) => {
      const api = fakeDependency(m, ['-#', '--a|']);
      // prettier-ignore
      m.expect(api.call$.pipe(retry(2))).toBeObservable('   ---a|');
      // prettier-ignore
      m.expect(api.call$).toHaveSubscriptions([            '^!', '-^--!']);
    }),
  );

  it(
    'should repeat the last marble once the script is exhausted',
    marbles((m) => {
      const api = fakeDependency(m, ['#', '-#']);
      // prettier-ignore
      m.expect(api.call$.pipe(retry(3))).toBeObservable('   ---#');
      m.expect(api.call$).toHaveSubscriptions(['(^!)', '^!', '-^!', '--^!']);
      m.flush();
      expect(api.calls).to.equal(4);
    }),
  );

  it(
    "should error a call past the script with exhausted: 'error', and still log it",
    marbles((m) => {
      const api = fakeDependency(m, ['-a|'], { exhausted: 'error' });
      const result = api.call$.pipe(switchMap(() => api.call$));
      const error = new Error("fakeDependency: call 1 has no marble (1 scripted, exhausted: 'error')");
      m.expect(result).toBeObservable('-#', undefined, error);
      m.expect(api.call$).toHaveSubscriptions(['^!', '-(^!)']);
    }),
  );

  it(
    'should log an unsubscribe in the middle of a call',
    marbles((m) => {
      const api = fakeDependency(m, ['-----a|', '-b|']);
      // prettier-ignore
      {
      m.expect(api.call$, '^--!  ').toBeObservable('------');
      m.expect(api.call$, '----^ ').toBeObservable('-----b|');
      m.expect(api.call$).toHaveSubscriptions(['^--!', '----^-!']);
      }
    }),
  );

  it(
    'should use the error given for #',
    marbles((m) => {
      const failure = new Error('503');
      const api = fakeDependency(m, '--#', { error: failure });
      m.expect(api.call$.pipe(catchError((e: unknown) => of(e === failure)))).toBeObservable('--(t|)', {
        t: true,
      });
    }),
  );

  it(
    'should fail each call its own way: errors by marble letter, values alongside',
    marbles((m) => {
      const e503 = fakeHttpStatusError(503);
      const reset = fakeNetworkError('ECONNRESET');
      // prettier-ignore
      const api = fakeDependency(m, ['-5', '--n', 'a-b|'], { values: { a: 1, b: 2 }, errors: { 5: e503, n: reset } });
      const seen: unknown[] = [];
      const result = api.call$.pipe(
        catchError((e: unknown) => {
          seen.push(e);
          return EMPTY;
        }),
      );
      // prettier-ignore
      {
      m.expect(result, '^   ').toBeObservable('-|   ');
      m.expect(result, '--^ ').toBeObservable('----|');
      m.expect(result, '-----^').toBeObservable('-----a-b|', { a: 1, b: 2 });
      m.expect(api.call$).toHaveSubscriptions(['^!', '--^-!', '-----^--!']);
      }
      m.flush();
      expect(seen[0]).to.equal(e503);
      expect(seen[1]).to.equal(reset);
    }),
  );

  it(
    'should let error letters stand next to letters that stand for themselves',
    marbles((m) => {
      const failure = new Error('boom');
      const retried = fakeDependency(m, ['-x', '-a|'], { errors: { x: failure } });
      m.expect(retried.call$.pipe(retry(1))).toBeObservable('--a|');
      const caught = fakeDependency(m, ['-x', '-a|'], { errors: { x: failure } });
      m.expect(caught.call$.pipe(catchError((e: unknown) => of(e === failure)))).toBeObservable('-(t|)', {
        t: true,
      });
    }),
  );

  it('should refuse a letter that is both a value and an error', () => {
    const scheduler = new TestScheduler(() => undefined);
    expect(() =>
      fakeDependency(scheduler, '-a|', { values: { a: 1, b: 2 }, errors: { a: new Error('x'), c: 1 } }),
    ).to.throw(
      InvalidConfigError,
      'fakeDependency: invalid config: `errors` must be letters that are not also in `values` ("a"), got {"a":{},"c":1} (object)',
    );
  });

  it('should say what it expected when given helpers.cold instead of helpers', () => {
    new TestScheduler(() => undefined).run((helpers) => {
      const error = captureThrow(() => fakeDependency(helpers.cold as never, '-a|'));
      expect(error).to.be.instanceOf(TypeError);
      expect((error as Error).message).to.equal(
        'fakeDependency: `helpers` must be the helpers of TestScheduler.run (an object with `cold`), an ' +
          'rxjs-marbles context or a TestScheduler, got a function: pass `helpers` itself, not `helpers.cold`',
      );
    });
    expect((captureThrow(() => fakeDependency({} as never, '-a|')) as Error).message).to.equal(
      'fakeDependency: `helpers` must be the helpers of TestScheduler.run (an object with `cold`), an ' +
        'rxjs-marbles context or a TestScheduler, got {} (object)',
    );
  });

  it('should work with a TestScheduler outside run mode', () => {
    const { scheduler, failures } = recordingScheduler();
    const api = fakeDependency(scheduler, ['--#', '-a|']);
    scheduler.expectObservable(api.call$.pipe(retry(1))).toBe('---a|');
    scheduler.expectSubscriptions(api.subscriptions).toBe(['^-!', '--^-!']);
    scheduler.flush();
    expect(failures).to.deep.equal([]);
    expect(api.subscriptions.map((s) => [s.subscribedFrame, s.unsubscribedFrame])).to.deep.equal([
      [0, 20],
      [20, 40],
    ]);
  });

  it('should reject bad options, naming each field', () => {
    const scheduler = new TestScheduler(() => undefined);
    expect(() => fakeDependency(scheduler, '-a|', { exhausted: 'wrap' } as never)).to.throw(
      InvalidConfigError,
      "fakeDependency: invalid config: `exhausted` must be 'repeat' | 'error', got \"wrap\" (string)",
    );
    expect(() => fakeDependency(scheduler, '-a|', { value: { a: 1 } } as never)).to.throw(
      'fakeDependency: invalid config: unknown option `value`: expected one of the known options (`values`, `error`, `errors`, `exhausted`), got {"a":1} (object)',
    );
  });

  it('should reject an empty script and a malformed marble where the fake is made', () => {
    const scheduler = new TestScheduler(() => undefined);
    scheduler.run((helpers) => {
      expect((captureThrow(() => fakeDependency(helpers, [])) as Error).message).to.equal(
        'fakeDependency: `marbles` must be a marble string or a non-empty array of them',
      );
      expect(captureThrow(() => fakeDependency(helpers, [1 as unknown as string]))).to.be.instanceOf(
        TypeError,
      );
      expect((captureThrow(() => fakeDependency(helpers, ['-a|', '^-a|'])) as Error).message).to.contain(
        'cold observable cannot have subscription offset',
      );
    });
  });
});
