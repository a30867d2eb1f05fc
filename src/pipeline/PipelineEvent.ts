/**
 * How an attempt ended: `'success'` when its source completed (or the caller unsubscribed after it
 * delivered a value), `'failure'` when it errored or its attempt timeout expired, `'cancelled'` when it was
 * cut before that (the deadline, or the caller unsubscribing).
 */
export type PipelineAttemptOutcome = 'success' | 'failure' | 'cancelled';

/**
 * How a call ended: `'success'` when it completed (or the caller unsubscribed after a value), `'failure'`
 * when it failed (a fallback, if any, then takes over), `'cancelled'` when the caller left before either.
 */
export type PipelineCallOutcome = 'success' | 'failure' | 'cancelled';

/** Fields every {@link PipelineEvent} carries. */
interface PipelineEventBase {
  /** Scheduler time of the event, ms. */
  readonly at: number;
  /** The pipeline's `name`. */
  readonly pipeline: string;
  /** The call's `key` (`resilient(p, { key })`, `execute(fn, { key })`), or `undefined`. */
  readonly key: string | undefined;
  /** The call's `meta` (`resilient(p, { meta })`), or `undefined`. */
  readonly meta: unknown;
  /**
   * The call's number on this pipeline, from 1: the same in its `'start'`, `'attempt'` and `'call'`
   * events, so the events of calls that overlap can be told apart (a span per call, say).
   */
  readonly call: number;
}

/**
 * A call was subscribed (or `execute` called): emitted synchronously in the caller's subscribe, before
 * its first attempt, so whatever the caller had in context then (an OpenTelemetry span) is still current.
 */
export interface PipelineStartEvent extends PipelineEventBase {
  readonly type: 'start';
}

/** One attempt that reached the call (subscribed the source) ended. */
export interface PipelineAttemptEvent extends PipelineEventBase {
  readonly type: 'attempt';
  /** Its number among the call's attempts that reached the call, from 1. */
  readonly attempt: number;
  readonly outcome: PipelineAttemptOutcome;
  /** ms from the attempt's subscribe to its end. */
  readonly duration: number;
  /** The attempt's error (its own, or its attempt timeout's); `undefined` unless `outcome` is `'failure'`. */
  readonly error: unknown;
}

/** One call ended. */
export interface PipelineCallEvent extends PipelineEventBase {
  readonly type: 'call';
  readonly outcome: PipelineCallOutcome;
  /** Attempts that reached the call (as in `CallFailure.attempts`). */
  readonly attempts: number;
  /** ms from the call's subscribe to its end. */
  readonly duration: number;
  /** The call's final error; `undefined` unless `outcome` is `'failure'`. */
  readonly error: unknown;
}

/**
 * What `ResiliencePipeline.events$` emits: per call, one `'start'` event when it is subscribed, one
 * `'attempt'` event per attempt that reached the call (refused attempts are in the policies' own
 * `events$`), and one `'call'` event when it ends; all three carry the call's number, `call`.
 */
export type PipelineEvent = PipelineStartEvent | PipelineAttemptEvent | PipelineCallEvent;
