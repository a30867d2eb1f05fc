/**
 * A tiny seeded PRNG (mulberry32) returning numbers in [0, 1): the same seed gives the same sequence, so
 * jitter and other chance-driven behaviour can be asserted exactly. For specs only.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}
