/**
 * The live status lines: a pure function from the events recorded so far to one line per client, and a
 * board that redraws them in place on a terminal, or prints them as plain lines now and then when the
 * output is piped (CI logs).
 */
import type { CircuitState } from '../../src/index';
import { PHASE_BEHAVIOUR, phaseAt, type Phase } from './phases';
import type { ClientName, ScenarioEvent } from './recorder';
import { formatMs, percentile } from './summary';

/** One client's state at an instant. Rates and latencies look at the last second. */
export interface LiveStatus {
  readonly client: ClientName;
  /** Calls that ended (any outcome) in the last second. */
  readonly callsPerSecond: number;
  /**
   * Latency seen by callers over the calls that ended in the last second and the calls still waiting
   * (counted at their age so far: a hung call pulls p99 up while it hangs, not only once it ends).
   */
  readonly p50: number;
  readonly p99: number;
  /** Since the start. */
  readonly errors: number;
  readonly refused: number;
  readonly dropped: number;
  /** Calls whose caller is still waiting. */
  readonly waiting: number;
  /** `undefined` for a client without a breaker. */
  readonly breaker: CircuitState | undefined;
}

/** The status of `client` at `now` (ms since the start), from the events recorded until then. */
export function liveStatus(
  events: ReadonlyArray<ScenarioEvent>,
  client: ClientName,
  now: number,
): LiveStatus {
  const arrived = new Map<number, number>();
  const recent: number[] = [];
  const counts = { error: 0, refused: 0, dropped: 0 };
  let breaker: CircuitState | undefined;
  for (const e of events) {
    if (e.at > now || !('client' in e) || e.client !== client) continue;
    if (e.type === 'arrive') arrived.set(e.call, e.at);
    else if (e.type === 'breaker') breaker = e.state;
    else if (e.type === 'end') {
      const at = arrived.get(e.call);
      arrived.delete(e.call);
      if (e.outcome !== 'ok') counts[e.outcome]++;
      if (at !== undefined && e.at > now - 1000) recent.push(e.at - at);
    }
  }
  const callsPerSecond = recent.length;
  for (const at of arrived.values()) recent.push(now - at);
  recent.sort((a, b) => a - b);
  return {
    client,
    callsPerSecond,
    p50: percentile(recent, 0.5),
    p99: percentile(recent, 0.99),
    errors: counts.error,
    refused: counts.refused,
    dropped: counts.dropped,
    waiting: arrived.size,
    breaker,
  };
}

/** `t=  9.4s  down: hangs: reads each request and never answers` */
export function headerLine(now: number, phases: ReadonlyArray<Phase>): string {
  const phase = phaseAt(phases, now);
  return `t=${(now / 1000).toFixed(1).padStart(5)}s  dependency ${phase}: ${PHASE_BEHAVIOUR[phase]}`;
}

/** The columns of {@link statusLine}: a label, then the width of its values (right-aligned). */
const COLUMNS: ReadonlyArray<readonly [string, number]> = [
  ['calls/s', 8],
  ['p50', 7],
  ['p99', 7],
  ['errors', 7],
  ['refused', 8],
  ['dropped', 8],
  ['waiting', 8],
];

/** The line above the status lines that names their columns. */
export function statusHeader(): string {
  return `${''.padEnd(11)}${COLUMNS.map(([label, width]) => label.padStart(width)).join('')}  breaker`;
}

/** `protected         40    0ms  301ms      12      310        3        1  open` (see {@link statusHeader}). */
export function statusLine(status: LiveStatus): string {
  const ms = (value: number): string => formatMs(value).replace(' ', '');
  const values = [
    String(status.callsPerSecond),
    ms(status.p50),
    ms(status.p99),
    String(status.errors),
    String(status.refused),
    String(status.dropped),
    String(status.waiting),
  ];
  const cells = values.map((value, i) => value.padStart(COLUMNS[i]![1]));
  return `${status.client.padEnd(11)}${cells.join('')}  ${status.breaker ?? 'none'}`;
}

/** Where the board writes. */
export interface StatusOutput {
  write(text: string): void;
  /** True on a terminal: the lines are redrawn in place. */
  readonly isTTY?: boolean | undefined;
  /** The terminal's width: longer lines are cut there, so that none wraps and breaks the redraw. */
  readonly columns?: number | undefined;
}

/**
 * Draws a block of lines: on a terminal, each `draw` overwrites the previous block; otherwise each
 * `draw` prints the block as plain lines (call it less often then).
 */
export class StatusBoard {
  private drawn = 0;

  constructor(private readonly out: StatusOutput) {}

  draw(lines: ReadonlyArray<string>): void {
    if (!this.out.isTTY) {
      this.out.write(lines.map((l) => `${l}\n`).join(''));
      return;
    }
    // Up to the first line of the previous block, then each line cleared and rewritten.
    const up = this.drawn > 0 ? `\x1b[${this.drawn}F` : '';
    const { columns = 0 } = this.out;
    const width = columns > 0 ? columns - 1 : Infinity;
    this.out.write(up + lines.map((l) => `\x1b[2K${l.slice(0, width)}\n`).join(''));
    this.drawn = lines.length;
  }
}
