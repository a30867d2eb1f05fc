import { context, SpanKind, SpanStatusCode, type Attributes, type Span } from '@opentelemetry/api';
import { Subscription } from 'rxjs';
import type { PipelineEvent } from '../pipeline/PipelineEvent';
import type { ResiliencePipeline } from '../pipeline/ResiliencePipeline';
import { isResiliencePipeline } from '../internal/brand';
import { ATTEMPT_NUMBER, ATTEMPTS, ERROR_TYPE, OUTCOME, POLICY_NAME } from './attributes';
import { AttributeSets } from './AttributeSets';
import { errorType } from './errorType';
import { hrTime } from './hrTime';
import { INSTRUMENTS } from './instruments';
import { providerFailure } from './providerFailure';
import type { PolicyRecorder } from './PolicyRecorder';
import type { Recording } from './Recording';
import type { Count, Telemetry } from './Telemetry';

const { pipelineCallDuration, pipelineAttemptDuration, pipelineRetries, pipelineHedges } = INSTRUMENTS;

/** The name of each span event that reports an attempt. @internal */
export const ATTEMPT_EVENT = 'rxjs_resilience.attempt';

/** One pipeline's recording: its histograms and retry count, and one span per call in flight. */
class PipelineRecording {
  private readonly sets: AttributeSets;
  private readonly spanName: string;
  /** The spans of the calls in flight (only recording ones), by call number. */
  private readonly spans = new Map<number, Span>();
  /** Attempts after the first: retries, or hedges in a pipeline that hedges. */
  private extraAttempts: Count | undefined;
  private readonly extraAttemptsSpec: typeof pipelineRetries;

  constructor(
    pipeline: ResiliencePipeline,
    private readonly telemetry: Telemetry,
  ) {
    const name = telemetry.policyName(pipeline.name);
    this.sets = new AttributeSets({ [POLICY_NAME]: name });
    this.spanName = `pipeline ${name}`;
    this.extraAttemptsSpec = pipeline.hedge === undefined ? pipelineRetries : pipelineHedges;
  }

  /** Records `event`; a provider that throws is reported through `diag`, never to the pipeline's caller. */
  readonly onEvent = (event: PipelineEvent): void => {
    try {
      this.handle(event);
    } catch (error) {
      providerFailure('recording a pipeline event', error);
    }
  };

  private handle(event: PipelineEvent): void {
    switch (event.type) {
      case 'start':
        this.start(event.call, event.at);
        return;
      case 'attempt': {
        const { telemetry, sets } = this;
        const failed = event.outcome === 'failure';
        const attributes = failed
          ? sets.failure(event.outcome, event.error)
          : sets.with(OUTCOME, event.outcome);
        telemetry.record(pipelineAttemptDuration, event.duration / 1000, attributes);
        if (event.attempt > 1) {
          (this.extraAttempts ??= telemetry.count(this.extraAttemptsSpec, sets.base)).value++;
        }
        const span = this.spans.get(event.call);
        if (span !== undefined) {
          const details: Attributes = {
            [ATTEMPT_NUMBER]: event.attempt,
            [OUTCOME]: event.outcome,
            'rxjs_resilience.attempt.duration': event.duration / 1000,
          };
          if (failed) details[ERROR_TYPE] = errorType(event.error);
          span.addEvent(ATTEMPT_EVENT, details, hrTime(event.at));
        }
        return;
      }
      case 'call': {
        const failed = event.outcome === 'failure';
        const attributes = failed
          ? this.sets.failure(event.outcome, event.error)
          : this.sets.with(OUTCOME, event.outcome);
        this.telemetry.record(pipelineCallDuration, event.duration / 1000, attributes);
        const span = this.spans.get(event.call);
        if (span === undefined) return;
        this.spans.delete(event.call);
        span.setAttribute(OUTCOME, event.outcome);
        span.setAttribute(ATTEMPTS, event.attempts);
        if (failed) {
          span.setAttribute(ERROR_TYPE, errorType(event.error));
          span.setStatus({ code: SpanStatusCode.ERROR, message: messageOf(event.error) });
        }
        span.end(hrTime(event.at));
        return;
      }
    }
  }

  /** Opens the call's span under the context active in the caller's subscribe, where 'start' is emitted. */
  private start(call: number, at: number): void {
    const tracer = this.telemetry.tracer();
    if (tracer === undefined) return;
    const span = tracer.startSpan(
      this.spanName,
      { kind: SpanKind.INTERNAL, startTime: hrTime(at), attributes: this.sets.base },
      context.active(),
    );
    if (span.isRecording()) this.spans.set(call, span);
  }

  /** Forgets the spans of calls in flight: never ended, they are never exported. */
  close(): void {
    this.spans.clear();
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Records a `ResiliencePipeline` from its `events$`: `rxjs_resilience.pipeline.call.duration` and
 * `.attempt.duration` (histograms in seconds, by outcome, with `error.type`), `.retries` (or `.hedges` in
 * a pipeline that hedges), and one span per
 * call (`pipeline <name>`, a child of the span active where the call was subscribed) with one
 * `rxjs_resilience.attempt` event per attempt, so a retried call shows its attempts and the backoff
 * between them. Its breaker, bulkhead, rate limiter and retry budget are recorded too, as if given.
 * @internal
 */
export const pipelineRecorder: PolicyRecorder<ResiliencePipeline> = {
  kind: 'ResiliencePipeline',
  accepts: isResiliencePipeline,
  record(pipeline: ResiliencePipeline, recording: Recording): Subscription {
    const recorder = new PipelineRecording(pipeline, recording.telemetry);
    const subscription = new Subscription(() => recorder.close());
    subscription.add(pipeline.events$.subscribe(recorder.onEvent));
    if (pipeline.breaker !== undefined) subscription.add(recording.add(pipeline.breaker));
    if (pipeline.bulkhead !== undefined) subscription.add(recording.add(pipeline.bulkhead));
    if (pipeline.rateLimiter !== undefined) subscription.add(recording.add(pipeline.rateLimiter));
    const budget = pipeline.retry?.budget ?? pipeline.hedge?.budget;
    if (budget !== undefined) subscription.add(recording.add(budget));
    return subscription;
  },
};
