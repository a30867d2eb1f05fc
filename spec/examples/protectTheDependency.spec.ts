import { expect } from 'chai';
import { performance } from 'perf_hooks';
import { lastValueFrom } from 'rxjs';
import { callDependency, createPolicies } from '../../examples/protectTheDependency';
import { isHttpStatusError } from '../../src/index';
import { startFaultServer, type FaultServer } from '../../src/testing/index';

/** What a call ended with: its body, or the error it failed with. */
const outcome = (call: ReturnType<typeof callDependency>): Promise<unknown> =>
  lastValueFrom(call).then(
    (body) => body,
    (error: unknown) => error,
  );

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('examples/protectTheDependency', function () {
  // Real sockets on 127.0.0.1 and real timers; the 429 holds callers for a second.
  this.timeout(15_000);
  let server: FaultServer;

  before(async () => {
    server = await startFaultServer({ seed: 17 });
  });
  after(() => server.close());
  beforeEach(() => server.reset());

  it('should cap a retry storm against a failing server with the budget', async () => {
    const policies = createPolicies();
    const url = server.urlOf('/status', { code: 503 });
    // 200 calls at once, each allowed 3 retries: 800 requests without a budget.
    const outcomes = await Promise.all(
      Array.from({ length: 200 }, () => outcome(callDependency(url, policies))),
    );
    expect(outcomes.every((e) => isHttpStatusError(e) && e.info.status === 503)).to.equal(true);
    const { reserve, totalDeposits, totalWithdrawals, totalRefusals } = policies.budget.metrics();
    const requests = server.stats('/status').requests;
    expect(reserve).to.equal(10);
    expect(totalDeposits).to.equal(200);
    expect(requests, 'first attempts plus 20% plus the reserve').to.be.at.most(200 * 1.2 + reserve);
    expect(requests).to.equal(200 + totalWithdrawals);
    // A call either had a retry refused (and failed at once) or made all 3 retries.
    expect(totalRefusals, 'calls whose retry the budget refused').to.be.at.least(200 - totalWithdrawals / 3);
  });

  it('should pause every caller after one 429 with Retry-After, then answer them all', async () => {
    const policies = createPolicies();
    // The first request gets 429 with Retry-After: 1 (s); every later one 200.
    const url = server.urlOf('/burst', { n: 1, status: 429, retryAfter: 1, key: 'pause' });
    const first = outcome(callDependency(url, policies));
    const deadline = performance.now() + 5000;
    while (
      server.requests.find((r) => r.outcome !== undefined) === undefined &&
      performance.now() < deadline
    ) {
      await sleep(5);
    }
    await sleep(50); // the 429 has reached the client and penalized the limiter
    const others = Array.from({ length: 4 }, () => outcome(callDependency(url, policies)));
    expect(await Promise.all([first, ...others])).to.deep.equal(['ok', 'ok', 'ok', 'ok', 'ok']);
    const [told, ...later] = server.requests;
    expect(told!.outcome).to.equal('finished');
    expect(later).to.have.length(5);
    for (const request of later) {
      // Retry-After: 1 s from the 429; a little less than 1000 ms after the server sent it, as the client
      // read it a moment later.
      expect(request.startedAt - told!.endedAt!, 'no request before Retry-After').to.be.at.least(950);
    }
    expect(policies.limiter.metrics()).to.include({ penalties: 1, rejected: 0 });
  });
});
