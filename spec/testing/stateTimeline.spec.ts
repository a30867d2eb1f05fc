import { expect } from 'chai';
import {
  BehaviorSubject,
  Subject,
  VirtualTimeScheduler,
  asyncScheduler,
  concat,
  map,
  mergeMap,
  of,
  throwError,
  timer,
  type Observable,
} from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { CircuitBreaker } from '../../src/breaker/CircuitBreaker';
import { Bulkhead } from '../../src/bulkhead/Bulkhead';
import { bulkhead } from '../../src/operators/bulkhead';
import { circuitBreaker } from '../../src/operators/circuitBreaker';
import { bulkheadStates, type BulkheadLike } from '../../src/testing/bulkheadStates';
import { fakeDependency } from '../../src/testing/fakeDependency';
import { stateTimeline, type StateTimeline } from '../../src/testing/stateTimeline';
import { InvalidConfigError } from '../../src/errors/InvalidConfigError';
import { captureThrow } from '../helpers/captureError';

/** Runs `body` in a fresh `TestScheduler.run` and returns what it returned, after the flush. */
function run<R>(body: (helpers: Parameters<Parameters<TestScheduler['run']>[0]>[0]) => R): R {
  return new TestScheduler(() => undefined).run(body);
}

/** `marbles` as a state observable: each letter a state, on the virtual clock. */
function states(
  helpers: { cold: TestScheduler['createColdObservable'] },
  marble: string,
): Observable<string> {
  return helpers.cold(marble);
}

