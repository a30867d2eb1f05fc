/**
 * The HTML report: a pure function from a {@link ScenarioRecord} to one self-contained page (inline CSS
 * and SVG, no script, nothing fetched): the with/without table, then a timeline per client with the
 * latency of each call (a point), the outcomes (bands), the breaker's state and the calls in flight,
 * over the dependency's phases. The table comes from summary.ts, from the same events.
 */
import type { CircuitState } from '../../src/index';
import { PHASE_BEHAVIOUR, type Phase, type PhaseName } from './phases';
import type { ClientInfo, Outcome, ScenarioEvent, ScenarioRecord } from './recorder';
import { callsOf, formatMs, summarize, tableRows, type CallRecord } from './summary';

/** What a call's point and band are coloured by: its outcome, or `never` (it never ended). */
type Fate = Outcome | 'never';
const FATES: ReadonlyArray<Fate> = ['ok', 'error', 'refused', 'dropped', 'never'];
const FATE_LABEL: Readonly<Record<Fate, string>> = {
  ok: 'answered',
  error: 'failed',
  refused: 'refused (failed fast)',
  dropped: 'dropped by the buffer',
  never: 'never ended',
};
const BREAKER_STATES: ReadonlyArray<CircuitState> = ['closed', 'halfOpen', 'open', 'isolated'];

const CSS = `
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1d232b;
  margin: 24px; background: #fff; max-width: 1040px; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 22px 0 2px; }
p { margin: 4px 0; color: #3c4650; } .muted { color: #66707a; }
table.summary { border-collapse: collapse; margin: 12px 0 4px; }
table.summary th, table.summary td { padding: 3px 12px; border-bottom: 1px solid #e3e7eb; }
table.summary td { text-align: right; font-variant-numeric: tabular-nums; }
table.summary th[scope=row] { text-align: left; font-weight: normal; color: #3c4650; }
table.summary thead th { text-align: right; border-bottom: 2px solid #c9d0d6; }
.legend { display: flex; flex-wrap: wrap; gap: 14px; margin: 10px 0 0; font-size: 13px; color: #3c4650; }
.swatch { display: inline-block; width: 11px; height: 11px; border-radius: 2px; margin-right: 5px;
  vertical-align: -1px; }
svg.timeline { display: block; margin-top: 6px; }
svg text { font: 11px system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; fill: #4a545e; }
svg .lane-label { font-weight: 600; fill: #2b333b; }
svg .phase-label { font-weight: 600; fill: #2b333b; }
svg .grid { stroke: #d9dee3; stroke-width: 1; }
svg .mark { stroke: #59636d; stroke-width: 1; stroke-dasharray: 4 3; }
`;

const COLOUR: Readonly<Record<Fate | PhaseName | CircuitState | 'inFlight' | 'slots', string>> = {
  ok: '#2e9e5b',
  error: '#d64545',
  refused: '#e8a23a',
  dropped: '#8e6cc7',
  never: '#1d232b',
  healthy: '#eaf6ec',
  slow: '#fff6dc',
  down: '#fde7e7',
  recovering: '#e6f0fb',
  closed: '#2e9e5b',
  halfOpen: '#e8a23a',
  open: '#d64545',
  isolated: '#7a1f1f',
  inFlight: '#2f6fb5',
  slots: '#8e6cc7',
};

/** Escapes text for HTML and SVG. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** `n` with at most one decimal, for coordinates. */
const f = (n: number): string => String(Math.round(n * 10) / 10);

/** Geometry shared by every timeline, so the clients can be compared at a glance. */
interface Frame {
  /** ms shown: from 0 to the cutoff. */
  readonly end: number;
  readonly x: (ms: number) => number;
  /** Latency to y, on a log scale from 1 ms to `latencyTop`. */
  readonly y: (ms: number) => number;
  readonly latencyTop: number;
}

const WIDTH = 1000;
const LEFT = 118;
const RIGHT = WIDTH - 16;
const LANES = {
  phase: { top: 4, bottom: 20 },
  latency: { top: 48, bottom: 210 },
  outcomes: { top: 222, bottom: 246 },
  breaker: { top: 256, bottom: 270 },
  pool: { top: 282, bottom: 342 },
  axis: 358,
} as const;
const HEIGHT = 368;

/** The fate of a call: its outcome, or `never`. */
const fateOf = (call: CallRecord): Fate => call.outcome ?? 'never';

