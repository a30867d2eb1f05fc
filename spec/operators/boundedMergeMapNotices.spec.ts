import { expect } from 'chai';
import { EMPTY, Observable, Subject, filter, map, mergeMap, of, take, timer } from 'rxjs';
import { BufferOverflowError } from '../../src/errors/BufferOverflowError';
import { InvalidConfigError } from '../../src/errors/InvalidConfigError';
import {
  isNotice,
  isTerminalNotice,
  type BoundedMergeMapNotice,
  type DroppedNotice,
  type FailedNotice,
  type FinishedNotice,
} from '../../src/operators/BoundedMergeMapNotice';
import { boundedMergeMapNotices } from '../../src/operators/boundedMergeMapNotices';
import { captureThrow } from '../helpers/captureError';
import { marbles, type Context } from '../helpers/marbles';

/** One notice as a short line: `accepted a#0 @1`, `result b#1 B`, `failed a#0 boom`, ... */
function describeNotice(n: BoundedMergeMapNotice<unknown, unknown>): string {
  const head = `${n.kind} ${String(n.value)}#${n.index}`;
  switch (n.kind) {
    case 'accepted':
      return `${head} @${n.position}`;
    case 'started':
      return head;
    case 'result':
      return `${head} ${String(n.result)}`;
    case 'finished':
      return `${head} ${String(n.result)} x${n.count}`;
    case 'failed':
      return `${head} ${(n.error as Error).message}`;
    case 'dropped':
      return `${head} ${n.reason}`;
  }
}

/** Subscribes and logs `[frame, line]` for every notice, the error and the completion. */
function record(
  m: Context,
  notices$: Observable<BoundedMergeMapNotice<unknown, unknown>>,
): Array<[number, string]> {
  const log: Array<[number, string]> = [];
  const now = (): number => m.scheduler.now();
  notices$.subscribe({
    next: (n) => log.push([now(), describeNotice(n)]),
    error: (e: unknown) => log.push([now(), `error ${(e as Error).name}: ${(e as Error).message}`]),
    complete: () => log.push([now(), 'complete']),
  });
  return log;
}

/** Each value's inner: emits its upper-case form after 2 frames and completes; `a` fails instead. */
function upperAfter2(m: Context, failing = ''): (v: string) => Observable<string> {
  return (v) =>
    v === failing ? m.cold('--#', {}, new Error('boom')) : m.cold('--(r|)', { r: v.toUpperCase() });
}

