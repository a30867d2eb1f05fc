import { tagOf } from '../errors/ResilienceError';

/**
 * The `error.type` of an error: the library's `_tag` (`TimeoutExceededError`, `HttpStatusError`, ...),
 * else the error's `name` (`TypeError`, `AbortError`), else its class name when `name` is the generic
 * `Error`, else `_OTHER` (semantic conventions' fallback) for anything that is not an `Error`.
 * @internal
 */
export function errorType(error: unknown): string {
  const tag = tagOf(error);
  if (typeof tag === 'string') return tag;
  if (!(error instanceof Error)) return '_OTHER';
  if (error.name !== 'Error' && typeof error.name === 'string' && error.name !== '') return error.name;
  const ctor = (error as { constructor?: { name?: unknown } }).constructor;
  return typeof ctor?.name === 'string' && ctor.name !== '' ? ctor.name : 'Error';
}
