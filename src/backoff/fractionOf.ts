/**
 * `fraction * whole` for a `fraction` in [0, 1), where a zero fraction of an endless delay is no delay:
 * `fractionOf(0, Infinity)` is 0, never the NaN that `0 * Infinity` gives.
 */
export function fractionOf(fraction: number, whole: number): number {
  return fraction === 0 ? 0 : fraction * whole;
}
