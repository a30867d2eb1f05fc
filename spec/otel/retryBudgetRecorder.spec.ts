import { expect } from 'chai';
import { RetryBudget } from '../../src/budget/RetryBudget';
import { hedge } from '../../src/operators/hedge';
import { instrument } from '../../src/otel/instrument';
import { marbles } from '../helpers/marbles';
import { InMemoryMetrics } from '../helpers/otelSdk';

describe('retryBudgetRecorder', () => {
  let sdk: InMemoryMetrics;
  beforeEach(() => (sdk = new InMemoryMetrics()));
  afterEach(() => sdk.shutdown());

  // prettier-ignore
  it('should count the retries and hedges asked of a budget, allowed and refused, and read its balance', async () => {
    let budget!: RetryBudget;
    marbles((m) => {
      // No reserve, 50% of calls: one extra attempt per two calls.
      budget = new RetryBudget({ name: 'search', minRetriesPerSecond: 0, percentCanRetry: 0.5, scheduler: m.scheduler });
      instrument(budget, { meterProvider: sdk.provider });
      const slow = m.cold('---a|');
      const hedged = slow.pipe(hedge({ delay: 1, maxAttempts: 2, budget, scheduler: m.scheduler }));
      m.expect(hedged).toBeObservable('---a|');          // call 1: its hedge refused (0.5 deposited)
      m.expect(hedged, '^').toBeObservable('---a|');     // call 2: its hedge allowed at 1
    })();
    expect(await sdk.points()).to.deep.equal({
      'rxjs_resilience.retry_budget.retries': {
        'policy.name=search retry_budget.decision=allowed': 1,
        'policy.name=search retry_budget.decision=refused': 1,
      },
      'rxjs_resilience.retry_budget.balance': { 'policy.name=search': budget.balance },
    });
  });
});
