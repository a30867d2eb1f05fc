import type { Subscription } from 'rxjs';
import type { Recording } from './Recording';

/**
 * How one kind of policy is recorded: which objects it accepts and what recording one of them means
 * (subscribing its `events$`, registering its gauges). Adding a policy kind to `instrument` is adding one
 * recorder to `RECORDERS`.
 * @internal
 */
export interface PolicyRecorder<P extends object = object> {
  /** The policy's class, as config errors name it. */
  readonly kind: string;
  accepts(policy: unknown): policy is P;
  /**
   * Starts recording `policy` into `recording.telemetry`; the returned subscription stops it and must
   * leave nothing behind (no observer on the policy, no gauge source). A policy made of others (a
   * pipeline's breaker, a registry's pools) records them through `recording.add`.
   */
  record(policy: P, recording: Recording): Subscription;
}
