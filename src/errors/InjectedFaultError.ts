import { ResilienceError, tagOf } from './ResilienceError';

/** The kinds of fault `injectFaults` can inject. */
export type FaultKind = 'error' | 'latency' | 'hang' | 'empty' | 'value';

/** Where and what `injectFaults` injected. Given to `error`, `value`, `latency` and `onFault` callbacks. */
export interface InjectedFaultInfo {
  /** The injector's `name` (default `'faults'`), to tell several injectors apart. */
  readonly name: string;
  /** What was injected. */
  readonly kind: FaultKind;
  /** Whether the fault replaced a whole call (`'call'`) or one value (`'value'`). */
  readonly per: 'call' | 'value';
  /** 0-based index of the call (subscription) of this operator instance, counted across resubscriptions. */
  readonly call: number;
  /**
   * 0-based index of the value among all values this operator instance has seen, across calls;
   * `undefined` for a fault injected per call.
   */
  readonly value: number | undefined;
  /** Added latency in ms, for a `'latency'` fault; `0` for every other kind. */
  readonly latency: number;
}

/** Emitted by `injectFaults` for an `'error'` fault, unless the config gives its own `error` factory. */
export class InjectedFaultError extends ResilienceError<'InjectedFaultError', InjectedFaultInfo> {
  /** The error the library emits for `info`, its message written from it (for tests and adapters). */
  constructor(info: InjectedFaultInfo) {
    super(
      'InjectedFaultError',
      `Injected fault "${info.name}": error at call ${info.call}` +
        (info.value === undefined ? '' : `, value ${info.value}`),
      info,
    );
  }
}

/** True when `value` is an `InjectedFaultError` (from any copy of the package). */
export function isInjectedFaultError(value: unknown): value is InjectedFaultError {
  return tagOf(value) === 'InjectedFaultError';
}
