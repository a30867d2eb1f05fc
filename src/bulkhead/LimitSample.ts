import { tagOf } from '../errors/ResilienceError';

/**
 * How a call that held a slot of an adaptive pool ended, as its limit sees it: `CANCELLED` (unsubscribed
 * before it ended, or not ended yet) and `IGNORED` (another error) teach nothing. @internal
 */
export const CANCELLED = 0;
/** @internal */
export const SUCCESS = 1;
/** @internal */
export const DROP = 2;
/** @internal */
export const IGNORED = 3;

/**
 * True when `error` says the dependency is overloaded (DESIGN 2.11): a `TimeoutExceededError`, or an
 * `HttpStatusError` 429 or 503. Refusals by this library's policies (`isRefusal`) never are: the
 * dependency was never called. Checks `_tag`, so it works across two copies of the package.
 * @internal
 */
export function isDrop(error: unknown): boolean {
  const tag = tagOf(error);
  if (tag === 'TimeoutExceededError') return true;
  if (tag !== 'HttpStatusError') return false;
  const status = (error as { info?: { status?: unknown } }).info?.status;
  return status === 429 || status === 503;
}

/**
 * What an adaptive pool learns from one call that held a slot: when it took the slot (`NaN` when the
 * limit reads no clock), how many calls ran then (itself included), and how it ended. Whoever drives the
 * call records its end with `succeed` or `fail`, and hands the sample back with the slot
 * (`Bulkhead.exit(sample)`); a sample handed back without either was cancelled and teaches nothing.
 * @internal
 */
export class LimitSample {
  outcome = CANCELLED;

  constructor(
    readonly startedAt: number,
    readonly inflight: number,
  ) {}

  /** The call completed. */
  succeed(): void {
    this.outcome = SUCCESS;
  }

  /** The call errored with `error`: a drop (see {@link isDrop}), or nothing to learn from. */
  fail(error: unknown): void {
    this.outcome = isDrop(error) ? DROP : IGNORED;
  }
}
