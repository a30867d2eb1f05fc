/** The `_tag` of every error class of this library. */
export type ResilienceErrorTag =
  | 'TimeoutExceededError'
  | 'CircuitOpenError'
  | 'BulkheadRejectedError'
  | 'BufferOverflowError'
  | 'InjectedFaultError'
  | 'HttpStatusError'
  | 'NetworkError'
  | 'RequestError'
  | 'RateLimitedError';

/**
 * Base class of every error this library emits at run time. `name` and `_tag` both equal the class name,
 * and `info` holds the typed details of what happened. Use the `isXxx` guards rather than `instanceof`
 * where two copies of the package may meet: the guards check `_tag`.
 */
export class ResilienceError<
  Tag extends ResilienceErrorTag = ResilienceErrorTag,
  Info = unknown,
> extends Error {
  /** Discriminant equal to the class name; survives two copies of the package and serialisation. */
  readonly _tag: Tag;
  /** Typed details of the failure. */
  readonly info: Info;

  /**
   * An error of the subclass `tag` (set as both `name` and `_tag`), with its `message` and `info`.
   */
  constructor(tag: Tag, message: string, info: Info) {
    super(message);
    this.name = tag;
    this._tag = tag;
    this.info = info;
  }
}

const TAGS: ReadonlySet<string> = new Set<ResilienceErrorTag>([
  'TimeoutExceededError',
  'CircuitOpenError',
  'BulkheadRejectedError',
  'BufferOverflowError',
  'InjectedFaultError',
  'HttpStatusError',
  'NetworkError',
  'RequestError',
  'RateLimitedError',
]);

/** Reads `_tag` of anything without throwing. @internal */
export function tagOf(value: unknown): unknown {
  return typeof value === 'object' && value !== null ? (value as { _tag?: unknown })._tag : undefined;
}

/** True for every error of this library (checks `_tag`, so it works across two copies of the package). */
export function isResilienceError(value: unknown): value is ResilienceError {
  const tag = tagOf(value);
  return typeof tag === 'string' && TAGS.has(tag);
}
