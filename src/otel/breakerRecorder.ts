import { Subscription } from 'rxjs';
import type { CircuitBreaker } from '../breaker/CircuitBreaker';
import { isCircuitBreaker } from '../internal/brand';
import type { CircuitBreakerEvent } from '../breaker/CircuitBreakerEvent';
import type { CircuitState } from '../breaker/CircuitState';
import { BREAKER_PREVIOUS_STATE, BREAKER_STATE, OUTCOME, POLICY_NAME } from './attributes';
import { AttributeSets } from './AttributeSets';
import type { GaugeSink, GaugeSource } from './GaugeSource';
import { INSTRUMENTS } from './instruments';
import { providerFailure } from './providerFailure';
import type { PolicyRecorder } from './PolicyRecorder';
import type { Recording } from './Recording';
import type { Count, Telemetry } from './Telemetry';

const STATES: ReadonlyArray<CircuitState> = ['closed', 'open', 'halfOpen', 'isolated'];
const { breakerCalls, breakerRefusals, breakerTransitions, breakerState } = INSTRUMENTS;

/** One breaker's recording: its attribute sets, its event handler and its state gauge. */
class BreakerRecording implements GaugeSource {
  readonly instruments = [breakerState];
  private readonly sets: AttributeSets;
  /** The count of successes, the most frequent event, held to skip every lookup. */
  private successes: Count | undefined;

  constructor(
    private readonly breaker: CircuitBreaker,
    private readonly telemetry: Telemetry,
  ) {
    this.sets = new AttributeSets({ [POLICY_NAME]: telemetry.policyName(breaker.name) });
  }

  /** Every state, 1 for the current one: a breaker's series exist from the first collection on. */
  read(sink: GaugeSink): void {
    const state = this.breaker.state;
    for (const s of STATES) sink.observe(breakerState, s === state ? 1 : 0, this.sets.with(BREAKER_STATE, s));
  }

  /** Records `event`; a provider that throws is reported through `diag`, never to the breaker's caller. */
  readonly onEvent = (event: CircuitBreakerEvent): void => {
    try {
      this.handle(event);
    } catch (error) {
      providerFailure('recording a circuit breaker event', error);
    }
  };

  private handle(event: CircuitBreakerEvent): void {
    switch (event.type) {
      case 'success':
        this.telemetry.meters();
        (this.successes ??= this.telemetry.count(breakerCalls, this.sets.with(OUTCOME, 'success'))).value++;
        return;
      case 'failure':
        this.telemetry.add(breakerCalls, this.sets.failure('failure', event.error));
        return;
      case 'ignore':
        this.telemetry.add(breakerCalls, this.sets.failure('ignored', event.error));
        return;
      case 'cancel':
        this.telemetry.add(breakerCalls, this.sets.with(OUTCOME, 'cancelled'));
        return;
      case 'refuse':
        this.telemetry.add(breakerRefusals, this.sets.with(BREAKER_STATE, event.state));
        return;
      case 'transition':
        this.telemetry.add(
          breakerTransitions,
          this.sets.with2(BREAKER_STATE, event.to, BREAKER_PREVIOUS_STATE, event.from),
        );
        return;
      case 'admit':
      case 'reset':
        return;
    }
  }
}

/**
 * Records a `CircuitBreaker`: `rxjs_resilience.circuit_breaker.calls` (by outcome, with `error.type`),
 * `.refusals` (by the refusing state), `.transitions` (by state entered and left) from `events$`, and
 * `.state` read at collection time. Observing `events$` keeps the breaker's open-to-halfOpen timer
 * armed while it is open, so that transition is counted at its instant.
 * @internal
 */
export const breakerRecorder: PolicyRecorder<CircuitBreaker> = {
  kind: 'CircuitBreaker',
  accepts: isCircuitBreaker,
  record(breaker: CircuitBreaker, recording: Recording): Subscription {
    const recorder = new BreakerRecording(breaker, recording.telemetry);
    const subscription = new Subscription();
    subscription.add(breaker.events$.subscribe(recorder.onEvent));
    subscription.add(recording.telemetry.observe(recorder));
    return subscription;
  },
};
