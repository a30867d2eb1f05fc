import { expect } from 'chai';
import { Observable, Subject, map, mergeMap, of, take, takeUntil } from 'rxjs';
import { createOperatorSubscriber, operate } from '../../src/internal/operate';
import { marbles } from '../helpers/marbles';
import { firehose } from '../helpers/firehose';

/** A pass-through operator built on the helper, with hooks for the tests. */
function passThrough<T>(
  onNext: (value: T) => void = () => undefined,
  onFinalize: () => void = () => undefined,
) {
  return operate<T, T>((source, destination) => {
    source.subscribe(
      createOperatorSubscriber<T>(destination, {
        next: (value) => {
          onNext(value);
          destination.next(value);
        },
        finalize: onFinalize,
      }),
    );
  });
}

describe('operate', () => {
  it(
    'should pass values, completion and errors through',
    marbles((m) => {
      const source = m.cold('-a-b-#');
      const expected = '-a-b-#';
      m.expect(source.pipe(passThrough())).toBeObservable(expected);
      m.expect(source).toHaveSubscriptions('^----!');
    }),
  );

  it(
    'should route a throw from a handler to the error channel and unsubscribe the source',
    marbles((m) => {
      const source = m.cold('-a-b-c|');
      const subs = '          ^--!';
      const expected = '     -a-#';
      const result = source.pipe(
        passThrough((v) => {
          if (v === 'b') throw new Error('boom');
        }),
      );
      m.expect(result).toBeObservable(expected, { a: 'a' }, new Error('boom'));
      m.expect(source).toHaveSubscriptions(subs);
    }),
  );

  it('should route a throw from the init function to the error channel', () => {
    const errors: unknown[] = [];
    const op = operate<number, number>(() => {
      throw new Error('init');
    });
    of(1)
      .pipe(op)
      .subscribe({ error: (e: unknown) => errors.push(e) });
    expect(errors).to.have.length(1);
    expect((errors[0] as Error).message).to.equal('init');
  });

  it('should stop a synchronous source when downstream take(n) unsubscribes', () => {
    const emitted: number[] = [];
    const seen: number[] = [];
    firehose(1000, emitted)
      .pipe(passThrough(), take(3))
      .subscribe((v) => seen.push(v));
    expect(seen).to.deep.equal([0, 1, 2]);
    expect(emitted).to.deep.equal([0, 1, 2]);
  });

  it('should not break unsubscription chains', () => {
    const emitted: number[] = [];
    const seen: number[] = [];
    firehose(1000, emitted)
      .pipe(
        mergeMap((x) => of(x)),
        passThrough(),
        mergeMap((x) => of(x)),
        take(2),
      )
      .subscribe((v) => seen.push(v));
    expect(seen).to.deep.equal([0, 1]);
    expect(emitted).to.deep.equal([0, 1]);
  });

  it('should run finalize exactly once on complete, error and unsubscribe', () => {
    for (const source of [
      of(1),
      new Observable<number>((s) => s.error(new Error('x'))),
      new Observable<number>(),
    ]) {
      let finalized = 0;
      const subscription = source
        .pipe(passThrough(undefined, () => finalized++))
        .subscribe({ error: () => undefined });
      subscription.unsubscribe();
      subscription.unsubscribe();
      expect(finalized).to.equal(1);
    }
  });

  it('should come back closed, its finalize run once, when created on a closed destination', () => {
    const log: string[] = [];
    const cancel = new Subject<void>();
    let subscribed = 0;
    const source = new Observable<number>(() => {
      subscribed++;
    });
    const op = operate<number, number>((src, destination) => {
      cancel.next(); // the caller leaves while the operator sets up (an events$ observer, say)
      log.push(`destination closed: ${destination.closed}`);
      const subscriber = createOperatorSubscriber<number>(destination, {
        finalize: () => log.push('finalize'),
      });
      log.push(`subscriber closed: ${subscriber.closed}`);
      if (!subscriber.closed) src.subscribe(subscriber);
      subscriber.unsubscribe();
    });
    source.pipe(op, takeUntil(cancel)).subscribe({ error: (e: unknown) => log.push(`error ${e}`) });
    expect(log).to.deep.equal(['destination closed: true', 'finalize', 'subscriber closed: true']);
    expect(subscribed).to.equal(0);
  });

  it('should forward to the destination for handlers left out', () => {
    const seen: unknown[] = [];
    const op = operate<number, number>((source, destination) => {
      source.subscribe(createOperatorSubscriber(destination));
    });
    of(1, 2)
      .pipe(
        op,
        map((x) => x * 2),
      )
      .subscribe({ next: (v) => seen.push(v), complete: () => seen.push('done') });
    expect(seen).to.deep.equal([2, 4, 'done']);
  });
});
