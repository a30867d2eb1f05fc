import { expect } from 'chai';
import { WaitQueue, type WaitNode } from '../../src/internal/WaitQueue';

class Item implements WaitNode {
  queuePrev: WaitNode | null = null;
  queueNext: WaitNode | null = null;
  constructor(readonly id: number) {}
}

const ids = (queue: WaitQueue<Item>): number[] => [...queue].map((item) => item.id);
const items = (n: number): Item[] => Array.from({ length: n }, (_, i) => new Item(i));

describe('WaitQueue', () => {
  it('should shift in the order pushed (FIFO) and report its size', () => {
    const queue = new WaitQueue<Item>();
    for (const item of items(4)) queue.push(item);
    expect(queue.size).to.equal(4);
    expect(queue.peek()?.id).to.equal(0);
    expect([queue.shift()?.id, queue.shift()?.id]).to.deep.equal([0, 1]);
    expect(queue.size).to.equal(2);
    expect(ids(queue)).to.deep.equal([2, 3]);
  });

  it('should return undefined from shift and peek when empty', () => {
    const queue = new WaitQueue<Item>();
    expect(queue.shift()).to.equal(undefined);
    expect(queue.peek()).to.equal(undefined);
    expect(queue.size).to.equal(0);
  });

  it('should remove the head, a middle node, the tail and the only node, keeping the links right', () => {
    const queue = new WaitQueue<Item>();
    const [a, b, c, d, e] = items(5) as [Item, Item, Item, Item, Item];
    for (const item of [a, b, c, d, e]) queue.push(item);
    expect(queue.remove(c)).to.equal(true);
    expect(ids(queue)).to.deep.equal([0, 1, 3, 4]);
    expect(queue.remove(a)).to.equal(true);
    expect(ids(queue)).to.deep.equal([1, 3, 4]);
    expect(queue.remove(e)).to.equal(true);
    expect(ids(queue)).to.deep.equal([1, 3]);
    queue.push(e);
    expect(ids(queue)).to.deep.equal([1, 3, 4]);
    expect([queue.shift(), queue.shift(), queue.shift()]).to.deep.equal([b, d, e]);
    queue.push(a);
    expect(queue.remove(a)).to.equal(true);
    expect([queue.size, queue.peek(), queue.shift()]).to.deep.equal([0, undefined, undefined]);
  });

  it('should unlink every node that leaves, so it can be queued again', () => {
    const queue = new WaitQueue<Item>();
    const [a, b] = items(2) as [Item, Item];
    queue.push(a);
    queue.push(b);
    queue.shift();
    queue.remove(b);
    for (const item of [a, b]) expect([item.queuePrev, item.queueNext]).to.deep.equal([null, null]);
    queue.push(b);
    queue.push(a);
    expect(ids(queue)).to.deep.equal([1, 0]);
    queue.clear();
    expect(queue.size).to.equal(0);
    expect([a.queuePrev, a.queueNext, b.queuePrev, b.queueNext]).to.deep.equal([null, null, null, null]);
  });

  it('should refuse to remove a node it does not hold, changing nothing', () => {
    const queue = new WaitQueue<Item>();
    const [a, b, stranger] = items(3) as [Item, Item, Item];
    queue.push(a);
    queue.push(b);
    expect(queue.remove(stranger)).to.equal(false);
    queue.shift();
    expect(queue.remove(a)).to.equal(false);
    expect(queue.has(a)).to.equal(false);
    expect(queue.has(b)).to.equal(true);
    expect(ids(queue)).to.deep.equal([1]);
    expect(queue.size).to.equal(1);
  });

  it('should throw when a node is pushed twice', () => {
    const queue = new WaitQueue<Item>();
    const [a, b] = items(2) as [Item, Item];
    queue.push(a);
    expect(() => queue.push(a)).to.throw('already queued');
    queue.push(b);
    expect(() => queue.push(a)).to.throw('already queued');
    expect(ids(queue)).to.deep.equal([0, 1]);
  });

  it('should keep order through 100 000 pushes, removal of every third node and a full drain', () => {
    const queue = new WaitQueue<Item>();
    const all = items(100_000);
    for (const item of all) queue.push(item);
    for (let i = 0; i < all.length; i += 3) queue.remove(all[i]!);
    const expected = all.filter((_, i) => i % 3 !== 0).map((item) => item.id);
    expect(queue.size).to.equal(expected.length);
    const drained: number[] = [];
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) drained.push(item.id);
    expect(drained).to.deep.equal(expected);
    expect(queue.size).to.equal(0);
  });
});
