import { breakerRecorder } from './breakerRecorder';
import { bulkheadRecorder } from './bulkheadRecorder';
import { pipelineRecorder } from './pipelineRecorder';
import type { PolicyRecorder } from './PolicyRecorder';
import { rateLimiterRecorder } from './rateLimiterRecorder';
import { registryRecorder } from './registryRecorder';
import { retryBudgetRecorder } from './retryBudgetRecorder';

/** Every kind of policy `instrument` records, one recorder each. @internal */
export const recorders: ReadonlyArray<PolicyRecorder> = [
  pipelineRecorder,
  breakerRecorder,
  bulkheadRecorder,
  rateLimiterRecorder,
  retryBudgetRecorder,
  registryRecorder,
] as ReadonlyArray<PolicyRecorder>;
