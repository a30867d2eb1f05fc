import { expect } from 'chai';
import { isLeft, right, type Either } from 'fp-ts/lib/Either';
import { mergeMap, of, take, throwError, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { CircuitBreaker } from '../../src/breaker/CircuitBreaker';
import { Bulkhead } from '../../src/bulkhead/Bulkhead';
import { isCircuitOpenError } from '../../src/errors/CircuitOpenError';
import { InvalidConfigError } from '../../src/errors/InvalidConfigError';
import { isTimeoutExceededError } from '../../src/errors/TimeoutExceededError';
import type { CallFailure } from '../../src/pipeline/CallFailure';
import { ResiliencePipeline } from '../../src/pipeline/ResiliencePipeline';
import { resilientEither } from '../../src/pipeline/resilientEither';
import { captureThrow } from '../helpers/captureError';
import { firehose } from '../helpers/firehose';
import { marbles } from '../helpers/marbles';

/** Either values as plain data, so marble matchers compare them. */
const plain = <T>(e: Either<CallFailure, T>) =>
  isLeft(e) ? { left: { ...e.left, error: (e.left.error as Error).message } } : { right: e.right };

describe('resilientEither', () => {
  describe('standard battery', () => {
    it(
      'should wrap each value in right and pass completion through',
      marbles((m) => {
        const p = new ResiliencePipeline({ deadline: 10, scheduler: m.scheduler });
        // prettier-ignore
        const source = m.cold('-a-b|');
        const subs = '         ^---!';
        const expected = '     -a-b|';
        m.expect(source.pipe(resilientEither(p))).toBeObservable(expected, { a: right('a'), b: right('b') });
        m.expect(source).toHaveSubscriptions(subs);
      }),
    );

    it(
      'should cancel the source on early unsubscribe and emit nothing more',
      marbles((m) => {
        const p = new ResiliencePipeline({ deadline: 10, scheduler: m.scheduler });
        // prettier-ignore
        const source = m.cold('-a-b|');
        m.expect(source.pipe(resilientEither(p)), '^-!').toBeObservable('-a-', { a: right('a') });
        m.expect(source).toHaveSubscriptions('^-!');
      }),
    );

    it('should stop a synchronous source when downstream take(n) unsubscribes', () => {
      const p = new ResiliencePipeline({ scheduler: new TestScheduler(() => undefined) });
      const emitted: number[] = [];
      const seen: unknown[] = [];
      firehose(1000, emitted)
        .pipe(resilientEither(p), take(2))
        .subscribe((v) => seen.push(v));
      expect(seen).to.deep.equal([right(0), right(1)]);
      expect(emitted).to.deep.equal([0, 1]);
    });

    it('should throw InvalidConfigError with the exact message for a fallback or a bad key', () => {
      const error = captureThrow(() =>
        resilientEither(new ResiliencePipeline(), { fallback: () => of(1), key: null } as never),
      );
      expect(error).to.be.instanceOf(InvalidConfigError);
      expect((error as Error).message).to.equal(
        'resilientEither: invalid config: `key` must be a string, got null; ' +
          'unknown option `fallback`: expected one of the known options (`key`, `meta`), got [Function fallback] (function)',
      );
    });
  });

  describe('§2.7 Either: a failed call never ends a stream of requests', () => {
    it(
      'should emit one left(CallFailure) and complete instead of erroring',
      marbles((m) => {
        const p = new ResiliencePipeline({
          retry: { maxRetries: 1, initialDelay: 1, jitter: 'none' },
          scheduler: m.scheduler,
        });
        // prettier-ignore
        const source = m.cold('a#', undefined, new Error('down'));
        const expected = '     a-a(l|)';
        m.expect(
          source.pipe(
            resilientEither(p),
            mergeMap((e) => of(plain(e))),
          ),
        ).toBeObservable(expected, {
          a: { right: 'a' },
          l: { left: { error: 'down', attempts: 2, elapsed: 3 } },
        });
      }),
    );

    it(
      'should turn refusals and the deadline into a left too',
      marbles((m) => {
        const breaker = new CircuitBreaker({ scheduler: m.scheduler });
        breaker.isolate();
        const refused = new ResiliencePipeline({ breaker, scheduler: m.scheduler });
        const slow = new ResiliencePipeline({ deadline: 2, scheduler: m.scheduler });
        const kinds = (e: Either<CallFailure, string>) =>
          isLeft(e)
            ? isCircuitOpenError(e.left.error)
              ? 'open'
              : isTimeoutExceededError(e.left.error)
                ? 'late'
                : '?'
            : 'ok';
        m.expect(
          m.cold('-a|').pipe(
            resilientEither(refused),
            mergeMap((e) => of(kinds(e))),
          ),
        ).toBeObservable('(o|)', { o: 'open' });
        m.expect(
          m.cold('---a|').pipe(
            resilientEither(slow),
            mergeMap((e) => of(kinds(e))),
          ),
        ).toBeObservable('--(l|)', { l: 'late' });
      }),
    );

    it(
      'should keep a stream of requests going through failures, one result per request',
      marbles((m) => {
        const p = new ResiliencePipeline({
          bulkhead: new Bulkhead({ maxConcurrent: 1, scheduler: m.scheduler }),
          scheduler: m.scheduler,
        });
        const call = (id: string): Observable<string> =>
          id === 'x' ? throwError(() => new Error(`no ${id}`)) : of(id.toUpperCase());
        // prettier-ignore
        const requests = m.hot('-a-x-b|');
        const expected = '      -a-x-b|';
        m.expect(
          requests.pipe(
            mergeMap((id) => call(id).pipe(resilientEither(p))),
            mergeMap((e) => of(plain(e))),
          ),
        ).toBeObservable(expected, {
          a: { right: 'A' },
          x: { left: { error: 'no x', attempts: 1, elapsed: 0 } },
          b: { right: 'B' },
        });
      }),
    );

    it(
      "should carry the failure's error as it was, typed payload included",
      marbles((m) => {
        const breaker = new CircuitBreaker({ name: 'users', scheduler: m.scheduler });
        breaker.isolate();
        const p = new ResiliencePipeline({ breaker, scheduler: m.scheduler });
        const failures: CallFailure[] = [];
        m.cold('-a|')
          .pipe(resilientEither(p))
          .subscribe((e) => isLeft(e) && failures.push(e.left));
        m.flush();
        expect(failures).to.have.length(1);
        expect(failures[0]!.attempts).to.equal(0);
        expect((failures[0]!.error as { info: unknown }).info).to.deep.equal({
          breaker: 'users',
          state: 'isolated',
          retryAfter: Infinity,
        });
      }),
    );
  });
});
