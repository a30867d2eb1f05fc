import type { Attributes } from '@opentelemetry/api';
import { ERROR_TYPE, OUTCOME } from './attributes';
import { errorType } from './errorType';

/** Distinct `error.type` values kept per policy; later ones are recorded as `_OTHER`. */
const MAX_ERROR_TYPES = 32;

/**
 * Attribute sets of one policy, built once per distinct content and reused for every record, so
 * recording allocates nothing on the hot path. Failures add `error.type`: one set per error type seen,
 * at most {@link MAX_ERROR_TYPES} (error types are classes, few by nature; past the bound, `_OTHER`), so
 * even a program that invents error names cannot grow the series without bound.
 * @internal
 */
export class AttributeSets {
  private readonly sets = new Map<string, Attributes>();
  private readonly errorTypes = new Set<string>(['_OTHER']);

  constructor(readonly base: Attributes) {}

  /** The base set plus `key: value`. */
  with(key: string, value: string): Attributes {
    const id = `${key}\u0000${value}`;
    let set = this.sets.get(id);
    if (set === undefined) {
      set = { ...this.base, [key]: value };
      this.sets.set(id, set);
    }
    return set;
  }

  /** The base set plus two pairs. */
  with2(key: string, value: string, key2: string, value2: string): Attributes {
    const id = `${key}\u0000${value}\u0000${key2}\u0000${value2}`;
    let set = this.sets.get(id);
    if (set === undefined) {
      set = { ...this.base, [key]: value, [key2]: value2 };
      this.sets.set(id, set);
    }
    return set;
  }

  /** The base set plus `outcome` and the `error.type` of `error`. */
  failure(outcome: string, error: unknown): Attributes {
    let type = errorType(error);
    if (!this.errorTypes.has(type)) {
      if (this.errorTypes.size >= MAX_ERROR_TYPES) type = '_OTHER';
      else this.errorTypes.add(type);
    }
    return this.with2(OUTCOME, outcome, ERROR_TYPE, type);
  }
}
