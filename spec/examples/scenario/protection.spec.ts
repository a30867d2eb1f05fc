import { expect } from 'chai';
import { isLeft, isRight } from 'fp-ts/lib/Either';
import { lastValueFrom } from 'rxjs';
import { createProtection, SETTINGS, type CallFailure } from '../../../examples/scenario/protection';
import { isCircuitOpenError, isTimeoutExceededError } from '../../../src/index';
import { startFaultServer, type FaultServer } from '../../../src/testing/index';

describe('examples/scenario/protection', function () {
  // Real sockets on 127.0.0.1 and real timers: the hung call takes the whole 1 s deadline.
  this.timeout(10_000);

  let server: FaultServer;
  before(async () => {
    server = await startFaultServer({ seed: 3 });
  });
  after(() => server.close());
  beforeEach(() => server.reset());

  /** The failure of a call that must fail. */
  const failureOf = async (
    call: ReturnType<ReturnType<typeof createProtection>['call']>,
  ): Promise<CallFailure> => {
    const result = await lastValueFrom(call);
    if (!isLeft(result)) expect.fail('the call should have failed');
    return result.left;
  };

  it('should answer a healthy call with right(body)', async () => {
    const result = await lastValueFrom(createProtection().call(server.urlOf('/ok')));
    expect(isRight(result) && result.right).to.equal('ok');
  });

  it('should give up on a hung dependency within the deadline, after retrying each timed-out attempt', async () => {
    const protection = createProtection();
    const started = performance.now();
    const failure = await failureOf(protection.call(server.urlOf('/hang')));
    const ms = performance.now() - started;
    // 3 attempts of 300 ms and 2 jittered backoffs (under 50 and 100 ms): the last attempt's timeout or
    // the deadline (1000 ms), whichever comes first, ends the call.
    expect(isTimeoutExceededError(failure.error)).to.equal(true);
    expect(failure.attempts).to.equal(SETTINGS.retry.maxRetries + 1);
    expect(failure.elapsed).to.be.at.least(3 * SETTINGS.attemptTimeout - 1);
    // elapsed is read from the scheduler's clock (Date.now, whole milliseconds), ms from performance.now:
    // the two round differently, so elapsed may read up to 1 ms more than the same span measured here.
    expect(failure.elapsed).to.be.at.most(ms + 1);
    expect(ms).to.be.below(SETTINGS.deadline + 2000);
    await server.whenSettled({ route: '/hang' });
    expect(server.stats('/hang')).to.include({ requests: 3, aborted: 3 });
  });

  it('should open the breaker on failures, then refuse without sending anything', async () => {
    const protection = createProtection();
    const url = server.urlOf('/status', { code: 503 });
    // Each call makes 3 attempts: 2 calls fill the breaker's 5 minimum calls with failures.
    await failureOf(protection.call(url));
    await failureOf(protection.call(url));
    expect(protection.breaker.state).to.equal('open');
    const sent = server.stats('/status').requests;
    const refused = await failureOf(protection.call(url));
    expect(isCircuitOpenError(refused.error)).to.equal(true);
    expect(refused.attempts).to.equal(0);
    expect(server.stats('/status').requests).to.equal(sent);
  });
});