describe('stateTimeline', () => {
  it("should draw a breaker's life: closed, open, halfOpen, closed", () => {
    const timeline = run((helpers) => {
      const breaker = new CircuitBreaker({
        window: { type: 'count', size: 2 },
        minimumCalls: 2,
        failureRateThreshold: 1,
        openDuration: 5,
      });
      const timeline = stateTimeline(breaker.state$, { frames: 20 });
      const api = fakeDependency(helpers, ['-#', '-#', '-a|']);
      const call = () => api.call$.pipe(circuitBreaker(breaker));
      // prettier-ignore
      const callsAt = [0, 2, 4, 10];
      for (const at of callsAt)
        helpers.cold(`${'-'.repeat(at)}x|`).subscribe(() => call().subscribe({ error: () => undefined }));
      return timeline;
    });
    expect(timeline.marble).to.equal('c--o----h---c');
    timeline.toBe('c--o----h---c');
    expect(timeline.entries.map((e) => e.state)).to.deep.equal(['closed', 'open', 'halfOpen', 'closed']);
  });

  it('should throw a readable diff when the timeline differs', () => {
    const timeline = run((helpers) => stateTimeline(states(helpers, 'c--o----h')));
    const error = captureThrow(() => timeline.toBe('c--o-----h')) as Error;
    expect(error).to.be.instanceOf(Error);
    expect(error.message).to.equal(
      [
        'stateTimeline: the recorded timeline differs from the expected one',
        '  expected: c--o-----h',
        '  actual:   c--o----h',
        '  first difference: expected h at frame 9, got h at frame 8',
        '  expected events: c@0 o@3 h@9',
        '  actual events:   c@0 o@3 h@8',
      ].join('\n'),
    );
  });

  it('should report a missing and an extra change', () => {
    const timeline = run((helpers) => stateTimeline(states(helpers, 'c--o')));
    expect((captureThrow(() => timeline.toBe('c--o--h')) as Error).message).to.contain(
      'first difference: expected h at frame 6, got nothing',
    );
    expect((captureThrow(() => timeline.toBe('c')) as Error).message).to.contain(
      'first difference: expected nothing, got o at frame 3',
    );
    expect((captureThrow(() => timeline.toBe('c--x')) as Error).message).to.contain(
      'first difference: expected x at frame 3, got o at frame 3',
    );
  });

  it('should group simultaneous changes and read expected marbles as run mode does', () => {
    const timeline = run(() =>
      stateTimeline(concat(of('closed', 'open'), timer(9).pipe(map(() => 'halfOpen')))),
    );
    expect(timeline.marble).to.equal('(co)-----(h|)');
    timeline.toBe('(co) 5ms (h|)');
    timeline.toBe('  (co)-----(h|)  ');
  });

  it('should record completion and error', () => {
    const completed = run((helpers) => stateTimeline(states(helpers, 'c-o|')));
    expect(completed.marble).to.equal('c-o|');
    completed.toBe('c-o|');
    const errored = run(() =>
      stateTimeline(
        concat(
          of('closed'),
          throwError(() => new Error('x')),
        ),
      ),
    );
    expect(errored.marble).to.equal('(c#)');
    expect(errored.entries.map((e) => e.state)).to.deep.equal(['closed', '#']);
  });

  it('should take letters from a map or a function, and digits as they are', () => {
    const mapped = run((helpers) => stateTimeline(states(helpers, 'a-b'), { letters: { a: 'X', b: 'Y' } }));
    expect(mapped.marble).to.equal('X-Y');
    const fn = run((helpers) => stateTimeline(states(helpers, 'a-b'), { letters: (s) => s.toUpperCase() }));
    expect(fn.marble).to.equal('A-B');
    const counts = run(() =>
      stateTimeline(concat(of(0), timer(2).pipe(map(() => 1)), timer(1).pipe(map(() => 2)))),
    );
    expect(counts.marble).to.equal('0-1(2|)');
  });

  it('should stop at `frames`, leaving later changes out', () => {
    const timeline = run((helpers) => stateTimeline(states(helpers, 'c--o--h--c'), { frames: 6 }));
    expect(timeline.marble).to.equal('c--o');
    const stopped = run((helpers) => {
      const t = stateTimeline(states(helpers, 'c--o--h'));
      helpers.cold('--x').subscribe(() => t.stop());
      return t;
    });
    expect(stopped.marble).to.equal('c');
  });

  it('should compare frames exactly after run() has returned', () => {
    const timeline = run((helpers) => stateTimeline(states(helpers, 'c 10ms o')));
    expect(TestScheduler.frameTimeFactor).to.equal(10);
    timeline.toBe('c 10ms o');
    expect(timeline.entries.map((e) => e.frame)).to.deep.equal([0, 11]);
  });

  it('should count frames of a TestScheduler outside run mode (10 ms each)', () => {
    const scheduler = new TestScheduler(() => undefined);
    const timeline = stateTimeline(scheduler.createColdObservable<string>('c-o--h'), { scheduler });
    scheduler.flush();
    expect(timeline.entries.map((e) => e.frame)).to.deep.equal([0, 2, 5]);
    timeline.toBe('c-o--h');
  });

  it('should throw from marble and toBe when a state has no letter or a bad one', () => {
    const unknown = run(() => stateTimeline(of('closed', 'opening')));
    expect((captureThrow(() => unknown.marble) as Error).message).to.equal(
      'stateTimeline: no letter for the state "opening"; give one in `letters`',
    );
    expect(() => unknown.toBe('c')).to.throw('no letter for the state "opening"');
    const bad = run(() => stateTimeline(of('a'), { letters: { a: '-' } }));
    expect((captureThrow(() => bad.marble) as Error).message).to.equal(
      'stateTimeline: the letter of "a" must be one character other than space - ( ) | # ^ ! @, got "-"',
    );
    const long = run(() => stateTimeline(of('a'), { letters: () => 'ab' }));
    expect(() => long.marble).to.throw('must be one character');
  });

  it('should reject bad options, naming each field', () => {
    expect(() => stateTimeline(of('c'), { frames: -1 })).to.throw(
      InvalidConfigError,
      'stateTimeline: invalid config: `frames` must be a non-negative integer or Infinity, got -1 (number)',
    );
    expect(() => stateTimeline(of('c'), { letters: 'c' } as never)).to.throw(
      'stateTimeline: invalid config: `letters` must be an object or a function, got "c" (string)',
    );
    expect(() => stateTimeline(of('c'), { frame: 3 } as never)).to.throw(
      'stateTimeline: invalid config: unknown option `frame`: expected one of the known options (`letters`, `frames`, `scheduler`), got 3 (number)',
    );
  });

  it('should unsubscribe the state observable when stopped', () => {
    run(() => {
      const source = new Subject<string>();
      const timeline: StateTimeline<string> = stateTimeline(source);
      expect(source.observed).to.equal(true);
      timeline.stop();
      expect(source.observed).to.equal(false);
      const current = new BehaviorSubject('closed');
      const none = stateTimeline(current, { frames: 0 });
      expect(current.observed).to.equal(false);
      expect(none.marble).to.equal('');
    });
  });

  it('should say what is wrong when called outside TestScheduler.run with no virtual scheduler', () => {
    const noClock =
      'stateTimeline: no virtual clock: called outside TestScheduler.run, where the default scheduler ' +
      '(asyncScheduler) reads the wall clock. Call it inside testScheduler.run(...) (or an rxjs-marbles ' +
      'test), or pass the TestScheduler as `scheduler`';
    const source = new BehaviorSubject('closed');
    expect((captureThrow(() => stateTimeline(source)) as Error).message).to.equal(noClock);
    expect(source.observed).to.equal(false);
    expect(
      (captureThrow(() => stateTimeline(source, { scheduler: asyncScheduler })) as Error).message,
    ).to.equal(noClock.replace('the default scheduler (asyncScheduler)', 'the given `scheduler`'));
    // A virtual scheduler outside run mode is a clock it can read.
    const scheduler = new VirtualTimeScheduler();
    expect(stateTimeline(source, { scheduler }).marble).to.equal('c');
  });

  it('should accept the timeline written as events, which a marble cannot always draw', () => {
    // A bulkhead fills at frame 0 (empty, busy, full, queueing) and drains at 4 (full, busy): the group
    // (ebfq) takes 6 frames in marble syntax, so no marble puts (fb) at frame 4.
    const timeline = run(() =>
      stateTimeline(
        concat(
          of('empty', 'busy', 'full', 'queueing'),
          timer(4).pipe(mergeMap(() => of('full', 'busy'))),
          timer(5).pipe(map(() => 'empty')),
        ),
      ),
    );
    expect(timeline.events).to.equal('e@0 b@0 f@0 q@0 f@4 b@4 e@9 |@9');
    timeline.toBe('e@0 b@0 f@0 q@0 f@4 b@4 e@9 |@9');
    timeline.toBe('  e@0  b@0 f@0 q@0\n f@4 b@4 e@9 |@9 ');
    expect((captureThrow(() => timeline.toBe('(ebfq)(fb)e')) as Error).message).to.contain(
      'first difference: expected f at frame 6, got f at frame 4',
    );
    expect(
      (captureThrow(() => timeline.toBe('e@0 b@0 f@0 q@0 f@4 b@5 e@9 |@9')) as Error).message,
    ).to.contain('first difference: expected b at frame 5, got b at frame 4');
  });

  it('should say in a diff when its actual marble cannot put a change at its frame', () => {
    const timeline = run(() =>
      stateTimeline(concat(of('empty', 'busy', 'full'), timer(4).pipe(mergeMap(() => of('busy', 'empty'))))),
    );
    // The marble (ebf)(be|) reads (be|) at frame 5; it happened at 4. Copied as the expected timeline, it
    // fails again: the diff must not offer it as the recording.
    expect((captureThrow(() => timeline.toBe('e@0 b@0 f@0 b@3 e@3')) as Error).message).to.equal(
      [
        'stateTimeline: the recorded timeline differs from the expected one',
        '  expected: e@0 b@0 f@0 b@3 e@3',
        '  actual:   (ebf)(be|)   (not to the frame: a group takes as many frames as its characters; read the events)',
        '  first difference: expected b at frame 3, got b at frame 4',
        '  expected events: e@0 b@0 f@0 b@3 e@3',
        '  actual events:   e@0 b@0 f@0 b@4 e@4 |@4',
      ].join('\n'),
    );
  });

  it('should refuse a malformed expected timeline, saying where', () => {
    const timeline = run((helpers) => stateTimeline(states(helpers, 'c--o')));
    const cases: Array<[string, string]> = [
      ['c--((o', 'a group opens at position 4 inside the group opened at position 3'],
      ['c--(o', 'the group opened at position 3 is never closed'],
      ['c--o)', 'a group closes at position 4 that was never opened'],
      ['c--()o', 'the group at position 4 is empty'],
      ['^-c--o', '"^" at position 0 has no meaning in a timeline'],
      ['c--o-!', '"!" at position 5 has no meaning in a timeline'],
      ['c-|o', '"o" at position 3 comes after the completion (|)'],
      ['(c#)o', '"o" at position 4 comes after the error (#)'],
      ['c ( 2ms o)', 'a time progression at position 4 is inside a group'],
      ['c@0 o3', '"o3" is not letter@frame (events look like \'c@0 o@3 h@13\')'],
      ['c@3 o@0', 'o@0 comes after c@3: frames must not go back'],
    ];
    for (const [expected, why] of cases) {
      expect((captureThrow(() => timeline.toBe(expected)) as Error).message, expected).to.equal(
        `stateTimeline: malformed expected timeline ${JSON.stringify(expected)}: ${why}`,
      );
    }
    // What run mode reads correctly is still read the same way.
    timeline.toBe('c 2ms o');
    timeline.toBe('c 1ms - o');
  });
});

