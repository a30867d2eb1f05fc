import { InvalidConfigError } from '../errors/InvalidConfigError';
import { describeValue } from '../internal/decodeConfig';

/**
 * A seeded pseudo-random generator (mulberry32): returns a function that yields numbers in `[0, 1)`,
 * the same sequence for the same seed, on every platform. Use it wherever the library takes a `random`
 * (`injectFaults`, `retryBackoff`'s jitter) so that a run can be replayed from its seed.
 *
 * Not for cryptography: 32 bits of state, period 2^32.
 *
 * @example
 * const random = seededRandom(42);
 * source$.pipe(injectFaults({ fault: 'error', when: 0.1, random }));
 *
 * @param seed Any number; it is truncated to a 32-bit integer (`seededRandom(1.5)` equals `seededRandom(1)`).
 * @throws {InvalidConfigError} when `seed` is not a finite number.
 */
export function seededRandom(seed: number): () => number {
  if (typeof seed !== 'number' || !Number.isFinite(seed)) {
    const message = `\`seed\` must be a finite number, got ${describeValue(seed)}`;
    throw new InvalidConfigError({
      operator: 'seededRandom',
      issues: [{ path: 'seed', expected: 'a finite number', received: seed, message }],
    });
  }
  let state = seed | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
