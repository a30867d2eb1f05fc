import { breakerRecorder } from './breakerRecorder';
import { bulkheadRecorder } from './bulkheadRecorder';
import { pipelineRecorder } from './pipelineRecorder';
import type { PolicyRecorder } from './PolicyRecorder';
import { registryRecorder } from './registryRecorder';

/** Every kind of policy `instrument` records, one recorder each. @internal */
export const recorders: ReadonlyArray<PolicyRecorder> = [
  pipelineRecorder,
  breakerRecorder,
  bulkheadRecorder,
  registryRecorder,
] as ReadonlyArray<PolicyRecorder>;
