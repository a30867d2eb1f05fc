/**
 * What the scenario records, and the recorder that stamps it. The live status lines, the with/without
 * table and the HTML report are pure functions of one {@link ScenarioRecord} (liveStatus.ts,
 * summary.ts, report.ts), so the numbers and the pictures cannot disagree.
 */
import { performance } from 'node:perf_hooks';
import type { CircuitState } from '../../src/index';
import type { Phase, PhaseName } from './phases';

/** The two clients the scenario runs side by side. */
export type ClientName = 'unprotected' | 'protected';
export const CLIENTS: ReadonlyArray<ClientName> = ['unprotected', 'protected'];

/**
 * How a call ended, as its caller saw it: `ok` (answered), `error` (failed: a timeout, a 5xx, a broken
 * connection), `refused` (failed fast by a policy, an open breaker or a full bulkhead, before any attempt
 * reached the dependency) or `dropped` (the bounded buffer dropped its event before its call started).
 */
export type Outcome = 'ok' | 'error' | 'refused' | 'dropped';
export const OUTCOMES: ReadonlyArray<Outcome> = ['ok', 'error', 'refused', 'dropped'];

/**
 * One thing that happened, `at` ms after the scenario's start. Calls are numbered per client from 0.
 * A call `arrive`s (its event came), `start`s (its request is being made; at once for the unprotected
 * client, after the bounded buffer for the protected one) and `end`s once, or never.
 */
export type ScenarioEvent =
  | { readonly type: 'phase'; readonly at: number; readonly phase: PhaseName }
  | { readonly type: 'arrive'; readonly at: number; readonly client: ClientName; readonly call: number }
  | { readonly type: 'start'; readonly at: number; readonly client: ClientName; readonly call: number }
  | {
      readonly type: 'end';
      readonly at: number;
      readonly client: ClientName;
      readonly call: number;
      readonly outcome: Outcome;
      /** The name of the error a failed call ended with. */
      readonly error?: string | undefined;
      /** Attempts that reached the dependency, when the client knows. */
      readonly attempts?: number | undefined;
    }
  /** The client's breaker changed state (the first one says its state at the start). */
  | {
      readonly type: 'breaker';
      readonly at: number;
      readonly client: ClientName;
      readonly state: CircuitState;
    }
  /** The client's bulkhead changed: calls holding a slot, calls waiting for one. */
  | {
      readonly type: 'pool';
      readonly at: number;
      readonly client: ClientName;
      readonly active: number;
      readonly queued: number;
    }
  /** The sick dependency received a request from `client`. */
  | { readonly type: 'request'; readonly at: number; readonly client: ClientName; readonly phase: PhaseName }
  /** No more events arrive from now on. */
  | { readonly type: 'stop'; readonly at: number }
  /** The end of the record: a call that has not ended by now never ended. */
  | { readonly type: 'cutoff'; readonly at: number };

/** What a client is, for the table and the report's captions. */
export interface ClientInfo {
  readonly name: ClientName;
  /** One line: what protects it. */
  readonly description: string;
  /** The caller's deadline, ms, when it has one. */
  readonly deadline?: number | undefined;
  /** The most calls it runs at once, when bounded. */
  readonly concurrency?: number | undefined;
  /** Its bulkhead's slots, when it has one. */
  readonly poolSlots?: number | undefined;
  readonly hasBreaker: boolean;
}

/** Everything one run recorded. */
export interface ScenarioRecord {
  /** The scenario's duration, ms (the phases end there; events arrive until then). */
  readonly duration: number;
  /** Events per second each client receives. */
  readonly rate: number;
  readonly phases: ReadonlyArray<Phase>;
  readonly clients: ReadonlyArray<ClientInfo>;
  readonly events: ReadonlyArray<ScenarioEvent>;
}

/** Distributes `Omit` over a union, so each event keeps its own fields. */
type WithoutAt<E> = E extends ScenarioEvent ? Omit<E, 'at'> : never;

/** Stamps events with the ms elapsed since `start()` (real time: `performance.now()` by default). */
export class Recorder {
  private origin = 0;
  private readonly list: ScenarioEvent[] = [];

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Starts the clock: `at` counts from here. */
  start(): void {
    this.origin = this.now();
  }

  /** ms since `start()`. */
  elapsed(): number {
    return this.now() - this.origin;
  }

  record(event: WithoutAt<ScenarioEvent>): void {
    this.list.push({ ...event, at: Math.round(this.elapsed() * 10) / 10 } as ScenarioEvent);
  }

  /** Every event so far, in the order recorded. */
  get events(): ReadonlyArray<ScenarioEvent> {
    return this.list;
  }
}
