import { asyncScheduler, identity, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';
import { InjectedFaultError, type FaultKind, type InjectedFaultInfo } from '../errors/InjectedFaultError';
import { InvalidConfigError, type ConfigIssue } from '../errors/InvalidConfigError';
import * as c from '../internal/codecs';
import { configIssue, describeValue, readConfig } from '../internal/decodeConfig';
import { createOperatorSubscriber, operate } from '../internal/operate';
import { scheduleOn } from '../internal/schedule';
import { TimerQueue } from '../internal/TimerQueue';
import { faultWhen, neverFires, toFaultTrigger, type FaultPoint } from './FaultTrigger';
import { seededRandom } from './seededRandom';

/**
 * Configuration of {@link injectFaults}. Its type says what the operator accepts: with a fault script
 * as `when` the script names each fault and `fault` is left out; with a rate, indices or a predicate,
 * `fault` is required, and a `'latency'` fault needs `latency`, a `'value'` fault needs `value`.
 */
export type InjectFaultsConfig<T> = ScriptedFaultsConfig<T> | TriggeredFaultsConfig<T>;

/** `when` is a fault script: the script names the fault of each call (or value). */
export interface ScriptedFaultsConfig<T> extends InjectFaultsOptions<T> {
  /**
   * A fault script, one character per call or value: `-` none, `#` error, `~` hang, `s` latency,
   * `|` empty, `v` value; spaces are ignored; past its end, no fault (`'-#-~-s'`). A script with `s`
   * needs `latency`, one with `v` needs `value`.
   */
  readonly when: string;
  /** Left out: the script names each fault. */
  readonly fault?: undefined;
}

/** `when` is a rate, indices or a predicate, and `fault` says which fault it injects. */
export type TriggeredFaultsConfig<T> =
  | (TriggeredFaultsBase<T> & { readonly fault: 'error' | 'hang' | 'empty' })
  | (TriggeredFaultsBase<T> & {
      readonly fault: 'latency';
      /** Added latency in ms, or a function of the fault point giving it. */
      readonly latency: number | ((point: FaultPoint) => number);
    })
  | (TriggeredFaultsBase<T> & {
      readonly fault: 'value';
      /** Builds the substituted value. */
      readonly value: (info: InjectedFaultInfo) => T;
    });

/** The fields of a config whose `when` is not a script. */
export interface TriggeredFaultsBase<T> extends InjectFaultsOptions<T> {
  /**
   * Which calls (or values, with `per: 'value'`) get the fault:
   * - a rate in [0, 1]: each one is faulted when `random() < rate` (Polly's injection rate);
   * - an array of 0-based indices: exactly those (`[1, 4]`: the second and the fifth);
   * - a predicate of the call (and value) index.
   *
   * Required: there is no default rate.
   */
  readonly when: number | ReadonlyArray<number> | ((point: FaultPoint) => boolean);
  /**
   * The fault to inject when `when` fires:
   * - `'error'`: error instead of calling (per value: instead of the value), with `error(info)`;
   * - `'latency'`: subscribe to the source `latency` ms late (per value: deliver the value `latency` ms
   *   after it arrived; what arrives meanwhile waits behind it, so the order is kept);
   * - `'hang'`: never subscribe and never answer (per value: swallow the value, release the source and
   *   stay silent);
   * - `'empty'`: complete without subscribing (per value: complete instead of the value);
   * - `'value'`: emit `value(info)` and complete without subscribing (per value: replace the value).
   */
  readonly fault: FaultKind;
}

/** The fields of every {@link InjectFaultsConfig}, whatever `when` is. */
export interface InjectFaultsOptions<T> {
  /** Whether a decision is taken per call (subscription) or per value. @default 'call' */
  readonly per?: 'call' | 'value' | undefined;
  /**
   * Added latency in ms, or a function of the fault point giving it. Required by a latency fault. A
   * latency longer than a real timer can hold (2^31 - 1 ms) is waited for in full; `Infinity` never ends
   * (per call: the source is never subscribed; per value: as a `'hang'`).
   */
  readonly latency?: (number | ((point: FaultPoint) => number)) | undefined;
  /** Uniform jitter in ms around `latency` (toxiproxy's `jitter`), drawn from `random`, floored at 0. @default 0 */
  readonly jitter?: number | undefined;
  /** Builds the error of an `'error'` fault. @default (info) => new InjectedFaultError(info) */
  readonly error?: ((info: InjectedFaultInfo) => unknown) | undefined;
  /** Builds the substituted value of a `'value'` fault. Required by a value fault. */
  readonly value?: ((info: InjectedFaultInfo) => T) | undefined;
  /** Kill switch, read at every decision: when false nothing is injected (indices still count). @default true */
  readonly enabled?: (boolean | (() => boolean)) | undefined;
  /**
   * Source of chance in [0, 1) for a rate and for jitter.
   * @default seededRandom(seed): the same seed replays the same faults
   */
  readonly random?: (() => number) | undefined;
  /** Seed of the default `random`; give two injectors different seeds to decorrelate them. @default 1 */
  readonly seed?: number | undefined;
  /** Name carried in every `InjectedFaultInfo`. @default 'faults' */
  readonly name?: string | undefined;
  /** Called with the info of every fault, when it is decided (Polly's `OnFaultInjected`). */
  readonly onFault?: ((info: InjectedFaultInfo) => void) | undefined;
  /** Scheduler for the added latency. @default asyncScheduler */
  readonly scheduler?: SchedulerLike | undefined;
}

const FAULTS: ReadonlyArray<FaultKind> = ['error', 'latency', 'hang', 'empty', 'value'];

const Codec = c.config(
  'InjectFaultsConfig',
  { when: faultWhen },
  {
    fault: c.oneOf(FAULTS),
    per: c.oneOf(['call', 'value']),
    latency: c.either(c.nonNegativeMs, c.fn),
    jitter: c.nonNegativeMs,
    error: c.fn,
    value: c.fn,
    enabled: c.either(c.boolean, c.fn),
    random: c.fn,
    seed: c.finiteNumber,
    name: c.nonEmptyString,
    onFault: c.fn,
    scheduler: c.scheduler,
  },
);

/** One notification held behind an injected latency (per value), or an action to take. */
type Step<T> =
  | { readonly type: 'next'; readonly value: T }
  | { readonly type: 'error'; readonly error: unknown }
  | { readonly type: 'complete' }
  | { readonly type: 'hang' }
  | { readonly type: 'delay'; readonly value: T; readonly due: number };

/**
 * Fault injection in the style of Polly's chaos strategies, as an operator: errors, added latency,
 * hangs, empty completions or substituted values, per call (subscription) or per value, chosen by a
 * seeded rate, by call indices, by a fault script or by a predicate, with a kill switch. Every delay is
 * scheduled on `scheduler`, so it runs in virtual time; the default `random` is seeded, so a run replays.
 *
 * Put it innermost, next to the dependency, so that the policies around it (`timeoutAfter`,
 * `retryBackoff`, `circuitBreaker`, `bulkhead`) see the faults. The call index counts every
 * subscription to the operator instance (the value `injectFaults(...)` returns), retries included:
 * create it once and reuse it, and a retried call moves on to the next index.
 *
 * Per call, with `when: '-#~s'` and `latency: 2` (four subscriptions to `cold('-a|')`, one per line):
 * ```
 * call 0  -a|        no fault
 * call 1  #          InjectedFaultError, the source is never subscribed
 * call 2  ------     hang: never subscribed, never answers
 * call 3  ---a|      subscribed 2 ms late
 * ```
 * Per value, `when: '-s'`, `latency: 3`:
 * ```
 * source  -a-b-c|
 * result  -a----(bc|)
 * ```
 *
 * @example
 * const chaos = injectFaults<Response>({ fault: 'error', when: 0.05, seed: 42 });
 * const getUser = (id: string) =>
 *   http.get(id).pipe(chaos, timeoutAfter(1000), retryBackoff({ maxRetries: 2, initialDelay: 100 }));
 *
 * @throws {InvalidConfigError} when the config is invalid: each bad field is named, as is a `fault` or
 * a `latency`/`value` factory that the trigger needs and that is missing (or given where not allowed).
 */
export function injectFaults<T>(input: InjectFaultsConfig<T>): MonoTypeOperatorFunction<T> {
  const config = decode(input);
  const trigger = toFaultTrigger(config.when);
  const { per = 'call', jitter = 0, enabled = true, name = 'faults', onFault } = config;
  if (enabled === false || neverFires(trigger)) return identity;
  const scheduler = config.scheduler ?? asyncScheduler;
  // Per value, a held value is due `latency` after it arrived, on the timer queue's time: it never steps
  // back, so a wall clock set back meanwhile holds no value longer.
  const timers = TimerQueue.of(scheduler);
  const random = config.random ?? seededRandom(config.seed ?? 1);
  const makeError = config.error ?? ((info: InjectedFaultInfo) => new InjectedFaultError(info));
  let calls = 0;
  let values = 0;

  const draw = (): number => {
    const r = random();
    if (!(r >= 0 && r < 1))
      throw new RangeError(`injectFaults: random() must return a number in [0, 1), got ${describeValue(r)}`);
    return r;
  };

  const latencyAt = (point: FaultPoint): number => {
    const base = typeof config.latency === 'function' ? config.latency(point) : (config.latency ?? 0);
    if (!(base >= 0)) {
      throw new RangeError(
        `injectFaults: latency() must return a non-negative number of milliseconds, got ${describeValue(base)}`,
      );
    }
    return jitter > 0 ? Math.max(0, base + (2 * draw() - 1) * jitter) : base;
  };

  /** The fault at `point`, or null; runs every user callback, so a throw reaches the caller's handler. */
  // On the hot path (no fault) nothing is allocated: the point object is built only for user callbacks.
  const decide = (call: number, value: number | undefined): InjectedFaultInfo | null => {
    if (typeof enabled === 'function' && !enabled()) return null;
    const index = per === 'call' ? call : value!;
    let kind: FaultKind | null;
    switch (trigger.type) {
      case 'rate':
        kind = draw() < trigger.rate ? config.fault! : null;
        break;
      case 'indices':
        kind = trigger.indices.has(index) ? config.fault! : null;
        break;
      case 'script':
        kind = trigger.script[index] ?? null;
        break;
      case 'predicate':
        kind = trigger.predicate({ call, value }) ? config.fault! : null;
        break;
    }
    if (kind === null) return null;
    const info: InjectedFaultInfo = {
      name,
      kind,
      per,
      call,
      value,
      latency: kind === 'latency' ? latencyAt({ call, value }) : 0,
    };
    onFault?.(info);
    return info;
  };

  if (per === 'call') {
    return operate<T, T>((source, destination) => {
      const info = decide(calls++, undefined);
      // `onFault` or any callback may have cancelled the call: a closed subscriber subscribes nothing.
      const run = (): void => {
        const subscriber = createOperatorSubscriber<T>(destination);
        if (!subscriber.closed) source.subscribe(subscriber);
      };
      if (info === null) return void run();
      switch (info.kind) {
        case 'error':
          return destination.error(makeError(info));
        case 'latency':
          return void scheduleOn(destination, scheduler, run, info.latency);
        case 'hang':
          return;
        case 'empty':
          return destination.complete();
        case 'value':
          destination.next(config.value!(info));
          return destination.complete();
      }
    });
  }

  return operate<T, T>((source, destination) => {
    const call = calls++;
    // Notifications that arrive while an injected latency holds the stream, kept in arrival order.
    const held: Array<Step<T>> = [];
    let holding = false;

    const upstream = createOperatorSubscriber<T>(destination, {
      next: (value) => {
        const info = decide(call, values++);
        if (info !== null) enqueue(stepOf(info, value));
        else if (holding) held.push({ type: 'next', value });
        else destination.next(value);
      },
      error: (error) => enqueue({ type: 'error', error }),
      complete: () => enqueue({ type: 'complete' }),
    });

    const stepOf = (info: InjectedFaultInfo, value: T): Step<T> => {
      switch (info.kind) {
        case 'error':
          return { type: 'error', error: makeError(info) };
        case 'latency':
          return { type: 'delay', value, due: timers.now() + info.latency };
        case 'hang':
          return { type: 'hang' };
        case 'empty':
          return { type: 'complete' };
        case 'value':
          return { type: 'next', value: config.value!(info) };
      }
    };

    const enqueue = (step: Step<T>): void => {
      if (holding) held.push(step);
      else apply(step);
    };

    const apply = (step: Step<T>): void => {
      switch (step.type) {
        case 'next':
          return destination.next(step.value);
        case 'error':
          return destination.error(step.error);
        case 'complete':
          return destination.complete();
        case 'hang':
          held.length = 0;
          return upstream.unsubscribe();
        case 'delay': {
          // Due `latency` ms after the value arrived (toxiproxy's latency): values held behind it keep
          // their own arrival times, so latencies do not add up, and the order is kept.
          const delay = step.due - timers.now();
          if (delay <= 0) return destination.next(step.value);
          // Nothing behind an endless latency can ever be delivered: it is a hang (bounded memory).
          if (delay === Infinity) return apply({ type: 'hang' });
          holding = true;
          scheduleOn(destination, scheduler, () => release(step.value), delay);
        }
      }
    };

    const release = (value: T): void => {
      holding = false;
      destination.next(value);
      while (!holding && held.length > 0 && !destination.closed) apply(held.shift()!);
    };

    if (!upstream.closed) source.subscribe(upstream);
  });
}

/**
 * Reads the config once (see `readConfig`), decodes what was read, then checks the fields that depend on
 * each other; throws every issue at once. Returns what was read and validated.
 */
function decode<T>(input: InjectFaultsConfig<T>): InjectFaultsConfig<T> {
  const read = readConfig<InjectFaultsConfig<T>>(Codec, input);
  const config = read.value;
  const issues: ConfigIssue[] = read.issues;
  if (typeof config === 'object' && config !== null && !Array.isArray(config)) {
    const bad = new Set(issues.map((i) => i.path));
    const ok = (path: string) => !bad.has(path) && !bad.has('');
    if (ok('when') && ok('fault')) {
      const scripted = typeof config.when === 'string';
      if (scripted && config.fault !== undefined) {
        issues.push(
          configIssue(
            'fault',
            'left out when `when` is a fault script (the script names each fault)',
            config.fault,
          ),
        );
      } else if (!scripted && config.fault === undefined) {
        issues.push(configIssue('fault', c.oneOf(FAULTS).name, undefined));
      }
      const kinds = scripted ? toFaultTrigger(config.when) : undefined;
      const may = (kind: FaultKind) =>
        config.fault === kind || (kinds?.type === 'script' && kinds.script.includes(kind));
      if (may('latency') && config.latency === undefined && ok('latency')) {
        issues.push(
          configIssue(
            'latency',
            'a non-negative number of milliseconds or a function (for latency faults)',
            undefined,
          ),
        );
      }
      if (may('value') && config.value === undefined && ok('value')) {
        issues.push(configIssue('value', 'a function (for value faults)', undefined));
      }
    }
    if (config.random !== undefined && config.seed !== undefined && ok('random') && ok('seed')) {
      issues.push(configIssue('seed', 'left out when `random` is given', config.seed));
    }
  }
  if (issues.length > 0) throw new InvalidConfigError({ operator: 'injectFaults', issues });
  return config;
}