/** Calls in flight over time, as steps `[at, count]` from 0: calls started and not ended (by `end`). */
export function inFlightSteps(calls: ReadonlyArray<CallRecord>, end: number): Array<[number, number]> {
  const deltas: Array<[number, number]> = [];
  for (const c of calls) {
    if (c.startedAt === undefined) continue;
    deltas.push([c.startedAt, 1]);
    // A call that never ended is still in flight at the end.
    if (c.endedAt !== undefined) deltas.push([Math.min(c.endedAt, end), -1]);
  }
  // At one instant, ends before starts: a call that ends as another starts holds one slot, not two.
  deltas.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const steps: Array<[number, number]> = [[0, 0]];
  let count = 0;
  for (const [at, delta] of deltas) {
    count += delta;
    if (steps[steps.length - 1]![0] === at) steps[steps.length - 1]![1] = count;
    else steps.push([at, count]);
  }
  return steps;
}

/** The breaker's states over time, as `[from, to, state]` segments up to `end`. */
export function breakerSegments(
  events: ReadonlyArray<ScenarioEvent>,
  client: string,
  end: number,
): Array<[number, number, CircuitState]> {
  const changes = events.flatMap((e) => (e.type === 'breaker' && e.client === client ? [e] : []));
  return changes.map((e, i): [number, number, CircuitState] => [
    Math.min(e.at, end),
    Math.min(changes[i + 1]?.at ?? end, end),
    e.state,
  ]);
}

/** A latency axis label: `≤1ms` (refusals land there), `10ms`, `1s`. */
const tickLabel = (ms: number): string => (ms === 1 ? '&#8804;1ms' : ms < 1000 ? `${ms}ms` : `${ms / 1000}s`);

/** A step path through `steps` (`[at, value]`), ending at `end`. */
function stepPath(
  steps: ReadonlyArray<[number, number]>,
  end: number,
  x: (ms: number) => number,
  y: (n: number) => number,
): string {
  let d = '';
  steps.forEach(([at, value], i) => {
    d += i === 0 ? `M${f(x(at))},${f(y(value))}` : `H${f(x(at))}V${f(y(value))}`;
  });
  return `${d}H${f(x(end))}`;
}

