import { ResilienceError, tagOf } from './ResilienceError';

/** The bound that `boundedMergeMap` hit. */
export interface BufferOverflowInfo {
  /** The buffer's capacity, in values. */
  readonly capacity: number;
}

/** Emitted by `boundedMergeMap` with `overflow: 'error'` when a value arrives at a full buffer. */
export class BufferOverflowError extends ResilienceError<'BufferOverflowError', BufferOverflowInfo> {
  /** The error the library emits for `info`, its message written from it (for tests and adapters). */
  constructor(info: BufferOverflowInfo) {
    super('BufferOverflowError', `Buffer overflow: more than ${info.capacity} values waiting`, info);
  }
}

/** True when `value` is a `BufferOverflowError` (from any copy of the package). */
export function isBufferOverflowError(value: unknown): value is BufferOverflowError {
  return tagOf(value) === 'BufferOverflowError';
}
