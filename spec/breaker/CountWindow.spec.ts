import { expect } from 'chai';
import { CountWindow } from '../../src/breaker/CountWindow';

function sums(w: CountWindow) {
  return { calls: w.calls, failures: w.failures, slowCalls: w.slowCalls };
}

describe('CountWindow', () => {
  it('should keep running sums of failures and slow calls', () => {
    const w = new CountWindow(5);
    w.record(false, false);
    w.record(true, false);
    w.record(true, true);
    w.record(false, true);
    expect(sums(w)).to.deep.equal({ calls: 4, failures: 2, slowCalls: 2 });
  });

  it('should evict the oldest outcome once full, across many wraps of the ring', () => {
    const w = new CountWindow(3);
    const all: Array<[boolean, boolean]> = [];
    for (let i = 0; i < 100; i++) {
      const outcome: [boolean, boolean] = [i % 3 === 0, i % 7 === 0];
      all.push(outcome);
      w.record(...outcome);
      const last = all.slice(-3);
      expect(sums(w), `after ${i + 1}`).to.deep.equal({
        calls: last.length,
        failures: last.filter(([f]) => f).length,
        slowCalls: last.filter(([, s]) => s).length,
      });
    }
  });

  it('should clear to empty and start again', () => {
    const w = new CountWindow(2);
    w.record(true, true);
    w.record(true, true);
    w.clear();
    expect(sums(w)).to.deep.equal({ calls: 0, failures: 0, slowCalls: 0 });
    w.record(true, false);
    expect(sums(w)).to.deep.equal({ calls: 1, failures: 1, slowCalls: 0 });
  });

  it('should save outcomes oldest first and restore the newest size of them', () => {
    const w = new CountWindow(3);
    for (const [f, s] of [
      [true, false],
      [false, true],
      [true, true],
      [false, false],
    ] as const)
      w.record(f, s);
    expect(w.toJSON()).to.deep.equal({ type: 'count', outcomes: [2, 3, 0] });
    const smaller = new CountWindow(2);
    smaller.restore(w.toJSON());
    expect(smaller.toJSON()).to.deep.equal({ type: 'count', outcomes: [3, 0] });
    expect(sums(smaller)).to.deep.equal({ calls: 2, failures: 1, slowCalls: 1 });
  });

  it('should hold one byte per outcome of its size, whatever the number of outcomes recorded', () => {
    const w = new CountWindow(1000);
    for (let i = 0; i < 1e5; i++) w.record(i % 2 === 0, false);
    expect(w.calls).to.equal(1000);
    expect(w.failures).to.equal(500);
  });
});
