/**
 * Builds an error without capturing a stack trace. For refusals on a policy's fast-fail path: their stack
 * would show only the policy's internals, and capturing it is most of the cost of a refused call, which
 * must stay cheap exactly when a dependency is overloaded.
 * @internal
 */
export function withoutStack<E extends Error>(build: () => E): E {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return build();
  } finally {
    Error.stackTraceLimit = limit;
  }
}
