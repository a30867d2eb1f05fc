import type { Attributes } from '@opentelemetry/api';
import { ERROR_TYPE, OUTCOME } from './attributes';
import { errorType } from './errorType';

/** Distinct `error.type` values kept per policy; later ones are recorded as `_OTHER`. */
const MAX_ERROR_TYPES = 32;

/** Attribute sets by the values of one or two keys: lookups by the strings given, nothing concatenated. */
type SetsByValue = Map<string, Attributes>;

/**
 * Attribute sets of one policy, each built once and reused for every record, so recording allocates
 * nothing on the hot path and the counts kept by `Telemetry` are found by identity. Failures add
 * `error.type`: one set per error type seen, at most {@link MAX_ERROR_TYPES} (error types are classes, few
 * by nature; past the bound, `_OTHER`), so even a program that invents error names cannot grow the series
 * without bound.
 * @internal
 */
export class AttributeSets {
  private readonly single = new Map<string, SetsByValue>();
  private readonly double = new Map<string, Map<string, Map<string, SetsByValue>>>();
  private readonly errorTypes = new Set<string>(['_OTHER']);

  constructor(readonly base: Attributes) {}

  /** The base set plus `key: value`. */
  with(key: string, value: string): Attributes {
    let byValue = this.single.get(key);
    if (byValue === undefined) {
      byValue = new Map();
      this.single.set(key, byValue);
    }
    let set = byValue.get(value);
    if (set === undefined) {
      set = { ...this.base, [key]: value };
      byValue.set(value, set);
    }
    return set;
  }

  /** The base set plus `key: value` and `key2: value2` . */
  with2(key: string, value: string, key2: string, value2: string): Attributes {
    let byKey2 = this.double.get(key);
    if (byKey2 === undefined) {
      byKey2 = new Map();
      this.double.set(key, byKey2);
    }
    let byValue = byKey2.get(key2);
    if (byValue === undefined) {
      byValue = new Map();
      byKey2.set(key2, byValue);
    }
    let byValue2 = byValue.get(value);
    if (byValue2 === undefined) {
      byValue2 = new Map();
      byValue.set(value, byValue2);
    }
    let set = byValue2.get(value2);
    if (set === undefined) {
      set = { ...this.base, [key]: value, [key2]: value2 };
      byValue2.set(value2, set);
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
