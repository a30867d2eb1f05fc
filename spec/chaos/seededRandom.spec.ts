import { expect } from 'chai';
import { seededRandom } from '../../src/chaos/seededRandom';
import { InvalidConfigError } from '../../src/errors/InvalidConfigError';
import { captureThrow } from '../helpers/captureError';

describe('seededRandom', () => {
  it('should give the same sequence for the same seed, pinned so a seed replays across versions', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const first = [a(), a(), a()];
    expect([b(), b(), b()]).to.deep.equal(first);
    expect(first).to.deep.equal([0.6011037519201636, 0.44829055899754167, 0.8524657934904099]);
  });

  it('should give different sequences for different seeds', () => {
    const a = seededRandom(1);
    const b = seededRandom(2);
    const xs = Array.from({ length: 10 }, () => [a(), b()]);
    expect(xs.filter(([x, y]) => x === y)).to.have.length(0);
  });

  it('should stay in [0, 1) and spread evenly', () => {
    const random = seededRandom(123);
    const buckets = new Array<number>(10).fill(0);
    const outside: number[] = [];
    for (let i = 0; i < 100_000; i++) {
      const x = random();
      if (!(x >= 0 && x < 1)) outside.push(x);
      else buckets[Math.floor(x * 10)]!++;
    }
    expect(outside).to.deep.equal([]);
    for (const count of buckets) expect(count).to.be.within(9_500, 10_500);
  });

  it('should truncate the seed to a 32-bit integer', () => {
    const a = seededRandom(7.9);
    const b = seededRandom(7);
    const c = seededRandom(7 + 2 ** 32);
    const first = a();
    expect(b()).to.equal(first);
    expect(c()).to.equal(first);
  });

  for (const seed of [NaN, Infinity, '1' as unknown as number, undefined as unknown as number]) {
    it(`should throw InvalidConfigError for the seed ${String(seed)}`, () => {
      const error = captureThrow(() => seededRandom(seed));
      expect(error).to.be.instanceOf(InvalidConfigError);
      expect((error as Error).message).to.match(
        /^seededRandom: invalid config: `seed` must be a finite number, got /,
      );
    });
  }

  it('should name the received value in its message', () => {
    expect((captureThrow(() => seededRandom(NaN)) as Error).message).to.equal(
      'seededRandom: invalid config: `seed` must be a finite number, got NaN (number)',
    );
  });
});
