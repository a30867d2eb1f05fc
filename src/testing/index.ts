/* Test helpers for users of rxjs-resilience: import from `rxjs-resilience/testing`. */
export {};
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
