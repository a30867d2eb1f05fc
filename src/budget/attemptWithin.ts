import { Observable, type Subscriber } from 'rxjs';
import { createOperatorSubscriber, type OperatorHandlers } from '../internal/operate';
import type { RetryBudget } from './RetryBudget';

/**
 * `source` as the attempts of one call that has deposited in `budget`: each subscription subscribes
 * `source` while the budget knows a call of it is subscribing an attempt (`budget.nesting`), so a layer
 * inside that shares the budget (a `retryBackoff` or `hedge` it wraps, a pipeline) takes the call for
 * its own and deposits nothing: one call, one deposit, however many layers retry it. What the attempt
 * emits is forwarded outside that window, so a call made downstream (a `mergeMap` reacting to a
 * synchronous value) deposits as a call of its own. The way `circuitBreaker` nests one breaker's calls.
 * @internal
 */
export function attemptWithin<T>(budget: RetryBudget, source: Observable<T>): Observable<T> {
  return new Observable<T>((destination) => {
    const subscriber = createOperatorSubscriber<T>(destination, new Outside(budget, destination));
    if (subscriber.closed) return;
    budget.nesting++;
    try {
      source.subscribe(subscriber);
    } finally {
      budget.nesting--;
    }
  });
}

/** Forwards an attempt's notifications with the budget's window closed. */
class Outside<T> implements OperatorHandlers<T> {
  constructor(
    private readonly budget: RetryBudget,
    private readonly destination: Subscriber<T>,
  ) {}

  next(value: T): void {
    if (this.budget.nesting === 0) this.destination.next(value);
    else this.forward('next', value);
  }

  error(err: unknown): void {
    this.forward('error', err);
  }

  complete(): void {
    this.forward('complete', undefined);
  }

  private forward(kind: 'next' | 'error' | 'complete', value: unknown): void {
    const { budget, destination } = this;
    const nesting = budget.nesting;
    budget.nesting = 0;
    try {
      if (kind === 'next') destination.next(value as T);
      else if (kind === 'error') destination.error(value);
      else destination.complete();
    } finally {
      budget.nesting = nesting;
    }
  }
}