describe('boundedMergeMapNotices', () => {
  describe('notices', () => {
    it(
      'should tell each value its story, report a failed inner and go on',
      marbles((m) => {
        const dropped: string[] = [];
        // prettier-ignore
        const source = m.hot('-a(bc)-----d|');
        const log = record(
          m,
          source.pipe(
            boundedMergeMapNotices(upperAfter2(m, 'a'), {
              capacity: 1,
              overflow: 'dropIncoming',
              onOverflow: (v) => dropped.push(v),
            }),
          ),
        );
        m.flush();
        expect(log).to.deep.equal([
          [1, 'accepted a#0 @0'],
          [1, 'started a#0'],
          [2, 'accepted b#1 @1'],
          [2, 'dropped c#2 dropIncoming'],
          [3, 'failed a#0 boom'],
          [3, 'started b#1'],
          [5, 'result b#1 B'],
          [5, 'finished b#1 B x1'],
          [11, 'accepted d#3 @0'],
          [11, 'started d#3'],
          [13, 'result d#3 D'],
          [13, 'finished d#3 D x1'],
          [13, 'complete'],
        ]);
        expect(dropped).to.deep.equal(['c']);
      }),
    );

    it(
      "should report the evicted value with 'dropOldest' before accepting the arriving one",
      marbles((m) => {
        const dropped: string[] = [];
        // prettier-ignore
        const source = m.hot('-a(bc)----|');
        const log = record(
          m,
          source.pipe(
            boundedMergeMapNotices(upperAfter2(m), {
              capacity: 1,
              overflow: 'dropOldest',
              onOverflow: (v) => dropped.push(v),
            }),
          ),
        );
        m.flush();
        expect(log).to.deep.equal([
          [1, 'accepted a#0 @0'],
          [1, 'started a#0'],
          [2, 'accepted b#1 @1'],
          [2, 'dropped b#1 dropOldest'],
          [2, 'accepted c#2 @1'],
          [3, 'result a#0 A'],
          [3, 'finished a#0 A x1'],
          [3, 'started c#2'],
          [5, 'result c#2 C'],
          [5, 'finished c#2 C x1'],
          [10, 'complete'],
        ]);
        expect(dropped).to.deep.equal(['b']);
      }),
    );

    it(
      'should give each waiting value its place in the queue, then error on overflow with the default policy',
      marbles((m) => {
        // prettier-ignore
        const source = m.hot('-(abcdef)');
        const log = record(
          m,
          source.pipe(boundedMergeMapNotices(upperAfter2(m), { capacity: 3, concurrency: 2 })),
        );
        m.flush();
        expect(log).to.deep.equal([
          [1, 'accepted a#0 @0'],
          [1, 'started a#0'],
          [1, 'accepted b#1 @0'],
          [1, 'started b#1'],
          [1, 'accepted c#2 @1'],
          [1, 'accepted d#3 @2'],
          [1, 'accepted e#4 @3'],
          [1, 'error BufferOverflowError: Buffer overflow: more than 3 values waiting'],
        ]);
      }),
    );

    it(
      'should emit one result notice per inner value and finish with the last result and the count',
      marbles((m) => {
        // prettier-ignore
        const source = m.hot('-ab|');
        const inners: Record<string, Observable<string>> = { a: m.cold('x-y|'), b: EMPTY };
        const log = record(
          m,
          source.pipe(boundedMergeMapNotices((v: string) => inners[v]!, { capacity: 1 })),
        );
        m.flush();
        expect(log).to.deep.equal([
          [1, 'accepted a#0 @0'],
          [1, 'started a#0'],
          [1, 'result a#0 x'],
          [2, 'accepted b#1 @1'],
          [3, 'result a#0 y'],
          [4, 'finished a#0 y x2'],
          [4, 'started b#1'],
          [4, 'finished b#1 undefined x0'],
          [4, 'complete'],
        ]);
      }),
    );

    it(
      'should pick notices with filter(isNotice(...)), narrowing their type',
      marbles((m) => {
        // prettier-ignore
        const source = m.hot('  -abc---|');
        const expected = '    --bc---|';
        const notices$ = source.pipe(
          boundedMergeMapNotices((v: string) => m.cold('---(r|)', { r: v.length }), {
            capacity: 0,
            overflow: 'dropIncoming',
          }),
        );
        const dropped$: Observable<DroppedNotice<string>> = notices$.pipe(filter(isNotice('dropped')));
        const ends$: Observable<
          FinishedNotice<string, number> | FailedNotice<string> | DroppedNotice<string>
        > = notices$.pipe(filter(isNotice('finished', 'failed', 'dropped')));
        // @ts-expect-error: a filter for 'finished' does not give dropped notices
        const wrong$: Observable<DroppedNotice<string>> = notices$.pipe(filter(isNotice('finished')));
        void wrong$;
        m.expect(dropped$).toBeObservable(expected, {
          b: { kind: 'dropped', value: 'b', index: 1, reason: 'dropIncoming' },
          c: { kind: 'dropped', value: 'c', index: 2, reason: 'dropIncoming' },
        });
        m.expect(ends$.pipe(map((n) => `${n.kind}:${n.value}`))).toBeObservable('--bca--|', {
          a: 'finished:a',
          b: 'dropped:b',
          c: 'dropped:c',
        });
      }),
    );

    it('should tell terminal notices apart', () => {
      const kinds = ['accepted', 'started', 'result', 'finished', 'failed', 'dropped'] as const;
      const terminal = kinds.filter((kind) =>
        isTerminalNotice({ kind, value: 0, index: 0 } as BoundedMergeMapNotice<number, number>),
      );
      expect(terminal).to.deep.equal(['finished', 'failed', 'dropped']);
    });
  });

  describe('battery', () => {
    it(
      'should pass completion through after the last notice, and complete at once on an empty source',
      marbles((m) => {
        const op = boundedMergeMapNotices((v: string) => of(v), { capacity: 0 });
        m.expect(m.cold('|').pipe(op)).toBeObservable('|');
        // prettier-ignore
        const source = m.cold('-a-----|');
        const expected = '     -(asrf)|';
        m.expect(
          source.pipe(
            op,
            map((n) => n.kind[0]),
          ),
        ).toBeObservable(expected, {
          a: 'a',
          s: 's',
          r: 'r',
          f: 'f',
        });
      }),
    );

    it(
      'should pass a source error through, unsubscribing running inners',
      marbles((m) => {
        // prettier-ignore
        const source = m.hot('  -a-#');
        const inner = m.cold('     ---x|');
        const innerSubs = '     -^-!';
        const result = source.pipe(
          boundedMergeMapNotices(() => inner, { capacity: 1 }),
          filter(isNotice('result')),
        );
        m.expect(result).toBeObservable('---#');
        m.expect(inner).toHaveSubscriptions(innerSubs);
      }),
    );

    it(
      'should error, not report, when `project` throws (wrap it in defer to have it reported)',
      marbles((m) => {
        // prettier-ignore
        const source = m.hot('  -ab-');
        const sourceSubs = '    ^-!';
        const result = source.pipe(
          boundedMergeMapNotices(
            (v: string) => {
              if (v === 'b') throw new Error('project');
              return m.cold('---x|');
            },
            { capacity: 1, concurrency: 2 },
          ),
          filter(isNotice('failed')),
        );
        m.expect(result).toBeObservable('--#', {}, new Error('project'));
        m.expect(source).toHaveSubscriptions(sourceSubs);
      }),
    );

    it(
      'should error when `onOverflow` throws',
      marbles((m) => {
        // prettier-ignore
        const source = m.hot('  -ab-');
        const result = source.pipe(
          boundedMergeMapNotices(() => m.cold('---x|'), {
            capacity: 0,
            overflow: 'dropOldest',
            onOverflow: () => {
              throw new Error('onOverflow');
            },
          }),
          filter(isNotice('dropped')),
        );
        m.expect(result).toBeObservable('--#', {}, new Error('onOverflow'));
      }),
    );

    it(
      'should unsubscribe the source and running inners on early unsubscribe, through an unbroken chain',
      marbles((m) => {
        // prettier-ignore
        const source = m.hot('  -abc------|');
        const sourceSubs = '    ^-----!';
        const inner = m.cold('     ---x|');
        const innerSubs = ['    -^---!', '-----^!'];
        const unsub = '         ------!';
        const result = source.pipe(
          mergeMap((x) => of(x)),
          boundedMergeMapNotices(() => inner, { capacity: 2 }),
          mergeMap((x) => of(x)),
          filter(isNotice('finished')),
          map((n) => n.value),
        );
        m.expect(result, unsub).toBeObservable('-----a');
        m.expect(source).toHaveSubscriptions(sourceSubs);
        m.expect(inner).toHaveSubscriptions(innerSubs);
      }),
    );

    it('should stop a synchronous source under take(n)', () => {
      const emitted: number[] = [];
      const firehose = new Observable<number>((subscriber) => {
        for (let i = 0; i < 1000 && !subscriber.closed; i++) {
          emitted.push(i);
          subscriber.next(i);
        }
        subscriber.complete();
      });
      const seen: string[] = [];
      firehose
        .pipe(
          boundedMergeMapNotices((x) => of(x), { capacity: 10 }),
          take(6),
        )
        .subscribe((n) => seen.push(`${n.kind}${n.index}`));
      expect(seen).to.deep.equal(['accepted0', 'started0', 'result0', 'finished0', 'accepted1', 'started1']);
      expect(emitted).to.deep.equal([0, 1]);
    });

    it(
      'should start nothing once the result is closed by the notice before it',
      marbles((m) => {
        const projected: string[] = [];
        // prettier-ignore
        const source = m.cold('-a|');
        const inner = m.cold(' --x|');
        const notices = (n: number) =>
          source.pipe(
            boundedMergeMapNotices(
              (v: string) => {
                projected.push(v);
                return inner;
              },
              { capacity: 1 },
            ),
            take(n),
            map(describeNotice),
          );
        // take(1): the accepted notice closes the result, so project never runs.
        m.expect(notices(1)).toBeObservable('-(a|)', { a: 'accepted a#0 @0' });
        // take(2): project has run when started is told, but its inner is never subscribed.
        m.expect(notices(2)).toBeObservable('-(as|)', { a: 'accepted a#0 @0', s: 'started a#0' });
        m.expect(source).toHaveSubscriptions(['^!', '^!']);
        m.expect(inner).toHaveSubscriptions([]);
        m.flush();
        expect(projected).to.deep.equal(['a']);
      }),
    );

    it(
      'should keep a separate buffer per subscription',
      marbles((m) => {
        const op = boundedMergeMapNotices((v: string) => m.cold('---x|').pipe(map(() => v)), {
          capacity: 1,
          overflow: 'dropIncoming',
        });
        // prettier-ignore
        const first = m.hot('  -ab-----|');
        const second = m.hot(' -cd-----|');
        const ends = map((n: BoundedMergeMapNotice<string, string>) => `${n.kind}:${n.value}`);
        m.expect(first.pipe(op, filter(isTerminalNotice), ends)).toBeObservable('-----a---(b|)', {
          a: 'finished:a',
          b: 'finished:b',
        });
        m.expect(second.pipe(op, filter(isTerminalNotice), ends)).toBeObservable('-----c---(d|)', {
          c: 'finished:c',
          d: 'finished:d',
        });
      }),
    );

    it(
      'should keep no clock of its own: inners on an explicit scheduler set its timing',
      marbles((m) => {
        // prettier-ignore
        const source = m.hot('  -ab|');
        const result = source.pipe(
          boundedMergeMapNotices((v: string) => timer(3, m.scheduler).pipe(map(() => v)), { capacity: 1 }),
          filter(isNotice('finished')),
          map((n) => n.value),
        );
        m.expect(result).toBeObservable('----a--(b|)');
      }),
    );

    it('should drain a long run of synchronous inners without growing the stack, reporting each', () => {
      const source = new Subject<number>();
      const gate = new Subject<never>();
      let finished = 0;
      source
        .pipe(
          boundedMergeMapNotices((x: number) => (x === -1 ? gate : of(x)), { capacity: 100_000 }),
          filter(isNotice('finished')),
        )
        .subscribe(() => finished++);
      source.next(-1);
      for (let i = 0; i < 100_000; i++) source.next(i);
      gate.complete();
      expect(finished).to.equal(100_001);
    });

    it('should throw InvalidConfigError naming itself and every bad field', () => {
      const error = captureThrow(() =>
        boundedMergeMapNotices((v) => of(v), { capacity: 1.5, overflow: 'drop' } as never),
      );
      expect(error).to.be.instanceOf(InvalidConfigError);
      expect((error as Error).message).to.equal(
        'boundedMergeMapNotices: invalid config: `capacity` must be a non-negative integer, got 1.5 (number); ' +
          "`overflow` must be 'error' | 'dropIncoming' | 'dropOldest', got \"drop\" (string)",
      );
    });

    it('should use the BufferOverflowError of boundedMergeMap', () => {
      const errors: unknown[] = [];
      of(1, 2)
        .pipe(boundedMergeMapNotices(() => new Observable<never>(), { capacity: 0 }))
        .subscribe({ error: (e: unknown) => errors.push(e) });
      expect(errors).to.have.length(1);
      expect(errors[0]).to.be.instanceOf(BufferOverflowError);
      expect((errors[0] as BufferOverflowError).info).to.deep.equal({ capacity: 0 });
    });
  });
});
