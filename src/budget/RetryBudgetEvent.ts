/**
 * What `RetryBudget.events$` emits, each with `at` (scheduler time) and the `balance` after it: a call's
 * first attempt deposited (`'deposited'`), a retry or extra hedge was allowed (`'withdrawn'`), or one was
 * refused (`'refused'`: the caller fails with its last error instead).
 */
export interface RetryBudgetEvent {
  readonly type: 'deposited' | 'withdrawn' | 'refused';
  /** The budget's `name`. */
  readonly budget: string;
  /** Scheduler time of the event (`scheduler.now()`, ms). */
  readonly at: number;
  /** Retries the budget would allow right after the event. */
  readonly balance: number;
}
