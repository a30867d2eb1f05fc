import { tagOf } from './ResilienceError';

/** One bad field of a config. */
export interface ConfigIssue {
  /** Dotted path of the field (`window.size`), or `''` for the config itself. */
  readonly path: string;
  /** What was expected, in words (`a non-negative integer`). */
  readonly expected: string;
  /** The value received. */
  readonly received: unknown;
  /** The issue as one sentence. */
  readonly message: string;
}

/** What was wrong with a config. */
export interface InvalidConfigInfo {
  /** The operator or policy that was given the config (`retryBackoff`, `CircuitBreaker`). */
  readonly operator: string;
  readonly issues: ReadonlyArray<ConfigIssue>;
}

/**
 * Thrown synchronously when an operator or policy is created with a bad config: a programming error,
 * reported where it was written rather than inside a subscription. The message names every bad field,
 * what was expected and what was received.
 */
export class InvalidConfigError extends TypeError {
  readonly _tag = 'InvalidConfigError' as const;
  readonly info: InvalidConfigInfo;

  /** The error the library emits for `info`, its message written from it (for tests and adapters). */
  constructor(info: InvalidConfigInfo) {
    super(`${info.operator}: invalid config: ${info.issues.map((issue) => issue.message).join('; ')}`);
    this.name = 'InvalidConfigError';
    this.info = info;
  }
}

/** True when `value` is an `InvalidConfigError` (from any copy of the package). */
export function isInvalidConfigError(value: unknown): value is InvalidConfigError {
  return tagOf(value) === 'InvalidConfigError';
}