describe('bulkheadStates', () => {
  /** A bulkhead stand-in that moves its counts by hand. */
  function pool(maxConcurrent: number): BulkheadLike & { set(active: number, queued: number): void } {
    const events$ = new Subject<{ active: number; queued: number }>();
    const p = {
      maxConcurrent,
      active: 0,
      queued: 0,
      events$,
      set(active: number, queued: number) {
        p.active = active;
        p.queued = queued;
        events$.next({ active, queued });
      },
    };
    return p;
  }

  it('should start with the current state and emit every change once', () => {
    const p = pool(2);
    const seen: string[] = [];
    p.set(1, 0);
    bulkheadStates(p).subscribe((s) => seen.push(s));
    p.set(1, 0);
    p.set(2, 0);
    p.set(2, 1);
    p.set(2, 0);
    p.set(1, 0);
    p.set(0, 0);
    expect(seen).to.deep.equal(['busy', 'full', 'queueing', 'full', 'busy', 'empty']);
  });

  it('should draw a bulkhead timeline with stateTimeline', () => {
    const timeline = run((helpers) => {
      const p = pool(1);
      const t = stateTimeline(bulkheadStates(p));
      helpers
        .cold('--a--b--c-d', { a: [1, 0], b: [1, 2], c: [1, 0], d: [0, 0] })
        .subscribe(([a, q]) => p.set(a!, q!));
      return t;
    });
    timeline.toBe('e-f--q--f-e');
  });

  it('should follow a real Bulkhead through admission, queueing and release', () => {
    const timeline = run((helpers) => {
      const pool = new Bulkhead({ maxConcurrent: 2, maxQueued: 1 });
      const t = stateTimeline(bulkheadStates(pool));
      const api = fakeDependency(helpers, '---a|');
      // prettier-ignore
      helpers.cold('-xyz').subscribe(() => api.call$.pipe(bulkhead(pool)).subscribe());
      return t;
    });
    // empty; a starts (busy), b starts (full), c waits (queueing); a ends and c starts (full); b ends
    // (busy); c ends (empty)
    timeline.toBe('ebfq-fb--e');
  });
});
