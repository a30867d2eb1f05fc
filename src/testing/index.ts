/**
 * Test helpers for users of rxjs-resilience: marble helpers that run in virtual time with any test
 * framework, and a loopback fault server and TCP fault proxy (real sockets, Node only). In a browser,
 * import the marble helpers from `rxjs-resilience/testing/marbles`.
 * @module rxjs-resilience/testing
 */
export {};

/* Marble test helpers: virtual time, no test framework needed */
export { fakeDependency } from './fakeDependency';
export type {
  ColdFactory,
  ColdLike,
  FakeDependency,
  FakeDependencyOptions,
  SubscriptionLogLike,
} from './fakeDependency';
export { stateTimeline } from './stateTimeline';
export type { StateTimeline, StateTimelineOptions, TimelineEntry } from './stateTimeline';
export { bulkheadStates } from './bulkheadStates';
export type { BulkheadLike, BulkheadState } from './bulkheadStates';
export { fakeHttpStatusError, fakeNetworkError } from './fakeErrors';
export { anError, isErrorMatcher, withMatchers } from './anError';
export type { DeepEqualAssertion, ErrorMatcher } from './anError';

/* Loopback fault server and TCP fault proxy (real sockets) */
export { startFaultServer } from './faultServer';
export type {
  FaultServer,
  FaultServerConfig,
  FaultRoute,
  FaultRouteStats,
  FaultRequestRecord,
  FaultRequestOutcome,
} from './faultServer';
export { startFaultProxy } from './faultProxy';
export type {
  FaultProxy,
  FaultProxyConfig,
  FaultProxyStats,
  Toxic,
  ToxicCommon,
  LatencyToxic,
  BandwidthToxic,
  SlowCloseToxic,
  TimeoutToxic,
  ResetPeerToxic,
  SlicerToxic,
  LimitDataToxic,
} from './faultProxy';
