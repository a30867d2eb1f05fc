import { expect } from 'chai';
import { Subject } from 'rxjs';
import { OrderedSubject } from '../../src/internal/OrderedSubject';

describe('OrderedSubject', () => {
  /** Two observers; the first emits `reaction(value)` from inside, once per value that has one. */
  function run(
    subject: { subscribe(next: (value: number) => void): unknown; next(value: number): void },
    reaction: (value: number) => number | undefined,
  ): string[][] {
    const seen: string[][] = [[], []];
    subject.subscribe((v) => {
      seen[0]!.push(String(v));
      const next = reaction(v);
      if (next !== undefined) subject.next(next);
    });
    subject.subscribe((v) => seen[1]!.push(String(v)));
    subject.next(1);
    return seen;
  }

  it('should deliver a value emitted from inside an observer after the outer one, to every observer', () => {
    const reaction = (v: number) => (v < 3 ? v + 1 : undefined);
    expect(run(new OrderedSubject<number>(), reaction)).to.deep.equal([
      ['1', '2', '3'],
      ['1', '2', '3'],
    ]);
    // A plain Subject: the second observer sees the newest value first and ends on the oldest.
    expect(run(new Subject<number>(), reaction)[1]).to.deep.equal(['3', '2', '1']);
  });

  it('should keep the order of several values emitted by one reaction, and empty its backlog', () => {
    const subject = new OrderedSubject<number>();
    const seen: number[] = [];
    subject.subscribe((v) => {
      if (v === 0) {
        subject.next(1);
        subject.next(2);
      }
    });
    subject.subscribe((v) => seen.push(v));
    subject.next(0);
    subject.next(3);
    expect(seen).to.deep.equal([0, 1, 2, 3]);
  });

  it('should not give a subscriber added during a delivery what was emitted before it subscribed', () => {
    const subject = new OrderedSubject<number>();
    const late: number[] = [];
    subject.subscribe((v) => {
      if (v !== 0) return;
      subject.next(1); // waits for its turn
      subject.subscribe((w) => late.push(w));
      subject.next(2);
    });
    subject.next(0);
    expect(late).to.deep.equal([2]);
  });

  it('should deliver what is posted only at the next flush, in order with what is emitted meanwhile', () => {
    const events = new OrderedSubject<string>();
    const states = new OrderedSubject<string>(events.order);
    const seen: string[] = [];
    events.subscribe((e) => seen.push(`event ${e}`));
    states.subscribe((s) => seen.push(`state ${s}`));
    events.post('transition');
    states.post('open');
    expect(seen).to.deep.equal([]);
    events.next('refuse'); // behind what waits
    expect(seen).to.deep.equal(['event transition', 'state open', 'event refuse']);
    states.post('closed');
    events.order.flush();
    expect(seen).to.have.length(4);
  });
});
