/**
 * A small seeded pseudo-random generator (mulberry32): the same seed gives the same sequence of numbers
 * in [0, 1), so a fault server or proxy run can be replayed draw for draw. Not for cryptography.
 * @internal
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  };
}
