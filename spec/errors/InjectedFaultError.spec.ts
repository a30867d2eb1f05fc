import { expect } from 'chai';
import {
  InjectedFaultError,
  isInjectedFaultError,
  type InjectedFaultInfo,
} from '../../src/errors/InjectedFaultError';
import { ResilienceError, isResilienceError } from '../../src/errors/ResilienceError';
import { TimeoutExceededError } from '../../src/errors/TimeoutExceededError';

const info: InjectedFaultInfo = { name: 'db', kind: 'error', per: 'value', call: 2, value: 7, latency: 0 };

describe('InjectedFaultError', () => {
  it('should set name and _tag to the class name and keep info', () => {
    const error = new InjectedFaultError(info);
    expect(error).to.be.instanceOf(ResilienceError);
    expect(error).to.be.instanceOf(Error);
    expect([error.name, error._tag]).to.deep.equal(['InjectedFaultError', 'InjectedFaultError']);
    expect(error.info).to.equal(info);
  });

  it('should say where the fault was injected', () => {
    expect(new InjectedFaultError(info).message).to.equal('Injected fault "db": error at call 2, value 7');
    expect(new InjectedFaultError({ ...info, per: 'call', value: undefined }).message).to.equal(
      'Injected fault "db": error at call 2',
    );
  });

  it('should be recognised by its guard and by isResilienceError, across copies', () => {
    const error = new InjectedFaultError(info);
    expect(isInjectedFaultError(error)).to.equal(true);
    expect(isResilienceError(error)).to.equal(true);
    expect(isInjectedFaultError({ _tag: 'InjectedFaultError', info })).to.equal(true);
  });

  it('should reject other values', () => {
    const others = [undefined, null, 'InjectedFaultError', new Error('x'), { _tag: 'Other' }];
    for (const value of [
      ...others,
      new TimeoutExceededError({ limit: 'each', after: 1, seen: 0, meta: 1 }),
    ]) {
      expect(isInjectedFaultError(value)).to.equal(false);
    }
  });
});
