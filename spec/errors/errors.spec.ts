import { expect } from 'chai';
import {
  BufferOverflowError,
  BulkheadRejectedError,
  CircuitOpenError,
  InvalidConfigError,
  RateLimitedError,
  RequestError,
  ResilienceError,
  TimeoutExceededError,
  isBufferOverflowError,
  isBulkheadRejectedError,
  isCircuitOpenError,
  isInvalidConfigError,
  isRateLimitedError,
  isRequestError,
  isResilienceError,
  isTimeoutExceededError,
} from '../../src/index';

const samples = [
  {
    error: new TimeoutExceededError({ limit: 'each', after: 3, seen: 1, meta: 'm' }),
    guard: isTimeoutExceededError,
    message: 'Timeout exceeded: no value within 3ms (after 1 value)',
  },
  {
    error: new CircuitOpenError({ breaker: 'api', state: 'open', retryAfter: 250 }),
    guard: isCircuitOpenError,
    message: 'Circuit breaker "api" is open: call refused (retry after 250ms)',
  },
  {
    error: new BulkheadRejectedError({
      bulkhead: 'db',
      reason: 'full',
      active: 2,
      maxConcurrent: 2,
      queued: 1,
      maxQueued: 1,
    }),
    guard: isBulkheadRejectedError,
    message: 'Bulkhead "db" is full: 2/2 running, 1/1 waiting',
  },
  {
    error: new RateLimitedError({ limiter: 'api', key: 'user-7', retryAfter: 120 }),
    guard: isRateLimitedError,
    message: 'Rate limiter "api" refused a call for key "user-7" (retry after 120ms)',
  },
  {
    error: new RequestError({ reason: 'redirectLoop', url: 'http://127.0.0.1/loop', cause: undefined }),
    guard: isRequestError,
    message: 'Request error: too many redirects from http://127.0.0.1/loop',
  },
  {
    error: new BufferOverflowError({ capacity: 10 }),
    guard: isBufferOverflowError,
    message: 'Buffer overflow: more than 10 values waiting',
  },
];

describe('errors', () => {
  for (const { error, guard, message } of samples) {
    describe(error.name, () => {
      it('should set name and _tag to the class name and keep info', () => {
        expect(error).to.be.instanceOf(ResilienceError);
        expect(error).to.be.instanceOf(Error);
        expect(error.name).to.equal(error.constructor.name);
        expect(error._tag).to.equal(error.constructor.name);
        expect(error.message).to.equal(message);
        expect(error.info).to.be.an('object');
      });

      it('should be recognised by its guard and by isResilienceError, across copies', () => {
        expect(guard(error)).to.equal(true);
        expect(isResilienceError(error)).to.equal(true);
        const foreign = { ...error, _tag: error._tag, message: error.message };
        expect(guard(foreign)).to.equal(true);
        for (const other of samples) if (other.error !== error) expect(other.guard(error)).to.equal(false);
      });
    });
  }

  it('should give messages for every timeout limit', () => {
    expect(new TimeoutExceededError({ limit: 'first', after: 5, seen: 0, meta: undefined }).message).to.equal(
      'Timeout exceeded: no first value within 5ms (after 0 values)',
    );
    expect(new TimeoutExceededError({ limit: 'total', after: 9, seen: 2, meta: undefined }).message).to.equal(
      'Timeout exceeded: no completion within 9ms (after 2 values)',
    );
  });

  it('should describe isolated breakers and queue timeouts', () => {
    expect(new CircuitOpenError({ breaker: 'b', state: 'isolated', retryAfter: Infinity }).message).to.equal(
      'Circuit breaker "b" is isolated: call refused',
    );
    const info = {
      bulkhead: 'p',
      reason: 'queueTimeout',
      active: 1,
      maxConcurrent: 1,
      queued: 0,
      maxQueued: 3,
    };
    expect(new BulkheadRejectedError(info as never).message).to.equal(
      'Bulkhead "p": call waited too long in the queue',
    );
  });

  it('should reject foreign values in every guard', () => {
    for (const value of [undefined, null, 0, 'CircuitOpenError', new Error('x'), { _tag: 'Other' }]) {
      expect(isResilienceError(value)).to.equal(false);
      expect(isInvalidConfigError(value)).to.equal(false);
      for (const { guard } of samples) expect(guard(value)).to.equal(false);
    }
  });

  it('should make InvalidConfigError a tagged TypeError, not a ResilienceError', () => {
    const error = new InvalidConfigError({ operator: 'op', issues: [] });
    expect(error).to.be.instanceOf(TypeError);
    expect(isInvalidConfigError(error)).to.equal(true);
    expect(isResilienceError(error)).to.equal(false);
  });
});
