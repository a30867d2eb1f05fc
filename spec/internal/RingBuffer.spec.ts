import { expect } from 'chai';
import { setFlagsFromString } from 'v8';
import { runInNewContext } from 'vm';
import { RingBuffer } from '../../src/internal/RingBuffer';
import { captureThrow } from '../helpers/captureError';

/** A full garbage collection, available without --expose-gc. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** Lets the current job end: a WeakRef target created in it stays alive until then. */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('RingBuffer', () => {
  it('should keep values in FIFO order across wrap-around', () => {
    const ring = new RingBuffer<number>(3);
    const out: number[] = [];
    for (let i = 0; i < 10; i++) {
      expect(ring.push(i)).to.equal(true);
      if (ring.size === 2) out.push(ring.shift()!);
    }
    while (ring.size > 0) out.push(ring.shift()!);
    expect(out).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('should refuse a push when full and keep what it holds', () => {
    const ring = new RingBuffer<string>(2);
    expect([ring.push('a'), ring.push('b'), ring.push('c')]).to.deep.equal([true, true, false]);
    expect(ring.full).to.equal(true);
    expect(ring.toArray()).to.deep.equal(['a', 'b']);
  });

  it('should drop the oldest value and return it', () => {
    const ring = new RingBuffer<string>(2);
    ring.push('a');
    ring.push('b');
    expect(ring.dropOldest()).to.equal('a');
    expect(ring.push('c')).to.equal(true);
    expect(ring.toArray()).to.deep.equal(['b', 'c']);
    expect(ring.peek()).to.equal('b');
  });

  it('should hold nothing with capacity 0', () => {
    const ring = new RingBuffer<number>(0);
    expect(ring.full).to.equal(true);
    expect(ring.push(1)).to.equal(false);
    expect([ring.size, ring.shift(), ring.dropOldest(), ring.peek()]).to.deep.equal([
      0,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('should grow past its first allocation in order, up to capacity and no further', () => {
    const ring = new RingBuffer<number>(100);
    // Wrap the circle before it grows, so growing has to unroll it.
    for (let i = 0; i < 10; i++) ring.push(i);
    for (let i = 0; i < 10; i++) ring.shift();
    for (let i = 10; i < 110; i++) ring.push(i);
    expect(ring.size).to.equal(100);
    expect(ring.toArray()).to.deep.equal(Array.from({ length: 100 }, (_, i) => i + 10));
    expect((ring as unknown as { slots: unknown[] }).slots.length).to.equal(100);
  });

  it('should not allocate its whole capacity up front', () => {
    const ring = new RingBuffer<number>(1_000_000_000);
    ring.push(1);
    expect((ring as unknown as { slots: unknown[] }).slots.length).to.be.at.most(16);
  });

  it('should empty on clear and stay usable', () => {
    const ring = new RingBuffer<number>(4);
    for (let i = 0; i < 4; i++) ring.push(i);
    ring.clear();
    expect(ring.size).to.equal(0);
    ring.push(7);
    expect(ring.toArray()).to.deep.equal([7]);
  });

  it('should take amortised constant time per operation', () => {
    // 200 000 pushes and shifts through a 100 000-slot ring: with Array#shift this is ~10^10 element moves.
    const ring = new RingBuffer<number>(100_000);
    for (let i = 0; i < 100_000; i++) ring.push(i);
    let sum = 0;
    for (let i = 0; i < 100_000; i++) {
      sum += ring.shift()!;
      ring.push(i);
    }
    expect(sum).to.equal((100_000 * 99_999) / 2);
    expect(ring.size).to.equal(100_000);
  });

  it('should reject a capacity that is not a non-negative integer', () => {
    for (const capacity of [-1, 1.5, NaN, Infinity]) {
      expect(captureThrow(() => new RingBuffer(capacity))).to.be.instanceOf(RangeError);
    }
  });

  describe('memory', () => {
    it('should not keep a value alive once shifted, dropped or cleared', async () => {
      const ring = new RingBuffer<object>(4);
      const refs: Array<WeakRef<object>> = [];
      const fill = (): void => {
        for (let i = 0; i < 4; i++) {
          const value = { i };
          refs.push(new WeakRef(value));
          ring.push(value);
        }
      };
      fill();
      ring.shift();
      ring.dropOldest();
      await nextTurn();
      collectGarbage();
      expect(refs.map((r) => r.deref() !== undefined)).to.deep.equal([false, false, true, true]);
      ring.clear();
      await nextTurn();
      collectGarbage();
      expect(refs.every((r) => r.deref() === undefined)).to.equal(true);
      expect(ring.size).to.equal(0); // the ring itself is still alive here
    });
  });
});