function timeline(record: ScenarioRecord, info: ClientInfo, frame: Frame): string {
  const { x, y, end } = frame;
  const calls = callsOf(record.events, info.name);
  const parts: string[] = [];
  const lane = (name: keyof typeof LANES, label: string): void => {
    const l = LANES[name] as { top: number; bottom: number };
    parts.push(`<text class="lane-label" x="6" y="${f((l.top + l.bottom) / 2 + 4)}">${label}</text>`);
  };

  // Phases: a tinted column each, its name on top.
  for (const phase of record.phases) {
    const from = x(phase.from);
    const to = x(Math.min(phase.to, end));
    parts.push(
      `<rect class="phase" data-phase="${phase.name}" x="${f(from)}" y="${LANES.phase.top}" width="${f(to - from)}" ` +
        `height="${LANES.pool.bottom - LANES.phase.top}" fill="${COLOUR[phase.name]}"><title>${phase.name}: ` +
        `${escapeHtml(PHASE_BEHAVIOUR[phase.name])}</title></rect>`,
      `<text class="phase-label" x="${f(from + 4)}" y="${LANES.phase.bottom - 5}">${phase.name}</text>`,
    );
  }
  const stop = record.events.find((e) => e.type === 'stop')?.at ?? record.duration;
  parts.push(
    `<line class="mark" x1="${f(x(stop))}" y1="${LANES.phase.top}" x2="${f(x(stop))}" y2="${LANES.pool.bottom}"/>`,
    `<text x="${f(x(stop) - 4)}" y="${LANES.phase.bottom - 5}" text-anchor="end">last event</text>`,
  );

  // Latency: one point per call at its arrival, at the time its caller waited (log scale).
  lane('latency', 'latency');
  for (let ms = 1; ms <= frame.latencyTop; ms *= 10) {
    parts.push(
      `<line class="grid" x1="${LEFT}" y1="${f(y(ms))}" x2="${RIGHT}" y2="${f(y(ms))}"/>`,
      `<text x="${LEFT - 6}" y="${f(y(ms) + 4)}" text-anchor="end">${tickLabel(ms)}</text>`,
    );
  }
  parts.push(
    `<text x="${LEFT - 6}" y="${LANES.latency.top - 14}" text-anchor="end">never</text>`,
    `<line class="grid" x1="${LEFT}" y1="${LANES.latency.top - 18}" x2="${RIGHT}" y2="${LANES.latency.top - 18}"/>`,
  );
  if (info.deadline !== undefined) {
    const dy = f(y(info.deadline));
    parts.push(
      `<line class="mark deadline" x1="${LEFT}" y1="${dy}" x2="${RIGHT}" y2="${dy}"/>`,
      `<text x="${RIGHT - 4}" y="${f(y(info.deadline) - 4)}" text-anchor="end">deadline ${formatMs(info.deadline)}</text>`,
    );
  }
  for (const call of calls) {
    const fate = fateOf(call);
    const cy = fate === 'never' ? LANES.latency.top - 18 : y(call.latency);
    parts.push(
      `<circle class="point" data-outcome="${fate}" cx="${f(x(call.arrivedAt))}" cy="${f(cy)}" r="2.2" ` +
        `fill="${COLOUR[fate]}" fill-opacity="0.65"/>`,
    );
  }

  // Outcomes: per slice of arrival time, the share of each fate.
  lane('outcomes', 'outcomes');
  const slice = record.duration / 80;
  const height = LANES.outcomes.bottom - LANES.outcomes.top;
  for (let from = 0; from < record.duration; from += slice) {
    const inSlice = calls.filter((c) => c.arrivedAt >= from && c.arrivedAt < from + slice);
    let top = LANES.outcomes.top;
    for (const fate of FATES) {
      const n = inSlice.filter((c) => fateOf(c) === fate).length;
      if (n === 0) continue;
      const h = (height * n) / inSlice.length;
      parts.push(
        `<rect class="band" data-outcome="${fate}" x="${f(x(from))}" y="${f(top)}" width="${f(x(from + slice) - x(from))}" ` +
          `height="${f(h)}" fill="${COLOUR[fate]}"/>`,
      );
      top += h;
    }
  }

  // The breaker's state.
  lane('breaker', 'breaker');
  if (info.hasBreaker) {
    for (const [from, to, state] of breakerSegments(record.events, info.name, end)) {
      parts.push(
        `<rect class="breaker-state" data-state="${state}" x="${f(x(from))}" y="${LANES.breaker.top}" ` +
          `width="${f(Math.max(0.5, x(to) - x(from)))}" height="${LANES.breaker.bottom - LANES.breaker.top}" ` +
          `fill="${COLOUR[state]}"><title>${state}</title></rect>`,
      );
    }
  } else {
    parts.push(`<text x="${LEFT + 4}" y="${LANES.breaker.bottom - 3}">none</text>`);
  }

  // Calls in flight (and, with a bulkhead, the slots it holds), each client on its own scale (its peak
  // or its limit, named on the axis): on one scale, hundreds of hung calls would flatten a pool of 8.
  lane('pool', 'in flight');
  const { top: pTop, bottom: pBottom } = LANES.pool;
  const inFlight = inFlightSteps(calls, end);
  const peak = Math.max(...inFlight.map(([, n]) => n));
  const inFlightTop = Math.max(1, info.concurrency ?? 0, peak);
  const py = (n: number): number => pBottom - ((pBottom - pTop) * n) / inFlightTop;
  parts.push(
    `<line class="grid" x1="${LEFT}" y1="${f(py(0))}" x2="${RIGHT}" y2="${f(py(0))}"/>`,
    `<text class="in-flight-top" x="${LEFT - 6}" y="${f(pTop + 8)}" text-anchor="end">${inFlightTop}</text>`,
    `<text x="${LEFT - 6}" y="${f(pBottom)}" text-anchor="end">0</text>`,
  );
  if (info.concurrency !== undefined) {
    parts.push(
      `<line class="mark" x1="${LEFT}" y1="${f(py(info.concurrency))}" x2="${RIGHT}" y2="${f(py(info.concurrency))}"/>`,
      `<text x="${RIGHT - 4}" y="${f(py(info.concurrency) - 3)}" text-anchor="end">limit ${info.concurrency}</text>`,
    );
  }
  parts.push(
    `<path class="in-flight" d="${stepPath(inFlight, end, x, py)}" fill="none" stroke="${COLOUR.inFlight}" stroke-width="1.6"/>`,
  );
  const pool = record.events.flatMap((e): Array<[number, number]> =>
    e.type === 'pool' && e.client === info.name && e.at <= end ? [[e.at, e.active]] : [],
  );
  if (pool.length > 0) {
    parts.push(
      `<path class="pool-slots" d="${stepPath([[0, 0], ...pool], end, x, py)}" fill="none" stroke="${COLOUR.slots}" stroke-width="1.2"/>`,
    );
  }
  parts.push(`<text x="${LEFT + 4}" y="${f(pTop + 8)}">peak ${peak} calls</text>`);

  // Time axis.
  const step = end > 12_000 ? 2000 : 1000;
  for (let ms = 0; ms <= end; ms += step) {
    parts.push(
      `<line class="grid" x1="${f(x(ms))}" y1="${LANES.pool.bottom}" x2="${f(x(ms))}" y2="${LANES.axis - 10}"/>`,
      `<text x="${f(x(ms))}" y="${LANES.axis}" text-anchor="middle">${ms / 1000}s</text>`,
    );
  }

  return (
    `<svg class="timeline" data-client="${info.name}" width="${WIDTH}" ` +
    `height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${info.name} timeline">` +
    `${parts.join('')}</svg>`
  );
}

