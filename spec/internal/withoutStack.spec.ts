import { expect } from 'chai';
import { withoutStack } from '../../src/internal/withoutStack';

describe('withoutStack', () => {
  it('should build the error with no stack frames, then restore the stack trace limit', () => {
    const before = Error.stackTraceLimit;
    const error = withoutStack(() => new Error('refused'));
    expect(error.message).to.equal('refused');
    expect(error.stack?.split('\n').filter((line) => line.trim().startsWith('at '))).to.deep.equal([]);
    expect(Error.stackTraceLimit).to.equal(before);
    expect(new Error('normal').stack).to.contain('    at ');
  });

  it('should restore the limit when building throws', () => {
    const before = Error.stackTraceLimit;
    expect(() =>
      withoutStack(() => {
        throw new Error('thrown');
      }),
    ).to.throw('thrown');
    expect(Error.stackTraceLimit).to.equal(before);
  });
});
