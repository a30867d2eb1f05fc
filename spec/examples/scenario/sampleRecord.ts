import { phasesOf } from '../../../examples/scenario/phases';
import type { ScenarioEvent, ScenarioRecord } from '../../../examples/scenario/recorder';

/**
 * A small hand-made record, its numbers worked out by hand in the specs. Duration 1000 ms: healthy
 * 0-250, slow 250-450, down 450-700, recovering 700-1000; the last event at 800, the cutoff at 1000.
 *
 * unprotected: call 0 answered in 20 ms; call 1 (slow) in 600 ms; call 2 (down) never ended; call 3
 * (back) answered in 20 ms. protected: call 0 answered in 22 ms; call 1 failed after 300 ms; call 2
 * refused at once; call 3 dropped after 10 ms; call 4 answered in 150 ms, 200 ms after the dependency
 * came back. The breaker: closed, open at 550, halfOpen at 700, closed at 900.
 */
export const sampleEvents: ReadonlyArray<ScenarioEvent> = [
  { type: 'phase', at: 0, phase: 'healthy' },
  { type: 'breaker', at: 0, client: 'protected', state: 'closed' },
  { type: 'arrive', at: 0, client: 'unprotected', call: 0 },
  { type: 'start', at: 0, client: 'unprotected', call: 0 },
  { type: 'arrive', at: 0, client: 'protected', call: 0 },
  { type: 'start', at: 0, client: 'protected', call: 0 },
  { type: 'pool', at: 0, client: 'protected', active: 1, queued: 0 },
  { type: 'request', at: 1, client: 'unprotected', phase: 'healthy' },
  { type: 'request', at: 1, client: 'protected', phase: 'healthy' },
  { type: 'end', at: 20, client: 'unprotected', call: 0, outcome: 'ok' },
  { type: 'pool', at: 22, client: 'protected', active: 0, queued: 0 },
  { type: 'end', at: 22, client: 'protected', call: 0, outcome: 'ok' },
  { type: 'phase', at: 250, phase: 'slow' },
  { type: 'arrive', at: 250, client: 'unprotected', call: 1 },
  { type: 'start', at: 250, client: 'unprotected', call: 1 },
  { type: 'arrive', at: 250, client: 'protected', call: 1 },
  { type: 'start', at: 250, client: 'protected', call: 1 },
  { type: 'request', at: 251, client: 'unprotected', phase: 'slow' },
  { type: 'request', at: 251, client: 'protected', phase: 'slow' },
  { type: 'phase', at: 450, phase: 'down' },
  { type: 'arrive', at: 450, client: 'unprotected', call: 2 },
  { type: 'start', at: 450, client: 'unprotected', call: 2 },
  { type: 'arrive', at: 450, client: 'protected', call: 2 },
  { type: 'start', at: 450, client: 'protected', call: 2 },
  { type: 'end', at: 450, client: 'protected', call: 2, outcome: 'refused', error: 'CircuitOpenError' },
  { type: 'request', at: 451, client: 'unprotected', phase: 'down' },
  { type: 'arrive', at: 460, client: 'protected', call: 3 },
  { type: 'end', at: 470, client: 'protected', call: 3, outcome: 'dropped' },
  {
    type: 'end',
    at: 550,
    client: 'protected',
    call: 1,
    outcome: 'error',
    error: 'TimeoutExceededError',
    attempts: 1,
  },
  { type: 'breaker', at: 550, client: 'protected', state: 'open' },
  { type: 'phase', at: 700, phase: 'recovering' },
  { type: 'breaker', at: 700, client: 'protected', state: 'halfOpen' },
  { type: 'arrive', at: 750, client: 'unprotected', call: 3 },
  { type: 'start', at: 750, client: 'unprotected', call: 3 },
  { type: 'arrive', at: 750, client: 'protected', call: 4 },
  { type: 'start', at: 750, client: 'protected', call: 4 },
  { type: 'request', at: 751, client: 'unprotected', phase: 'recovering' },
  { type: 'request', at: 751, client: 'protected', phase: 'recovering' },
  { type: 'end', at: 770, client: 'unprotected', call: 3, outcome: 'ok' },
  { type: 'stop', at: 800 },
  { type: 'end', at: 850, client: 'unprotected', call: 1, outcome: 'ok' },
  { type: 'end', at: 900, client: 'protected', call: 4, outcome: 'ok' },
  { type: 'breaker', at: 900, client: 'protected', state: 'closed' },
  { type: 'cutoff', at: 1000 },
  // After the cutoff: too late, call 2 still never ended.
  { type: 'end', at: 1200, client: 'unprotected', call: 2, outcome: 'error', error: 'TypeError' },
];

export const sampleRecord: ScenarioRecord = {
  duration: 1000,
  rate: 4,
  phases: phasesOf(1000),
  clients: [
    { name: 'unprotected', description: 'plain <rxjs> & fetch', hasBreaker: false },
    {
      name: 'protected',
      description: 'policies',
      deadline: 400,
      concurrency: 2,
      poolSlots: 1,
      hasBreaker: true,
    },
  ],
  events: sampleEvents,
};
