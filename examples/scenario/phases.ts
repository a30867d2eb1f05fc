/**
 * The scenario's script: what the sick dependency does, and when. The phases split the scenario's
 * duration in fixed shares, so a spec can run the same story compressed into a few seconds.
 */

/** What the dependency does in a phase. */
export type PhaseName = 'healthy' | 'slow' | 'down' | 'recovering';

/** One phase, from `from` (included) to `to` (excluded), in ms after the scenario's start. */
export interface Phase {
  readonly name: PhaseName;
  readonly from: number;
  readonly to: number;
}

/** How the dependency answers in each phase, in words (the report and the status lines say it). */
export const PHASE_BEHAVIOUR: Readonly<Record<PhaseName, string>> = {
  healthy: 'answers in about 20 ms',
  slow: 'answers in 400 to 1000 ms',
  down: 'hangs: reads each request and never answers',
  recovering: 'back: answers in about 20 ms',
};

/**
 * Each phase's share of the duration. Recovering is long enough for a breaker to probe and close in a
 * compressed run; healthy and recovering together are more than half, so a p50 sits among their calls.
 */
const SHARES: ReadonlyArray<readonly [PhaseName, number]> = [
  ['healthy', 0.25],
  ['slow', 0.2],
  ['down', 0.25],
  ['recovering', 0.3],
];

/** The phases of a scenario lasting `duration` ms, in order, back to back from 0 to `duration`. */
export function phasesOf(duration: number): Phase[] {
  let from = 0;
  return SHARES.map(([name, share], i) => {
    const to = i === SHARES.length - 1 ? duration : Math.round(from + share * duration);
    const phase = { name, from, to };
    from = to;
    return phase;
  });
}

/** The phase at `t` ms; the last phase after the end. */
export function phaseAt(phases: ReadonlyArray<Phase>, t: number): PhaseName {
  for (const phase of phases) if (t < phase.to) return phase.name;
  return phases[phases.length - 1]?.name ?? 'healthy';
}
