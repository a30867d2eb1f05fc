import { ResilienceError, tagOf } from './ResilienceError';

/** Why a bulkhead refused a call, and how full it was. */
export interface BulkheadRejectedInfo {
  /** The bulkhead's `name`. */
  readonly bulkhead: string;
  /** `'full'`: no free slot and no room in the queue; `'queueTimeout'`: waited `queueTimeout` ms. */
  readonly reason: 'full' | 'queueTimeout';
  /** Calls running when it was refused. */
  readonly active: number;
  /** Calls that could run at once then: the pool's `limit` (its `maxConcurrent`, unless adaptive). */
  readonly maxConcurrent: number;
  /** Calls waiting when it was refused. */
  readonly queued: number;
  readonly maxQueued: number;
}

/** Emitted by `bulkhead` when its pool refuses a call. */
export class BulkheadRejectedError extends ResilienceError<'BulkheadRejectedError', BulkheadRejectedInfo> {
  /** The error the library emits for `info`, its message written from it (for tests and adapters). */
  constructor(info: BulkheadRejectedInfo) {
    super(
      'BulkheadRejectedError',
      info.reason === 'full'
        ? `Bulkhead "${info.bulkhead}" is full: ${info.active}/${info.maxConcurrent} running, ${info.queued}/${info.maxQueued} waiting`
        : `Bulkhead "${info.bulkhead}": call waited too long in the queue`,
      info,
    );
  }
}

/** True when `value` is a `BulkheadRejectedError` (from any copy of the package). */
export function isBulkheadRejectedError(value: unknown): value is BulkheadRejectedError {
  return tagOf(value) === 'BulkheadRejectedError';
}
