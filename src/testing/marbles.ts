/**
 * The testing kit without its Node-only part, for tests that run in a browser (Karma, Vitest's browser
 * mode, a bundled test page): every helper here runs in virtual time and loads no Node built-in.
 * `rxjs-resilience/testing` exports all of them too, with the loopback fault server and TCP fault proxy,
 * which need Node's `http` and `net`.
 * @module rxjs-resilience/testing/marbles
 */
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
