import { expect } from 'chai';
import { LazyAbortSignal } from '../../src/pipeline/LazyAbortSignal';

/** The signal as a user's function sees it. */
const asSignal = (lazy: LazyAbortSignal): AbortSignal => lazy as unknown as AbortSignal;

describe('LazyAbortSignal', () => {
  it('should be an AbortSignal that reads as not aborted, without making a controller', () => {
    const lazy = new LazyAbortSignal();
    const signal = asSignal(lazy);
    expect(signal).to.be.instanceOf(AbortSignal);
    expect(signal.aborted).to.equal(false);
    expect(signal.reason).to.equal(undefined);
    expect(() => signal.throwIfAborted()).to.not.throw();
    expect((lazy as unknown as { controller: unknown }).controller).to.equal(null);
  });

  it('should read as aborted with its reason once cut, still without a controller', () => {
    const lazy = new LazyAbortSignal();
    const reason = new Error('cut');
    lazy.abort(reason);
    lazy.abort(new Error('again'));
    const signal = asSignal(lazy);
    expect(signal.aborted).to.equal(true);
    expect(signal.reason).to.equal(reason);
    expect(() => signal.throwIfAborted()).to.throw('cut');
    expect((lazy as unknown as { controller: unknown }).controller).to.equal(null);
  });

  it('should call listeners added before the cut, once, with the reason on the signal', () => {
    const lazy = new LazyAbortSignal();
    const signal = asSignal(lazy);
    const seen: unknown[] = [];
    signal.addEventListener('abort', () => seen.push(signal.reason));
    signal.onabort = () => seen.push('onabort');
    const reason = new Error('cut');
    lazy.abort(reason);
    lazy.abort(new Error('again'));
    expect(seen).to.deep.equal([reason, 'onabort']);
  });

  it('should be already aborted for a listener added after the cut (the event has passed)', () => {
    const lazy = new LazyAbortSignal();
    lazy.abort('late');
    const signal = asSignal(lazy);
    let called = false;
    signal.addEventListener('abort', () => (called = true));
    expect(signal.aborted).to.equal(true);
    expect(signal.reason).to.equal('late');
    expect(called).to.equal(false);
  });

  it('should let a listener be removed', () => {
    const lazy = new LazyAbortSignal();
    const signal = asSignal(lazy);
    let called = 0;
    const listener = () => called++;
    signal.addEventListener('abort', listener);
    signal.removeEventListener('abort', listener);
    lazy.abort('x');
    expect(called).to.equal(0);
    expect(signal.onabort).to.equal(null);
  });

  it('should work with fetch-style listeners that read aborted first', () => {
    const lazy = new LazyAbortSignal();
    const signal = asSignal(lazy);
    const seen: unknown[] = [];
    if (!signal.aborted) signal.addEventListener('abort', () => seen.push(signal.reason), { once: true });
    lazy.abort('cut');
    expect(seen).to.deep.equal(['cut']);
  });
});
