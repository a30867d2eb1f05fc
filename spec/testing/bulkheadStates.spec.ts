import { expect } from 'chai';
import { NEVER, Subject, takeUntil } from 'rxjs';
import { Bulkhead } from '../../src/bulkhead/Bulkhead';
import type { BulkheadEvent } from '../../src/bulkhead/BulkheadEvent';
import { bulkhead } from '../../src/operators/bulkhead';
import { bulkheadStates, type BulkheadState } from '../../src/testing/bulkheadStates';
import { marbles } from '../helpers/marbles';

describe('bulkheadStates', () => {
  it(
    'should end on the true state when a first events$ observer starts a call on released',
    marbles((m) => {
      const pool = new Bulkhead({ maxConcurrent: 1, scheduler: m.scheduler });
      let restarted = false;
      pool.events$.subscribe((e) => {
        if (e.type === 'released' && !restarted) {
          restarted = true;
          NEVER.pipe(bulkhead(pool)).subscribe();
        }
      });
      const seen: BulkheadState[] = [];
      const last: BulkheadEvent[] = [];
      bulkheadStates(pool).subscribe((s) => seen.push(s));
      pool.events$.subscribe((e) => last.push(e));
      // prettier-ignore
      const call = m.cold('--|');
      call.pipe(bulkhead(pool)).subscribe();
      m.flush();
      expect(pool.active).to.equal(1);
      expect(seen).to.deep.equal(['empty', 'full', 'empty', 'full']);
      // Every observer sees released (0/0) before the admission it caused (1/0).
      expect(last.map((e) => `${e.type} ${e.active}/${e.queued}`)).to.deep.equal([
        'admitted 1/0',
        'released 0/0',
        'admitted 1/0',
      ]);
    }),
  );

  it('should deliver events raised by observers after the one being delivered, to every observer', () => {
    const pool = new Bulkhead({ maxConcurrent: 2, maxQueued: 1 });
    const cancel = new Subject<void>();
    const logs: string[][] = [[], [], []];
    pool.events$.subscribe((e) => {
      logs[0]!.push(`${e.type} ${e.active}/${e.queued}`);
      if (e.type === 'admitted' && e.active === 1) NEVER.pipe(bulkhead(pool)).subscribe();
      if (e.type === 'admitted' && e.active === 2) cancel.next();
    });
    pool.events$.subscribe((e) => logs[1]!.push(`${e.type} ${e.active}/${e.queued}`));
    pool.events$.subscribe((e) => logs[2]!.push(`${e.type} ${e.active}/${e.queued}`));
    NEVER.pipe(bulkhead(pool), takeUntil(cancel)).subscribe();
    expect(logs[0]).to.deep.equal(['admitted 1/0', 'admitted 2/0', 'released 1/0']);
    expect(logs[1]).to.deep.equal(logs[0]);
    expect(logs[2]).to.deep.equal(logs[0]);
    expect([pool.active, pool.queued]).to.deep.equal([1, 0]);
  });
});
