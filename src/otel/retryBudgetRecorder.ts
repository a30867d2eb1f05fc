import type { Subscription } from 'rxjs';
import type { RetryBudget, RetryBudgetMetrics } from '../budget/RetryBudget';
import { isRetryBudget } from '../internal/brand';
import { POLICY_NAME, RETRY_BUDGET_DECISION } from './attributes';
import { AttributeSets } from './AttributeSets';
import type { GaugeSink, GaugeSource } from './GaugeSource';
import { INSTRUMENTS } from './instruments';
import type { PolicyRecorder } from './PolicyRecorder';
import type { Recording } from './Recording';

const { retryBudgetRetries, retryBudgetBalance } = INSTRUMENTS;

/** One budget's recording: everything read from the budget when the SDK collects. */
class RetryBudgetRecording implements GaugeSource {
  readonly instruments = [retryBudgetRetries, retryBudgetBalance];
  private readonly sets: AttributeSets;
  /** The budget's totals when recording began: totals are reported from there. */
  private readonly start: RetryBudgetMetrics;

  constructor(
    private readonly budget: RetryBudget,
    name: string,
  ) {
    this.sets = new AttributeSets({ [POLICY_NAME]: name });
    this.start = budget.metrics();
  }

  read(sink: GaugeSink): void {
    const { sets, start } = this;
    const now = this.budget.metrics();
    const allowed = now.totalWithdrawals - start.totalWithdrawals;
    sink.observe(retryBudgetRetries, allowed, sets.with(RETRY_BUDGET_DECISION, 'allowed'));
    const refused = now.totalRefusals - start.totalRefusals;
    sink.observe(retryBudgetRetries, refused, sets.with(RETRY_BUDGET_DECISION, 'refused'));
    sink.observe(retryBudgetBalance, now.balance, sets.base);
  }
}

/**
 * Records a `RetryBudget` without observing its calls: `rxjs_resilience.retry_budget.retries` (retries
 * and extra hedges asked of it since recording began, by decision) and `.balance`, read from `metrics()`
 * when the SDK collects. Every `retryBackoff`, `hedge` and pipeline sharing the budget is counted there:
 * the way to count retries and hedges made outside a pipeline.
 * @internal
 */
export const retryBudgetRecorder: PolicyRecorder<RetryBudget> = {
  kind: 'RetryBudget',
  accepts: isRetryBudget,
  record: (budget: RetryBudget, recording: Recording): Subscription =>
    recording.telemetry.observe(
      new RetryBudgetRecording(budget, recording.telemetry.policyName(budget.name)),
    ),
};
