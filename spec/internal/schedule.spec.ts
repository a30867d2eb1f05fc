import { expect } from 'chai';
import { Subscription } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { scheduleOn } from '../../src/internal/schedule';
import { TimerQueue } from '../../src/internal/TimerQueue';

describe('scheduleOn', () => {
  it('should run work after the delay, on the given scheduler', () => {
    const scheduler = new TestScheduler(() => undefined);
    scheduler.run(() => {
      const parent = new Subscription();
      const at: number[] = [];
      scheduleOn(parent, scheduler, () => at.push(scheduler.now()), 5);
      scheduler.flush();
      expect(at).to.deep.equal([5]);
    });
  });

  it('should be cancelled when the parent is unsubscribed', () => {
    const scheduler = new TestScheduler(() => undefined);
    scheduler.run(() => {
      const parent = new Subscription();
      let ran = false;
      scheduleOn(parent, scheduler, () => (ran = true), 5);
      parent.unsubscribe();
      scheduler.flush();
      expect(ran).to.equal(false);
    });
  });

  it('should queue nothing for a parent that is already closed', () => {
    const scheduler = new TestScheduler(() => undefined);
    scheduler.run(() => {
      const parent = new Subscription();
      parent.unsubscribe();
      let ran = false;
      scheduleOn(parent, scheduler, () => (ran = true), 2 ** 40);
      expect(TimerQueue.of(scheduler).size).to.equal(0);
      scheduler.flush();
      expect(ran).to.equal(false);
    });
  });

  it('should leave the parent once it has run, so many timers do not grow it', () => {
    const scheduler = new TestScheduler(() => undefined);
    scheduler.run(() => {
      const parent = new Subscription();
      let runs = 0;
      for (let i = 0; i < 100; i++) scheduleOn(parent, scheduler, () => runs++, i);
      scheduler.flush();
      expect(runs).to.equal(100);
      const finalizers = (parent as unknown as { _finalizers: unknown[] | null })._finalizers;
      expect(finalizers ?? []).to.have.length(0);
    });
  });
});
