import { Observable, type Subscriber } from 'rxjs';
import { createOperatorSubscriber, type OperatorHandlers } from '../internal/operate';
import type { RetryBudget } from './RetryBudget';

/**
 * Subscribes `source` with `destination` as an attempt of one call that has deposited in `budget`:
 * while it subscribes, the budget knows that a call of it is subscribing an attempt (`budget.nesting`),
 * so a layer inside that shares the budget (a `retryBackoff` or `hedge` it wraps, a pipeline) takes the
 * call for its own and deposits nothing: one call, one deposit, however many layers retry it. What the
 * attempt emits is forwarded outside that window ({@link forwardOutside}), so a call made downstream (a
 * `mergeMap` reacting to a synchronous value) deposits as a call of its own. The way `circuitBreaker`
 * nests one breaker's calls.
 * @internal
 */
export function subscribeWithin<T>(
  budget: RetryBudget,
  source: Observable<T>,
  destination: Subscriber<T>,
): void {
  const subscriber = createOperatorSubscriber<T>(destination, new Outside(budget, destination));
  if (subscriber.closed) return;
  budget.nesting++;
  try {
    source.subscribe(subscriber);
  } finally {
    budget.nesting--;
  }
}

/**
 * A retry's notifier whose signal is given inside `budget`'s window: what the signal does at once (rxjs
 * `retry` resubscribing the attempt) is part of the call, as {@link subscribeWithin}'s first attempt is.
 * @internal
 */
export function retryWithin<T>(budget: RetryBudget, notifier: Observable<T>): Observable<T> {
  return new Observable<T>((destination) =>
    notifier.subscribe(createOperatorSubscriber<T>(destination, new Within(budget, destination))),
  );
}

/**
 * Hands a value (`'next'`), an error or the completion on to `destination` with `budget`'s window
 * closed (see {@link subscribeWithin}); at no cost beyond one read when the window is not open.
 * @internal
 */
export function forwardOutside<T>(
  budget: RetryBudget | undefined,
  destination: Subscriber<T>,
  kind: 'next' | 'error' | 'complete',
  value: unknown,
): void {
  const nesting = budget === undefined ? 0 : budget.nesting;
  if (nesting === 0) {
    deliver(destination, kind, value);
    return;
  }
  budget!.nesting = 0;
  try {
    deliver(destination, kind, value);
  } finally {
    budget!.nesting = nesting;
  }
}

function deliver<T>(destination: Subscriber<T>, kind: 'next' | 'error' | 'complete', value: unknown): void {
  if (kind === 'next') destination.next(value as T);
  else if (kind === 'error') destination.error(value);
  else destination.complete();
}

/** An attempt's handlers: every notification forwarded outside the budget's window. */
class Outside<T> implements OperatorHandlers<T> {
  constructor(
    private readonly budget: RetryBudget,
    private readonly destination: Subscriber<T>,
  ) {}

  next(value: T): void {
    forwardOutside(this.budget, this.destination, 'next', value);
  }

  error(err: unknown): void {
    forwardOutside(this.budget, this.destination, 'error', err);
  }

  complete(): void {
    forwardOutside(this.budget, this.destination, 'complete', undefined);
  }
}

/** A retry notifier's handler: its signal given inside the budget's window. */
class Within<T> implements OperatorHandlers<T> {
  constructor(
    private readonly budget: RetryBudget,
    private readonly destination: Subscriber<T>,
  ) {}

  next(value: T): void {
    const { budget } = this;
    budget.nesting++;
    try {
      this.destination.next(value);
    } finally {
      budget.nesting--;
    }
  }
}
