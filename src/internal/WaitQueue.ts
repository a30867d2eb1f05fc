/**
 * The links a {@link WaitQueue} keeps inside each of its nodes. A node belongs to at most one queue at a
 * time; while it is outside any queue both links are `null`. Not named `prev`/`next`: a node may also be
 * an operator subscriber's handlers (a bulkhead's waiting call is), whose `next` takes values.
 * @internal
 */
export interface WaitNode {
  /** The node queued just before this one (towards the head), or `null`. Owned by the queue. */
  queuePrev: WaitNode | null;
  /** The node queued just after this one (towards the tail), or `null`. Owned by the queue. */
  queueNext: WaitNode | null;
}

/**
 * An intrusive doubly-linked FIFO: the links live in the nodes themselves, so `push`, `shift` and
 * `remove(node)` are O(1) and allocate nothing (no `Array#shift` or `splice`, whose cost grows with the
 * queue: draining 100 000 waiting calls with `shift()` is quadratic). A waiting call is its own node, so
 * cancelling it needs no search.
 * @internal
 */
export class WaitQueue<N extends WaitNode> {
  private head: N | null = null;
  private tail: N | null = null;
  private count = 0;

  /** Nodes in the queue. */
  get size(): number {
    return this.count;
  }

  /** The oldest node, without removing it. */
  peek(): N | undefined {
    return this.head ?? undefined;
  }

  /** True when `node` is in this queue. O(1). */
  has(node: N): boolean {
    return node.queuePrev !== null || this.head === node;
  }

  /** Appends `node` at the tail. Throws if it is already queued (a node has one set of links). */
  push(node: N): void {
    if (this.has(node) || node.queueNext !== null) throw new Error('WaitQueue: node is already queued');
    const tail = this.tail;
    if (tail === null) {
      this.head = node;
    } else {
      tail.queueNext = node;
      node.queuePrev = tail;
    }
    this.tail = node;
    this.count++;
  }

  /** Removes and returns the oldest node, or `undefined` when empty. */
  shift(): N | undefined {
    const node = this.head;
    if (node === null) return undefined;
    this.unlink(node);
    return node;
  }

  /** Removes `node` wherever it is in the queue. Returns false (and does nothing) if it is not queued. */
  remove(node: N): boolean {
    if (!this.has(node)) return false;
    this.unlink(node);
    return true;
  }

  /** Removes every node (each is unlinked, so it can be queued again). */
  clear(): void {
    while (this.head !== null) this.unlink(this.head);
  }

  /** The nodes from head to tail (a snapshot is not taken: do not mutate while iterating). */
  *[Symbol.iterator](): IterableIterator<N> {
    for (let node = this.head; node !== null; node = node.queueNext as N | null) yield node;
  }

  private unlink(node: N): void {
    const { queuePrev: prev, queueNext: next } = node;
    if (prev === null) this.head = next as N | null;
    else prev.queueNext = next;
    if (next === null) this.tail = prev as N | null;
    else next.queuePrev = prev;
    node.queuePrev = null;
    node.queueNext = null;
    this.count--;
  }
}
