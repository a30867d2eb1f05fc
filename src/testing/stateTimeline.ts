import { asyncScheduler, type Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import * as t from 'io-ts';
import * as c from '../internal/codecs';
import { decodeConfig } from '../internal/decodeConfig';

/** Options of {@link stateTimeline}. */
export interface StateTimelineOptions<S> {
  /**
   * The letter of each state in the marble: a map, or a function. Each letter must be one character and
   * not one of the marble syntax characters (space, `-`, `(`, `)`, `|`, `#`, `^`, `!`).
   * @default breaker states `closed` c, `open` o, `halfOpen` h, `isolated` i; bulkhead states
   * (`bulkheadStates`) `empty` e, `busy` b, `full` f, `queueing` q; any other one-character state (a
   * digit such as an `active` count) stands for itself
   */
  readonly letters?: ({ readonly [state: string]: string } | ((state: S) => string)) | undefined;
  /** Frames to record from frame 0: recording stops at this frame, events at or after it are left out. */
  readonly frames?: number | undefined;
  /** The clock that says which frame an event falls on. @default asyncScheduler (virtual inside `run`) */
  readonly scheduler?: SchedulerLike | undefined;
}

/** One recorded change. */
export interface TimelineEntry<S> {
  /** Frame of the change (in `TestScheduler.run`, 1 frame = 1 ms). */
  readonly frame: number;
  /** The state, or `'|'`/`'#'` when the observable completed or errored. */
  readonly state: S | '|' | '#';
  /** Its letter in the marble. */
  readonly letter: string;
}

/** A recording of a state observable on the virtual clock: see {@link stateTimeline}. */
export interface StateTimeline<S> {
  /** Every recorded change, in order. */
  readonly entries: ReadonlyArray<TimelineEntry<S>>;
  /**
   * The recording as a marble (`'c--o----h-c'`): one letter per change at its frame, simultaneous
   * changes grouped (`'(oh)'`), `|`/`#` if the observable completed or errored. As in every marble a group
   * takes as many frames as it has characters; a change that falls inside a previous group's span cannot
   * be drawn exactly (`toBe` still compares frames exactly).
   */
  readonly marble: string;
  /** Stops recording (the observable is unsubscribed); the recording stays readable. */
  stop(): void;
  /**
   * Throws a plain `Error` with both marbles and the first difference unless the recording equals
   * `expected`, compared frame by frame (read like marbles in `TestScheduler.run`: spaces ignored,
   * `10ms` time progression allowed). Call it after the scheduler has flushed.
   */
  toBe(expected: string): void;
}

const DEFAULT_LETTERS: { readonly [state: string]: string } = {
  closed: 'c',
  open: 'o',
  halfOpen: 'h',
  isolated: 'i',
  empty: 'e',
  busy: 'b',
  full: 'f',
  queueing: 'q',
};
const SYNTAX = new Set([' ', '-', '(', ')', '|', '#', '^', '!']);

const isObject = (u: unknown): u is object => typeof u === 'object' && u !== null && !Array.isArray(u);
const OptionsCodec = c.config(
  'StateTimelineOptions',
  {},
  {
    letters: c.either(
      new t.Type(
        'an object',
        isObject,
        (u, ctx) => (isObject(u) ? t.success(u) : t.failure(u, ctx)),
        t.identity,
      ),
      c.fn,
    ),
    frames: c.nonNegativeIntOrInfinity,
    scheduler: c.scheduler,
  },
);

/**
 * Records a state observable (a breaker's `state$`, `bulkheadStates(pool)`, or any observable of short
 * strings or digits) as a marble on the virtual clock, so a test states a policy's whole life in one line:
 * `timeline.toBe('c--o----h-c')`. Recording starts when it is called (subscribe at frame 0 to see the
 * states from the start); frames count from the scheduler's time 0, as in `expectObservable`.
 *
 * Free of any test framework: it returns data and throws plain errors, so it works with mocha, jest or
 * vitest, inside `TestScheduler.run` or rxjs-marbles.
 *
 * ```
 * breaker   window { type: 'count', size: 2 }, minimumCalls 2, failureRateThreshold 1, openDuration 5
 * calls     x-x-x-----x        the dependency answers '-#', '-#', then '-a|'
 * state$    c--o----h---c      open at 3 (2 failures), call at 4 refused, halfOpen at 8, probe closes at 12
 * ```
 *
 * @example
 * testScheduler.run((helpers) => {
 *   const breaker = new CircuitBreaker({ window: { type: 'count', size: 2 }, minimumCalls: 2,
 *     failureRateThreshold: 1, openDuration: 5 });
 *   const timeline = stateTimeline(breaker.state$);
 *   const api = fakeDependency(helpers, ['-#', '-#', '-a|']);
 *   // ... calls through api.call$.pipe(circuitBreaker(breaker)) at frames 0, 2, 4 and 10 ...
 *   helpers.flush();
 *   timeline.toBe('c--o----h---c');
 * });
 *
 * @throws {InvalidConfigError} when `options` is invalid (each bad or unknown field named); `marble` and
 * `toBe` throw an `Error` when a recorded state had no letter or an invalid one.
 */
export function stateTimeline<S extends string | number>(
  state$: Observable<S>,
  options: StateTimelineOptions<S> = {},
): StateTimeline<S> {
  decodeConfig('stateTimeline', OptionsCodec, options);
  const { letters, frames = Infinity, scheduler = asyncScheduler } = options;
  const letterOf = (state: S): string => {
    const letter =
      typeof letters === 'function'
        ? letters(state)
        : (letters?.[state] ??
          DEFAULT_LETTERS[state] ??
          (String(state).length === 1 ? String(state) : undefined));
    if (letter === undefined) {
      throw new Error(
        `stateTimeline: no letter for the state ${JSON.stringify(state)}; give one in \`letters\``,
      );
    }
    if (typeof letter !== 'string' || [...letter].length !== 1 || SYNTAX.has(letter)) {
      throw new Error(
        `stateTimeline: the letter of ${JSON.stringify(state)} must be one character other than ` +
          `space - ( ) | # ^ !, got ${JSON.stringify(letter)}`,
      );
    }
    return letter;
  };

  const entries: Array<TimelineEntry<S>> = [];
  // A state without a letter is a mistake in the test: kept and thrown by `marble` and `toBe`, rather
  // than thrown inside a subscriber where rxjs would report it out of band.
  let problem: Error | undefined;
  let stopped = false;
  // Filled once subscribed; `stop` may run before that (a synchronous first state past `frames`).
  const held: { inner?: Subscription; timer?: Subscription } = {};
  const stop = () => {
    stopped = true;
    held.timer?.unsubscribe();
    held.inner?.unsubscribe();
  };
  const record = (state: S | '|' | '#', letter: () => string) => {
    if (stopped) return;
    const frame = Math.round(scheduler.now() / TestScheduler.frameTimeFactor);
    if (frame >= frames) return stop();
    try {
      entries.push({ frame, state, letter: letter() });
    } catch (err) {
      problem = err as Error;
      stop();
    }
  };
  held.inner = state$.subscribe({
    next: (state) => record(state, () => letterOf(state)),
    error: () => record('#', () => '#'),
    complete: () => record('|', () => '|'),
  });
  if (frames !== Infinity) {
    held.timer = scheduler.schedule(
      stop,
      Math.max(0, frames * TestScheduler.frameTimeFactor - scheduler.now()),
    );
  }
  if (stopped) stop();
  const check = () => {
    if (problem !== undefined) throw problem;
  };

  return {
    entries,
    get marble() {
      check();
      return draw(entries);
    },
    stop,
    toBe(expected: string) {
      check();
      const wanted = parse(expected);
      const got = entries.map(({ frame, letter }) => ({ frame, letter }));
      const differs =
        wanted.length !== got.length ||
        wanted.some((w, i) => w.frame !== got[i]!.frame || w.letter !== got[i]!.letter);
      if (!differs) return;
      const i = wanted.findIndex((w, k) => w.frame !== got[k]?.frame || w.letter !== got[k]?.letter);
      const at = i === -1 ? (got.length === wanted.length ? 0 : wanted.length) : i;
      const describe = (e: { frame: number; letter: string } | undefined) =>
        e === undefined ? 'nothing' : `${e.letter} at frame ${e.frame}`;
      throw new Error(
        [
          'stateTimeline: the recorded timeline differs from the expected one',
          `  expected: ${expected.trim()}`,
          `  actual:   ${draw(entries)}`,
          `  first difference: expected ${describe(wanted[at])}, got ${describe(got[at])}`,
          `  expected events: ${wanted.map((e) => `${e.letter}@${e.frame}`).join(' ') || '(none)'}`,
          `  actual events:   ${got.map((e) => `${e.letter}@${e.frame}`).join(' ') || '(none)'}`,
        ].join('\n'),
      );
    },
  };
}

/** Draws entries as a marble: one letter per frame, simultaneous entries grouped. */
function draw(entries: ReadonlyArray<{ frame: number; letter: string }>): string {
  let out = '';
  let next = 0; // the frame the next character of `out` stands for
  for (let i = 0; i < entries.length;) {
    const frame = entries[i]!.frame;
    let j = i;
    while (j < entries.length && entries[j]!.frame === frame) j++;
    const letters = entries.slice(i, j).map((e) => e.letter);
    out += '-'.repeat(Math.max(0, frame - next));
    out += letters.length === 1 ? letters[0] : `(${letters.join('')})`;
    next = Math.max(next, frame) + (letters.length === 1 ? 1 : letters.length + 2);
    i = j;
  }
  return out;
}

/** Reads an expected marble into `{ frame, letter }` entries, as `TestScheduler.run` would. */
function parse(marble: string): Array<{ frame: number; letter: string }> {
  const factor = TestScheduler.frameTimeFactor;
  TestScheduler.frameTimeFactor = 1;
  try {
    return TestScheduler.parseMarbles(marble, undefined, undefined, undefined, true).map(
      ({ frame, notification }) => ({
        frame,
        letter:
          notification.kind === 'N' ? String(notification.value) : notification.kind === 'C' ? '|' : '#',
      }),
    );
  } finally {
    TestScheduler.frameTimeFactor = factor;
  }
}
