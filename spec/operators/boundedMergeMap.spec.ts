import { expect } from 'chai';
import { Observable, Subject, map, mergeMap, of, take, timer, type ObservableInput } from 'rxjs';
import { BufferOverflowError, isBufferOverflowError } from '../../src/errors/BufferOverflowError';
import { InvalidConfigError } from '../../src/errors/InvalidConfigError';
import { boundedMergeMap } from '../../src/operators/boundedMergeMap';
import { captureError, captureThrow } from '../helpers/captureError';
import { marbles } from '../helpers/marbles';
import { firehose } from '../helpers/firehose';

describe('boundedMergeMap', () => {
  describe('scheduling', () => {
    it(
      'should pass values and completion through when inners are synchronous',
      marbles((m) => {
        // prettier-ignore
        const source = m.hot('-a-b-c|');
        const expected = '    -a-b-c|';
        m.expect(source.pipe(boundedMergeMap((v) => of(v), { capacity: 0 }))).toBeObservable(expected);
      }),
    );

    it(
      'should queue values while the inner runs, start the oldest when it completes, and complete after the buffer drains',
      marbles((m) => {
        // prettier-ignore
        const source = m.hot('  -abc|');
        const sourceSubs = '    ^---!';
        const inner = m.cold('     ---x|');
        const innerSubs = [
          '                     -^---!',
          '                     -----^---!',
          '                     ---------^---!',
        ];
        const expected = '    ----a---b---c|';
        const result = source.pipe(boundedMergeMap((v) => inner.pipe(map(() => v)), { capacity: 2 }));
        m.expect(result).toBeObservable(expected);
        m.expect(source).toHaveSubscriptions(sourceSubs);
        m.expect(inner).toHaveSubscriptions(innerSubs);
      }),
    );

    it(
      'should not complete while values still wait behind a run of synchronous inners',
      marbles((m) => {
        // prettier-ignore
        const source = m.hot('  -(abc|)');
        const slow = m.cold('    --x|');
        const expected = '    ---a(bc|)';
        const result = source.pipe(
          boundedMergeMap((v) => (v === 'a' ? slow.pipe(map(() => v)) : of(v)), { capacity: 2 }),
        );
        m.expect(result).toBeObservable(expected);
      }),
    );

    it(
      'should run up to `concurrency` inners and start waiting values in FIFO order as slots free',
      marbles((m) => {
        // prettier-ignore
        const source = m.hot('  -abcd|');
        const inner = m.cold('     ---x|');
        const innerSubs = [
          '                     -^---!',
          '                     --^---!',
          '                     -----^---!',
          '                     ------^---!',
        ];
        const expected = '    ----ab--cd|';
        const result = source.pipe(
          boundedMergeMap((v) => inner.pipe(map(() => v)), { capacity: 2, concurrency: 2 }),
        );
        m.expect(result).toBeObservable(expected);
        m.expect(inner).toHaveSubscriptions(innerSubs);
      }),
    );

    it(
      'should never wait with `concurrency: Infinity`, whatever the capacity',
      marbles((m) => {
        // prettier-ignore
        const source = m.hot('  -abc|');
        const inner = m.cold('     ---x|');
        const expected = '    ----abc|';
        const result = source.pipe(
          boundedMergeMap((v) => inner.pipe(map(() => v)), { capacity: 0, concurrency: Infinity }),
        );
        m.expect(result).toBeObservable(expected);
      }),
    );

    it(
      'should complete at once on an empty source, and after the last inner otherwise',
      marbles((m) => {
        // prettier-ignore
        const empty = m.cold('|');
        const source = m.cold(' -a|');
        const inner = m.cold('   --x|');
        const expected = '     ---a|';
        m.expect(empty.pipe(boundedMergeMap(() => inner, { capacity: 1 }))).toBeObservable('|');
        m.expect(
          source.pipe(boundedMergeMap((v) => inner.pipe(map(() => v)), { capacity: 1 })),
        ).toBeObservable(expected);
      }),
    );

    it(
      'should flatten any ObservableInput and pass every value of an inner',
      marbles((m) => {
        // prettier-ignore
        const source = m.hot('-a---(b|)');
        const expected = '    -(aa)(bb|)';
        m.expect(source.pipe(boundedMergeMap((v) => [v, v], { capacity: 0 }))).toBeObservable(expected);
      }),
    );

    it(
      'should give `project` the index of every source value, dropped ones included',
      marbles((m) => {
        // prettier-ignore
        const source = m.hot('  -abcd-----|');
        const inner = m.cold('     ---x|');
        const expected = '    ----0---3-|';
        const result = source.pipe(
          boundedMergeMap((_, i) => inner.pipe(map(() => String(i))), {
            capacity: 1,
            overflow: 'dropOldest',
          }),
        );
        m.expect(result).toBeObservable(expected);
      }),
    );

    it(
      'should match the marble diagram of its doc comment',
      marbles((m) => {
        // prettier-ignore
        const source = m.hot('  -a-b-c-d-e-|');
        const inner = m.cold('     ----x|');
        const expected = '    -----a----c----e|';
        const result = source.pipe(
          boundedMergeMap((v) => inner.pipe(map(() => v)), { capacity: 1, overflow: 'dropOldest' }),
        );
        m.expect(result).toBeObservable(expected);
      }),
    );
  });

  describe('overflow', () => {
    it(
      "should error with BufferOverflowError at once with 'error' (the default), unsubscribing source and inners",
      marbles((m) => {
        const dropped: string[] = [];
        // prettier-ignore
        const source = m.hot('  -abc-');
        const sourceSubs = '    ^--!';
        const inner = m.cold('     ---x|');
        const innerSubs = '     -^-!';
        const expected = '    ---#';
        const result = source.pipe(
          boundedMergeMap((v) => inner.pipe(map(() => v)), {
            capacity: 1,
            onOverflow: (v) => dropped.push(v),
          }),
        );
        m.expect(result).toBeObservable(expected, {}, new BufferOverflowError({ capacity: 1 }));
        m.expect(source).toHaveSubscriptions(sourceSubs);
        m.expect(inner).toHaveSubscriptions(innerSubs);
        m.flush();
        expect(dropped, 'onOverflow is never called for overflow: error').to.deep.equal([]);
      }),
    );

    it('should emit a typed BufferOverflowError with the capacity', () => {
      const error = captureError((scheduler) =>
        scheduler.createHotObservable('-abcd').pipe(
          boundedMergeMap(() => scheduler.createColdObservable('-----|'), {
            capacity: 2,
            overflow: 'error',
          }),
        ),
      );
      expect(isBufferOverflowError(error)).to.equal(true);
      expect((error as BufferOverflowError).info).to.deep.equal({ capacity: 2 });
      expect((error as Error).message).to.equal('Buffer overflow: more than 2 values waiting');
    });

    it(
      "should drop the arriving value with 'dropIncoming' and hand each dropped value to onOverflow once",
      marbles((m) => {
        const dropped: string[] = [];
        const indexes: number[] = [];
        // prettier-ignore
        const source = m.hot('  -abcd-----|');
        const inner = m.cold('     ---x|');
        const innerSubs = ['    -^---!', '-----^---!'];
        const expected = '    ----a---b-|';
        const result = source.pipe(
          boundedMergeMap(
            (v, i) => {
              indexes.push(i);
              return inner.pipe(map(() => v));
            },
            { capacity: 1, overflow: 'dropIncoming', onOverflow: (v) => dropped.push(v) },
          ),
        );
        m.expect(result).toBeObservable(expected);
        m.expect(inner).toHaveSubscriptions(innerSubs);
        m.flush();
        expect(dropped).to.deep.equal(['c', 'd']);
        expect(indexes).to.deep.equal([0, 1]);
      }),
    );

    it(
      "should drop the oldest waiting value with 'dropOldest' and keep the arriving one",
      marbles((m) => {
        const dropped: string[] = [];
        const indexes: number[] = [];
        // prettier-ignore
        const source = m.hot('  -abcd-----|');
        const inner = m.cold('     ---x|');
        const innerSubs = ['    -^---!', '-----^---!'];
        const expected = '    ----a---d-|';
        const result = source.pipe(
          boundedMergeMap(
            (v, i) => {
              indexes.push(i);
              return inner.pipe(map(() => v));
            },
            { capacity: 1, overflow: 'dropOldest', onOverflow: (v) => dropped.push(v) },
          ),
        );
        m.expect(result).toBeObservable(expected);
        m.expect(inner).toHaveSubscriptions(innerSubs);
        m.flush();
        expect(dropped).to.deep.equal(['b', 'c']);
        expect(indexes).to.deep.equal([0, 3]);
      }),
    );

    it(
      "should keep the newest `capacity` values with 'dropOldest' under a burst",
      marbles((m) => {
        const dropped: string[] = [];
        // prettier-ignore
        const source = m.hot('  -(abcdef)---|');
        const inner = m.cold('     ---x|');
        const expected = '    ----a---d---e---f|';
        const result = source.pipe(
          boundedMergeMap((v) => inner.pipe(map(() => v)), {
            capacity: 3,
            overflow: 'dropOldest',
            onOverflow: (v) => dropped.push(v),
          }),
        );
        // a runs; b, c, d wait; e drops b, f drops c; then d, e, f run in turn.
        m.expect(result).toBeObservable(expected);
        m.flush();
        expect(dropped).to.deep.equal(['b', 'c']);
      }),
    );

    it(
      "should behave as 'dropIncoming' with `capacity: 0` and 'dropOldest'",
      marbles((m) => {
        const dropped: string[] = [];
        // prettier-ignore
        const source = m.hot('  -ab---|');
        const inner = m.cold('     ---x|');
        const expected = '    ----a-|';
        const result = source.pipe(
          boundedMergeMap((v) => inner.pipe(map(() => v)), {
            capacity: 0,
            overflow: 'dropOldest',
            onOverflow: (v) => dropped.push(v),
          }),
        );
        m.expect(result).toBeObservable(expected);
        m.flush();
        expect(dropped).to.deep.equal(['b']);
      }),
    );

    it(
      "should error on the first value that cannot start with `capacity: 0` and 'error'",
      marbles((m) => {
        // prettier-ignore
        const source = m.hot('  -ab-');
        const inner = m.cold('     ---x|');
        const expected = '    --#';
        const result = source.pipe(boundedMergeMap(() => inner, { capacity: 0 }));
        m.expect(result).toBeObservable(expected, {}, new BufferOverflowError({ capacity: 0 }));
      }),
    );
  });

  describe('errors', () => {
    it(
      'should pass an inner error through, unsubscribing the source and never starting waiting values',
      marbles((m) => {
        // prettier-ignore
        const source = m.hot('  -ab--');
        const sourceSubs = '    ^--!';
        const failing = m.cold('  --#');
        const inner = m.cold('      ---x|');
        const expected = '    ---#';
        const result = source.pipe(boundedMergeMap((v) => (v === 'a' ? failing : inner), { capacity: 1 }));
        m.expect(result).toBeObservable(expected);
        m.expect(source).toHaveSubscriptions(sourceSubs);
        m.expect(inner).toHaveSubscriptions([]);
      }),
    );

    it(
      'should pass a source error through at once, unsubscribing running inners',
      marbles((m) => {
        // prettier-ignore
        const source = m.hot('  -a-#');
        const inner = m.cold('     ---x|');
        const innerSubs = '     -^-!';
        const expected = '    ---#';
        m.expect(source.pipe(boundedMergeMap(() => inner, { capacity: 1 }))).toBeObservable(expected);
        m.expect(inner).toHaveSubscriptions(innerSubs);
      }),
    );

    it(
      'should error when `project` throws for a value that starts at once',
      marbles((m) => {
        // prettier-ignore
        const source = m.hot('  -ab-');
        const sourceSubs = '    ^-!';
        const inner = m.cold('     ---x|');
        const innerSubs = '     -^!';
        const expected = '    --#';
        const result = source.pipe(
          boundedMergeMap(
            (v) => {
              if (v === 'b') throw new Error('project');
              return inner;
            },
            { capacity: 0, concurrency: 2 },
          ),
        );
        m.expect(result).toBeObservable(expected, {}, new Error('project'));
        m.expect(source).toHaveSubscriptions(sourceSubs);
        m.expect(inner).toHaveSubscriptions(innerSubs);
      }),
    );

    it(
      'should error when `project` throws for a waiting value started by a completing inner',
      marbles((m) => {
        // prettier-ignore
        const source = m.hot('  -ab----');
        const sourceSubs = '    ^----!';
        const inner = m.cold('     ---x|');
        const expected = '    ----x#';
        const result = source.pipe(
          boundedMergeMap(
            (v) => {
              if (v === 'b') throw new Error('project');
              return inner;
            },
            { capacity: 1 },
          ),
        );
        m.expect(result).toBeObservable(expected, undefined, new Error('project'));
        m.expect(source).toHaveSubscriptions(sourceSubs);
      }),
    );

    it(
      'should error when `onOverflow` throws, unsubscribing source and inners',
      marbles((m) => {
        // prettier-ignore
        const source = m.hot('  -ab-');
        const sourceSubs = '    ^-!';
        const inner = m.cold('     ---x|');
        const innerSubs = '     -^!';
        const expected = '    --#';
        const result = source.pipe(
          boundedMergeMap(() => inner, {
            capacity: 0,
            overflow: 'dropIncoming',
            onOverflow: () => {
              throw new Error('onOverflow');
            },
          }),
        );
        m.expect(result).toBeObservable(expected, {}, new Error('onOverflow'));
        m.expect(source).toHaveSubscriptions(sourceSubs);
        m.expect(inner).toHaveSubscriptions(innerSubs);
      }),
    );
  });

  describe('unsubscription', () => {
    it(
      'should unsubscribe the source and every running inner on early unsubscribe, starting nothing more',
      marbles((m) => {
        // prettier-ignore
        const source = m.hot('  -abc------|');
        const sourceSubs = '    ^-----!';
        const inner = m.cold('     ---x|');
        const innerSubs = ['    -^---!', '-----^!'];
        const unsub = '         ------!';
        const expected = '    ----a-';
        const result = source.pipe(boundedMergeMap((v) => inner.pipe(map(() => v)), { capacity: 2 }));
        m.expect(result, unsub).toBeObservable(expected);
        m.expect(source).toHaveSubscriptions(sourceSubs);
        m.expect(inner).toHaveSubscriptions(innerSubs);
      }),
    );

    it(
      'should not break unsubscription chains',
      marbles((m) => {
        // prettier-ignore
        const source = m.hot('  -abc------|');
        const sourceSubs = '    ^-----!';
        const inner = m.cold('     ---x|');
        const innerSubs = ['    -^---!', '-----^!'];
        const unsub = '         ------!';
        const expected = '    ----a-';
        const result = source.pipe(
          mergeMap((x) => of(x)),
          boundedMergeMap((v) => inner.pipe(map(() => v)), { capacity: 2 }),
          mergeMap((x) => of(x)),
        );
        m.expect(result, unsub).toBeObservable(expected);
        m.expect(source).toHaveSubscriptions(sourceSubs);
        m.expect(inner).toHaveSubscriptions(innerSubs);
      }),
    );

    it('should stop a synchronous source under take(n)', () => {
      const emitted: number[] = [];
      const seen: number[] = [];
      firehose(1000, emitted)
        .pipe(
          boundedMergeMap((x) => of(x), { capacity: 10 }),
          take(3),
        )
        .subscribe((v) => seen.push(v));
      expect(seen).to.deep.equal([0, 1, 2]);
      expect(emitted).to.deep.equal([0, 1, 2]);
    });

    it('should stop a synchronous source under take(n) while values wait', () => {
      const emitted: number[] = [];
      const seen: number[] = [];
      const gate = new Subject<number>();
      firehose(1000, emitted)
        .pipe(
          boundedMergeMap((x) => (x === 0 ? of(0) : gate.pipe(take(1))), { capacity: 1000 }),
          take(1),
        )
        .subscribe((v) => seen.push(v));
      expect(seen).to.deep.equal([0]);
      expect(emitted).to.deep.equal([0]);
      expect(gate.observed).to.equal(false);
    });
  });

  describe('isolation', () => {
    it(
      'should keep a separate buffer per subscription',
      marbles((m) => {
        const dropped: string[] = [];
        const op = boundedMergeMap((v: string) => m.cold('---x|').pipe(map(() => v)), {
          capacity: 1,
          overflow: 'dropIncoming',
          onOverflow: (v) => dropped.push(v),
        });
        // prettier-ignore
        const first = m.hot('  -ab-----|');
        const second = m.hot(' -cd-----|');
        const expected1 = '    ----a---b|';
        const expected2 = '    ----c---d|';
        m.expect(first.pipe(op)).toBeObservable(expected1);
        m.expect(second.pipe(op)).toBeObservable(expected2);
        m.flush();
        expect(dropped).to.deep.equal([]);
      }),
    );

    it(
      'should keep no clock of its own: inners on an explicit scheduler set its timing',
      marbles((m) => {
        // prettier-ignore
        const source = m.hot('  -ab|');
        const expected = '    ----a--(b|)';
        const result = source.pipe(
          boundedMergeMap((v) => timer(3, m.scheduler).pipe(map(() => v)), { capacity: 1 }),
        );
        m.expect(result).toBeObservable(expected);
      }),
    );

    it('should keep FIFO order when a value arrives re-entrantly while the queue drains', () => {
      const source = new Subject<string>();
      const gate = new Subject<never>();
      const started: string[] = [];
      source
        .pipe(
          boundedMergeMap(
            (v: string) => {
              started.push(v);
              if (v === 'a') return gate;
              if (v === 'b') {
                // Completes synchronously (freeing its slot), then feeds the source while c still waits.
                return new Observable<never>((subscriber) => {
                  subscriber.complete();
                  source.next('x');
                });
              }
              return of(v);
            },
            { capacity: 5 },
          ),
        )
        .subscribe();
      source.next('a');
      source.next('b');
      source.next('c');
      gate.complete();
      expect(started).to.deep.equal(['a', 'b', 'c', 'x']);
    });

    it('should drain a long run of synchronous inners without growing the stack', () => {
      const source = new Subject<number>();
      const gate = new Subject<void>();
      let delivered = 0;
      let completed = false;
      source
        .pipe(
          boundedMergeMap((x): ObservableInput<number> => (x === -1 ? gate.pipe(map(() => x)) : of(x)), {
            capacity: 200_000,
          }),
        )
        .subscribe({ next: () => delivered++, complete: () => (completed = true) });
      source.next(-1);
      for (let i = 0; i < 200_000; i++) source.next(i);
      source.complete();
      expect(delivered).to.equal(0);
      gate.complete(); // the running inner completes: 200 000 synchronous inners start in one drain
      expect(delivered).to.equal(200_000);
      expect(completed).to.equal(true);
    });
  });

  describe('config', () => {
    const project = (v: unknown) => of(v);
    const cases: Array<[string, unknown, unknown, string]> = [
      ['a missing capacity', project, {}, '`capacity` must be a non-negative integer, got undefined'],
      [
        'a negative capacity',
        project,
        { capacity: -1 },
        '`capacity` must be a non-negative integer, got -1 (number)',
      ],
      [
        'an infinite capacity',
        project,
        { capacity: Infinity },
        '`capacity` must be a non-negative integer, got Infinity (number)',
      ],
      [
        'a zero concurrency',
        project,
        { capacity: 1, concurrency: 0 },
        '`concurrency` must be a positive integer or Infinity, got 0 (number)',
      ],
      [
        'an unknown overflow policy',
        project,
        { capacity: 1, overflow: 'dropNewest' },
        "`overflow` must be 'error' | 'dropIncoming' | 'dropOldest', got \"dropNewest\" (string)",
      ],
      [
        'an onOverflow that is not a function',
        project,
        { capacity: 1, onOverflow: 'log' },
        '`onOverflow` must be a function, got "log" (string)',
      ],
      [
        'an unknown option (it takes no scheduler: it keeps no time)',
        project,
        { capacity: 1, scheduler: {} },
        'unknown option `scheduler`: expected one of the known options (`capacity`, `concurrency`, `overflow`, `onOverflow`), got {} (object)',
      ],
      ['a missing config', project, undefined, 'config must be an object, got undefined'],
      [
        'a project that is not a function, with a bad field',
        'map',
        { capacity: -1 },
        '`project` must be a function, got "map" (string); `capacity` must be a non-negative integer, got -1 (number)',
      ],
    ];
    for (const [name, p, config, message] of cases) {
      it(`should throw InvalidConfigError for ${name}`, () => {
        const error = captureThrow(() =>
          boundedMergeMap(p as typeof project, config as { capacity: number }),
        );
        expect(error).to.be.instanceOf(InvalidConfigError);
        expect((error as Error).message).to.equal(`boundedMergeMap: invalid config: ${message}`);
      });
    }
  });
});
