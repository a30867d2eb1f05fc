import type { CircuitBreaker } from '../breaker/CircuitBreaker';
import type { RetryBudget } from '../budget/RetryBudget';
import type { Bulkhead } from '../bulkhead/Bulkhead';
import type { RateLimiter } from '../limiter/RateLimiter';
import type { ResiliencePipeline } from '../pipeline/ResiliencePipeline';
import type { PolicyRegistry } from '../registry/PolicyRegistry';

/*
 * Brands: how the package recognises its own policies when two copies of it meet in one process. Its ES
 * module build (loaded by `import`) and its CommonJS build (loaded by `require`) are two copies, each with
 * its own classes, so `breaker instanceof CircuitBreaker` is false for a breaker the other copy made; two
 * installed versions are two copies too. `Symbol.for(key)` is the same symbol in every copy, so a brand
 * set on a class's prototype is seen by all of them (and costs nothing per instance). Every check of "is
 * this one of our policies" goes through a guard below, never `instanceof`.
 *
 * The key names the class and the version of the internal protocol between it and the operators and
 * pipeline that drive it (its members marked `@internal`). Bump `PROTOCOL` when that protocol changes
 * incompatibly: copies that do not share it then refuse each other's policies with an
 * `InvalidConfigError`, as `instanceof` did, rather than call members that are not there.
 *
 * The guards live here, not beside their classes, so that a module checking for a policy (the pipeline
 * checking its `bulkhead` option) does not import the policy's class, and a bundle that never makes one
 * leaves it out.
 */
const PROTOCOL = 1;

const brandOf = (name: string): symbol => Symbol.for(`rxjs-resilience/${name}@${PROTOCOL}`);

export const CIRCUIT_BREAKER = /* @__PURE__ */ brandOf('CircuitBreaker');
export const BULKHEAD = /* @__PURE__ */ brandOf('Bulkhead');
export const RATE_LIMITER = /* @__PURE__ */ brandOf('RateLimiter');
export const RETRY_BUDGET = /* @__PURE__ */ brandOf('RetryBudget');
export const RESILIENCE_PIPELINE = /* @__PURE__ */ brandOf('ResiliencePipeline');
export const POLICY_REGISTRY = /* @__PURE__ */ brandOf('PolicyRegistry');

/** Marks every instance of `ctor` (and of its subclasses) with `brand`, on its prototype. */
export function setBrand(ctor: abstract new (...args: never[]) => object, brand: symbol): void {
  Object.defineProperty(ctor.prototype, brand, { value: true });
}

/** Whether `value` carries `brand`: an instance of the branded class from any copy of the package. */
function hasBrand(value: unknown, brand: symbol): boolean {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}

/** A `CircuitBreaker` from any copy of the package. */
export function isCircuitBreaker(value: unknown): value is CircuitBreaker {
  return hasBrand(value, CIRCUIT_BREAKER);
}

/** A `Bulkhead` from any copy of the package. */
export function isBulkhead(value: unknown): value is Bulkhead {
  return hasBrand(value, BULKHEAD);
}

/** A `RateLimiter` from any copy of the package. */
export function isRateLimiter(value: unknown): value is RateLimiter {
  return hasBrand(value, RATE_LIMITER);
}

/** A `RetryBudget` from any copy of the package. */
export function isRetryBudget(value: unknown): value is RetryBudget {
  return hasBrand(value, RETRY_BUDGET);
}

/** A `ResiliencePipeline` from any copy of the package. */
export function isResiliencePipeline(value: unknown): value is ResiliencePipeline {
  return hasBrand(value, RESILIENCE_PIPELINE);
}

/** A `PolicyRegistry` from any copy of the package. */
export function isPolicyRegistry(value: unknown): value is PolicyRegistry<unknown, unknown> {
  return hasBrand(value, POLICY_REGISTRY);
}