/** The shared geometry of the record's timelines. */
function frameOf(record: ScenarioRecord): Frame {
  const end = record.events.find((e) => e.type === 'cutoff')?.at ?? record.duration;
  const clientCalls = record.clients.map((c) => callsOf(record.events, c.name));
  const longest = Math.max(
    10_000,
    ...clientCalls.flat().map((c) => (c.latency === Infinity ? 0 : c.latency)),
  );
  const latencyTop = 10 ** Math.ceil(Math.log10(longest));
  const { top, bottom } = LANES.latency;
  return {
    end,
    latencyTop,
    x: (ms) => LEFT + ((RIGHT - LEFT) * Math.max(0, Math.min(ms, end))) / end,
    y: (ms) =>
      bottom - ((bottom - top) * Math.log10(Math.max(1, Math.min(ms, latencyTop)))) / Math.log10(latencyTop),
  };
}

function legend(): string {
  const item = (colour: string, label: string): string =>
    `<span><span class="swatch" style="background:${colour}"></span>${escapeHtml(label)}</span>`;
  return (
    `<div class="legend">${FATES.map((fate) => item(COLOUR[fate], FATE_LABEL[fate])).join('')}` +
    `${BREAKER_STATES.slice(0, 3)
      .map((s) => item(COLOUR[s], `breaker ${s}`))
      .join('')}` +
    `${item(COLOUR.inFlight, 'calls in flight')}${item(COLOUR.slots, 'bulkhead slots in use')}</div>`
  );
}

function summaryTable(rows: ReadonlyArray<ReadonlyArray<string>>): string {
  const [head, ...body] = rows;
  return (
    `<table class="summary"><thead><tr>${head!.map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join('')}</tr></thead>` +
    `<tbody>${body
      .map(
        ([label, ...cells]) =>
          `<tr><th scope="row">${escapeHtml(label!)}</th>${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`,
      )
      .join('')}</tbody></table>`
  );
}

function phaseSentence(phases: ReadonlyArray<Phase>): string {
  return phases
    .map((p) => `${p.name} ${f(p.from / 1000)}-${f(p.to / 1000)} s (${PHASE_BEHAVIOUR[p.name]})`)
    .join(', ');
}

/** The whole report page. */
export function renderReport(record: ScenarioRecord): string {
  const frame = frameOf(record);
  const stop = record.events.find((e) => e.type === 'stop')?.at ?? record.duration;
  const rows = tableRows(summarize(record));
  const sections = record.clients.map(
    (info) =>
      `<section class="client" data-client="${info.name}"><h2>${info.name}</h2>` +
      `<p class="muted">${escapeHtml(info.description)}</p>${timeline(record, info, frame)}</section>`,
  );
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<title>rxjs-resilience: a dependency goes bad, with and without the library</title>',
    `<style>${CSS}</style></head><body>`,
    '<h1>A dependency goes bad: two clients, with and without rxjs-resilience</h1>',
    `<p>Each client gets ${record.rate} events a second and makes one call per event to the same dependency: ` +
      `${escapeHtml(phaseSentence(record.phases))}. A call still waiting ${formatMs(frame.end - stop)} ` +
      `after the last event never ended.</p>`,
    summaryTable(rows),
    legend(),
    ...sections,
    '</body></html>',
    '',
  ].join('\n');
}
