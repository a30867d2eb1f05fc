import {
  VirtualTimeScheduler,
  asyncScheduler,
  type Observable,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import * as t from 'io-ts';
import * as c from '../internal/codecs';
import { decodeConfig } from '../internal/decodeConfig';

/** Options of {@link stateTimeline}. */
export interface StateTimelineOptions<S> {
  /**
   * The letter of each state in the marble: a map, or a function. Each letter must be one character and
   * not one of the marble syntax characters (space, `-`, `(`, `)`, `|`, `#`, `^`, `!`) nor `@`.
   * @default breaker states `closed` c, `open` o, `halfOpen` h, `isolated` i; bulkhead states
   * (`bulkheadStates`) `empty` e, `busy` b, `full` f, `queueing` q; any other one-character state (a
   * digit such as an `active` count) stands for itself
   */
  readonly letters?: ({ readonly [state: string]: string } | ((state: S) => string)) | undefined;
  /** Frames to record from frame 0: recording stops at this frame, events at or after it are left out. */
  readonly frames?: number | undefined;
  /**
   * The clock that says which frame an event falls on: a virtual one. Outside `TestScheduler.run`, pass
   * the `TestScheduler`.
   * @default asyncScheduler, which reads the virtual clock inside `run` (outside it, `stateTimeline` throws)
   */
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
   * be drawn exactly: `events` can, and `toBe` compares frames exactly.
   */
  readonly marble: string;
  /**
   * The recording as events, `letter@frame` separated by spaces (`'c@0 o@3 h@13'`): exact where a marble
   * cannot be (a change inside a previous group's span), and what `toBe` accepts as well.
   */
  readonly events: string;
  /** Stops recording (the observable is unsubscribed); the recording stays readable. */
  stop(): void;
  /**
   * Throws a plain `Error` with both marbles and the first difference unless the recording equals
   * `expected`, compared frame by frame. `expected` is a marble, read as in `TestScheduler.run` (spaces
   * ignored, `10ms` time progression allowed), or the same events written `letter@frame` (`'c@0 o@3
   * h@13'`, as the difference lists them). A malformed one (an unclosed or nested group, `^` or `!`, an
   * event after `|` or `#`, frames out of order) is refused with an `Error` saying where. Call it after
   * the scheduler has flushed.
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
const SYNTAX = new Set([' ', '-', '(', ')', '|', '#', '^', '!', '@']);

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
 * vitest, inside `TestScheduler.run` or rxjs-marbles. Outside `run` the default scheduler reads the wall
 * clock, so it throws unless given the `TestScheduler` as `scheduler`.
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
 * @throws {InvalidConfigError} when `options` is invalid (each bad or unknown field named); an `Error`
 * when called outside `TestScheduler.run` with no virtual `scheduler`. `marble` and `toBe` throw an
 * `Error` when a recorded state had no letter or an invalid one, `toBe` when `expected` is malformed.
 */
export function stateTimeline<S extends string | number>(
  state$: Observable<S>,
  options: StateTimelineOptions<S> = {},
): StateTimeline<S> {
  decodeConfig('stateTimeline', OptionsCodec, options);
  const { letters, frames = Infinity, scheduler = asyncScheduler } = options;
  // Inside `run` every rxjs scheduler reads the virtual clock (and a frame is 1 ms); outside it only a
  // virtual scheduler does: the wall clock would put the first change at frame 170 billion.
  if (!(scheduler instanceof VirtualTimeScheduler) && TestScheduler.frameTimeFactor !== 1) {
    throw new Error(
      'stateTimeline: no virtual clock: called outside TestScheduler.run, where ' +
        (options.scheduler === undefined
          ? 'the default scheduler (asyncScheduler)'
          : 'the given `scheduler`') +
        ' reads the wall clock. Call it inside testScheduler.run(...) (or an rxjs-marbles test), or pass ' +
        'the TestScheduler as `scheduler`',
    );
  }
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
          `space - ( ) | # ^ ! @, got ${JSON.stringify(letter)}`,
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
    get events() {
      check();
      return describeEvents(entries);
    },
    stop,
    toBe(expected: string) {
      check();
      const wanted = parseExpected(expected);
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
          `  actual:   ${draw(entries)}${exact(entries) ? '' : INEXACT}`,
          `  first difference: expected ${describe(wanted[at])}, got ${describe(got[at])}`,
          `  expected events: ${describeEvents(wanted) || '(none)'}`,
          `  actual events:   ${describeEvents(got) || '(none)'}`,
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

/** What the diff adds to a marble that cannot put every change at its frame. */
const INEXACT = '   (not to the frame: a group takes as many frames as its characters; read the events)';

/** True when {@link draw} puts every entry at its frame: no change falls inside a previous group's span. */
function exact(entries: ReadonlyArray<{ frame: number }>): boolean {
  let next = 0; // the first frame the next change may be drawn at
  for (let i = 0; i < entries.length;) {
    const frame = entries[i]!.frame;
    if (frame < next) return false;
    let j = i;
    while (j < entries.length && entries[j]!.frame === frame) j++;
    next = frame + (j - i === 1 ? 1 : j - i + 2);
    i = j;
  }
  return true;
}

/** Entries as `letter@frame` events separated by spaces. */
function describeEvents(entries: ReadonlyArray<{ frame: number; letter: string }>): string {
  return entries.map((e) => `${e.letter}@${e.frame}`).join(' ');
}

/** One expected change. */
interface Expected {
  readonly frame: number;
  readonly letter: string;
}

/** Reads `expected`: events (`'c@0 o@3'`) if it has an `@`, else a marble. */
function parseExpected(expected: string): Expected[] {
  const fail = (why: string): never => {
    throw new Error(`stateTimeline: malformed expected timeline ${JSON.stringify(expected)}: ${why}`);
  };
  return expected.includes('@') ? parseEvents(expected, fail) : parseMarble(expected, fail);
}

/** Reads `'c@0 o@3 h@13'`: one `letter@frame` per event, frames in order. */
function parseEvents(text: string, fail: (why: string) => never): Expected[] {
  const events: Expected[] = [];
  for (const token of text.trim().split(/\s+/)) {
    const match = /^(.)@(\d+)$/u.exec(token);
    if (match === null)
      fail(`${JSON.stringify(token)} is not letter@frame (events look like 'c@0 o@3 h@13')`);
    const event = { letter: match![1]!, frame: Number(match![2]) };
    const previous = events[events.length - 1];
    if (previous !== undefined && event.frame < previous.frame) {
      fail(`${token} comes after ${previous.letter}@${previous.frame}: frames must not go back`);
    }
    events.push(event);
  }
  return events;
}

/**
 * Reads a marble as `TestScheduler.run` reads an expected one (spaces ignored, `-` one frame, a group's
 * events at its first frame and the group as many frames as its characters, `10ms ` time progression
 * after a space or at the start), refusing what run mode would silently misread.
 */
function parseMarble(marble: string, fail: (why: string) => never): Expected[] {
  const chars = [...marble];
  const events: Expected[] = [];
  let frame = 0;
  let group: { readonly frame: number; readonly at: number } | undefined;
  let ended: string | undefined;
  for (let i = 0; i < chars.length; i++) {
    const char = chars[i]!;
    const at = `at position ${i}`;
    if (char === ' ') continue;
    if (char === '-') {
      frame++;
      continue;
    }
    if (char === '(') {
      if (group !== undefined) fail(`a group opens ${at} inside the group opened at position ${group.at}`);
      group = { frame, at: i };
      frame++;
      continue;
    }
    if (char === ')') {
      if (group === undefined) fail(`a group closes ${at} that was never opened`);
      if (group!.at === i - 1) fail(`the group ${at} is empty`);
      group = undefined;
      frame++;
      continue;
    }
    if (char === '^' || char === '!') fail(`${JSON.stringify(char)} ${at} has no meaning in a timeline`);
    if (/[0-9]/.test(char) && (i === 0 || chars[i - 1] === ' ')) {
      const progression = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m) /.exec(chars.slice(i).join(''));
      if (progression !== null) {
        if (group !== undefined) fail(`a time progression ${at} is inside a group`);
        const unit = progression[2] === 'ms' ? 1 : progression[2] === 's' ? 1000 : 60_000;
        frame += Number(progression[1]) * unit;
        i += progression[0].length - 1;
        continue;
      }
    }
    if (ended !== undefined) fail(`${JSON.stringify(char)} ${at} comes after the ${ended}`);
    if (char === '|') ended = 'completion (|)';
    else if (char === '#') ended = 'error (#)';
    events.push({ frame: group?.frame ?? frame, letter: char });
    frame++;
  }
  if (group !== undefined) fail(`the group opened at position ${group.at} is never closed`);
  return events;
}
