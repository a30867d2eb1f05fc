import { expect } from 'chai';
import {
  BufferOverflowError,
  BulkheadRejectedError,
  CircuitOpenError,
  HttpStatusError,
  InjectedFaultError,
  InvalidConfigError,
  NetworkError,
  RateLimitedError,
  RequestError,
  TimeoutExceededError,
  isRefusal,
  isTransient,
} from '../../src/index';

const http = (status: number) =>
  new HttpStatusError({ status, statusText: '', url: 'http://127.0.0.1/x', retryAfter: undefined, body: '' });

const refusals = [
  new CircuitOpenError({ breaker: 'b', state: 'open', retryAfter: 10 }),
  new BulkheadRejectedError({
    bulkhead: 'p',
    reason: 'full',
    active: 1,
    maxConcurrent: 1,
    queued: 0,
    maxQueued: 0,
  }),
  new RateLimitedError({ limiter: 'r', key: '', retryAfter: 5 }),
  new BufferOverflowError({ capacity: 1 }),
];

describe('isRefusal', () => {
  it('should be true for every local refusal, also from another copy of the package', () => {
    for (const error of refusals) {
      expect(isRefusal(error), error.name).to.equal(true);
      expect(isRefusal({ _tag: error._tag }), error.name).to.equal(true);
    }
  });

  it('should be false for failures of the dependency and for foreign values', () => {
    const others = [
      new TimeoutExceededError({ limit: 'total', after: 1, seen: 0, meta: undefined }),
      http(503),
      new NetworkError({ code: 'ECONNREFUSED', phase: 'connect', url: 'http://127.0.0.1/' } as never),
      new Error('x'),
      undefined,
      null,
      'CircuitOpenError',
      { _tag: 'Other' },
    ];
    for (const value of others) expect(isRefusal(value)).to.equal(false);
  });
});

describe('isTransient', () => {
  it('should be false for refusals and config errors', () => {
    for (const error of refusals) expect(isTransient(error), error.name).to.equal(false);
    expect(isTransient(new InvalidConfigError({ operator: 'op', issues: [] }))).to.equal(false);
  });

  it("should be false for fetchRequest's programming errors (RequestError), also from another copy", () => {
    const reasons = [
      'invalidUrl',
      'unsupportedScheme',
      'invalidRequest',
      'blockedPort',
      'redirectLoop',
      'unsupportedRedirect',
    ] as const;
    for (const reason of reasons) {
      const error = new RequestError({ reason, url: 'file:///etc/passwd', cause: undefined });
      expect(isTransient(error), reason).to.equal(false);
      expect(isRefusal(error), reason).to.equal(false);
    }
    expect(isTransient({ _tag: 'RequestError' })).to.equal(false);
  });

  it('should be false for a 4xx other than 408, 425 and 429', () => {
    for (const status of [400, 401, 403, 404, 409, 410, 413, 422, 451, 499])
      expect(isTransient(http(status)), String(status)).to.equal(false);
    for (const status of [408, 425, 429]) expect(isTransient(http(status)), String(status)).to.equal(true);
  });

  it('should be true for 5xx, timeouts, network errors, injected faults and unknown errors', () => {
    for (const status of [500, 502, 503, 504])
      expect(isTransient(http(status)), String(status)).to.equal(true);
    const others: unknown[] = [
      new TimeoutExceededError({ limit: 'each', after: 1, seen: 0, meta: undefined }),
      new NetworkError({ code: 'ECONNRESET', phase: 'body', url: 'http://127.0.0.1/' } as never),
      new InjectedFaultError({ kind: 'error', point: 'call', index: 0, name: 'f' } as never),
      new Error('boom'),
      'a string',
      undefined,
      { _tag: 'HttpStatusError' },
    ];
    for (const value of others) expect(isTransient(value)).to.equal(true);
  });

  it('should judge an HttpStatusError from another copy of the package by its status', () => {
    expect(isTransient({ _tag: 'HttpStatusError', info: { status: 404 } })).to.equal(false);
    expect(isTransient({ _tag: 'HttpStatusError', info: { status: 503 } })).to.equal(true);
  });
});
