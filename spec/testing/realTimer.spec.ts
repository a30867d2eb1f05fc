import { expect } from 'chai';
import { MAX_TIMER_DELAY, realTimer, type TimerClock } from '../../src/testing/realTimer';

/** A hand-driven clock: `advance(ms)` fires what falls due; it records every delay asked for. */
function manualClock() {
  let now = 0;
  let nextId = 0;
  const pending = new Map<number, { at: number; fn: () => void }>();
  const asked: number[] = [];
  const clock: TimerClock = {
    setTimeout(fn, ms) {
      asked.push(ms);
      // What the host does with a delay it cannot hold: fire after 1 ms.
      const wait = ms > MAX_TIMER_DELAY || !(ms >= 1) ? 1 : ms;
      pending.set(++nextId, { at: now + wait, fn });
      return nextId;
    },
    clearTimeout(handle) {
      pending.delete(handle as number);
    },
    now: () => now,
  };
  const advance = (ms: number): void => {
    const until = now + ms;
    for (;;) {
      let first: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of pending)
        if (entry[1].at <= until && (!first || entry[1].at < first[1].at)) first = entry;
      if (first === undefined) break;
      pending.delete(first[0]);
      now = first[1].at;
      first[1].fn();
    }
    now = until;
  };
  return { clock, asked, advance, pending };
}

describe('realTimer', () => {
  it('should fire once after the delay', () => {
    const { clock, advance, asked } = manualClock();
    let fired = 0;
    realTimer(250, () => fired++, clock);
    advance(249);
    expect(fired).to.equal(0);
    advance(1);
    expect(fired).to.equal(1);
    advance(10_000);
    expect([fired, asked]).to.deep.equal([1, [250]]);
  });

  it('should wait a delay above 2^31 - 1 ms in steps the host can hold, and fire at the deadline', () => {
    const { clock, advance, asked } = manualClock();
    const delay = 2 * MAX_TIMER_DELAY + 5000;
    let fired = 0;
    realTimer(delay, () => fired++, clock);
    advance(1);
    expect(fired).to.equal(0);
    advance(delay - 2);
    expect(fired).to.equal(0);
    advance(1);
    expect(fired).to.equal(1);
    expect(asked).to.deep.equal([MAX_TIMER_DELAY, MAX_TIMER_DELAY, 5000]);
    for (const ms of asked) expect(ms).to.be.at.most(MAX_TIMER_DELAY);
  });

  it('should set no timer at all for Infinity', () => {
    const { clock, advance, asked, pending } = manualClock();
    let fired = 0;
    const cancel = realTimer(Infinity, () => fired++, clock);
    advance(10 * MAX_TIMER_DELAY);
    expect([fired, asked.length, pending.size]).to.deep.equal([0, 0, 0]);
    cancel();
  });

  it('should take a negative or NaN delay as 0', () => {
    const { clock, advance, asked } = manualClock();
    let fired = 0;
    realTimer(-5, () => fired++, clock);
    realTimer(NaN, () => fired++, clock);
    advance(1);
    expect([fired, asked]).to.deep.equal([2, [0, 0]]);
  });

  it('should not fire once cancelled, also between two steps, and cancel twice harmlessly', () => {
    const { clock, advance, pending } = manualClock();
    let fired = 0;
    const early = realTimer(100, () => fired++, clock);
    const long = realTimer(3 * MAX_TIMER_DELAY, () => fired++, clock);
    early();
    advance(MAX_TIMER_DELAY + 10);
    expect(pending.size).to.equal(1);
    long();
    long();
    advance(10 * MAX_TIMER_DELAY);
    expect([fired, pending.size]).to.deep.equal([0, 0]);
  });

  it('should not fire a delay above the cap on the host after about 1 ms', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    let fired = 0;
    const cancels = [realTimer(MAX_TIMER_DELAY + 1, () => fired++), realTimer(Infinity, () => fired++)];
    try {
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(fired).to.equal(0);
      expect(warnings).to.not.include('TimeoutOverflowWarning');
    } finally {
      for (const cancel of cancels) cancel();
      process.off('warning', onWarning);
    }
  });
});
